-- The marts name their periods from this one calendar, so a month, a term and a school
-- year mean the same in every layer.
with days as (
    select cast(day as date) as date_day
    from {{ day_series(
        "(select cast(min(start_date) as timestamp) from " ~ ref('dim_school_year') ~ ")",
        "(select cast(max(end_date) + interval '1 day' as timestamp) from " ~ ref('dim_school_year') ~ ")"
    ) }} as spine(day)
)

select
    days.date_day,
    {{ date_part_number('year', 'days.date_day') }} as calendar_year,
    {{ month_label('days.date_day') }} as month,
    {{ date_part_number('isodow', 'days.date_day') }} as iso_day_of_week,
    {{ date_part_number('isodow', 'days.date_day') }} >= 6 as is_weekend,
    {{ school_year_of('days.date_day') }} as school_year,
    terms.term_name,
    coalesce(days.date_day between terms.first_session_date and terms.last_session_date, false) as is_teaching_period
from days
left join {{ ref('dim_term') }} as terms
    on days.date_day between terms.start_date and terms.end_date
