-- Every period a mart can name, typed, so a time axis and lag() compare like with like:
-- months, terms, school years and graduation years (the surveys are keyed by the graduation
-- year of the cohort asked) of every school year from the earliest to the latest any source
-- reaches, with no gaps. A term takes its dates from dim_term; a term 教务 holds nothing
-- for yet (an own target set ahead) is cut at 1 February, the usual winter break.
with log_ends as (
    select min(session_date) as first_day, max(session_date) as last_day from {{ ref('fct_attendance') }}
    union all
    select min(check_date), max(check_date) from {{ ref('fct_dorm_check') }}
),

year_starts as (
    select school_year_start from {{ ref('dim_school_year') }}
    union all
    select calendar_year - 1 from {{ ref('dim_task') }}
    union all
    select calendar_year from {{ ref('dim_task') }}
    union all
    select graduation_year - 1 from {{ ref('fct_graduate_destination') }}
    union all
    select graduation_year - 1 from {{ ref('fct_graduate_survey') }}
    union all
    select cast(substr(school_year, 1, 4) as integer) from {{ ref('fct_own_target') }}
    union all
    select {{ school_year_start_of('first_day') }} from log_ends
    union all
    select {{ school_year_start_of('last_day') }} from log_ends
),

covered as (
    select min(school_year_start) as first_start, max(school_year_start) as last_start
    from year_starts
    where school_year_start is not null
),

days as (
    select cast(spine.day as date) as date_day
    from {{ day_series(
        "(select cast(" ~ school_year_first_day('first_start') ~ " as timestamp) from covered)",
        "(select cast(" ~ school_year_first_day('last_start + 1') ~ " as timestamp) from covered)"
    ) }} as spine(day)
),

school_years as (
    select
        {{ school_year_start_of('date_day') }} as school_year_start,
        min(date_day) as start_date,
        max(date_day) as end_date
    from days
    group by {{ school_year_start_of('date_day') }}
),

months as (
    select
        {{ month_label('date_day') }} as period,
        min(date_day) as start_date,
        max(date_day) as end_date
    from days
    group by {{ month_label('date_day') }}
),

term_numbers as (
    select 1 as term_number
    union all
    select 2
),

terms as (
    select
        school_years.school_year_start,
        term_numbers.term_number,
        {{ school_year_name('school_years.school_year_start') }} || '-' || cast(term_numbers.term_number as varchar)
            as period,
        coalesce(
            known.start_date,
            case when term_numbers.term_number = 1 then school_years.start_date
                else {{ date_from_parts('school_years.school_year_start + 1', 2, 1) }} end
        ) as start_date,
        coalesce(
            known.end_date,
            case when term_numbers.term_number = 2 then school_years.end_date
                else {{ date_from_parts('school_years.school_year_start + 1', 1, 31) }} end
        ) as end_date
    from school_years
    cross join term_numbers
    left join {{ ref('dim_term') }} as known
        on known.school_year_start = school_years.school_year_start and known.term_number = term_numbers.term_number
),

periods as (
    select
        period,
        'month' as period_type,
        '月份' as period_type_zh,
        substr(period, 1, 4) || '年' || cast(cast(substr(period, 6, 2) as integer) as varchar) || '月'
            as period_label_zh,
        cast(null as integer) as term_number,
        start_date,
        end_date
    from months

    union all

    select
        period,
        'term',
        '学期',
        {{ school_year_name('school_year_start') }} || '学年第' || case term_number when 1 then '一' else '二' end || '学期',
        term_number,
        start_date,
        end_date
    from terms

    union all

    select
        {{ school_year_name('school_year_start') }},
        'school_year',
        '学年',
        {{ school_year_name('school_year_start') }} || '学年',
        cast(null as integer),
        start_date,
        end_date
    from school_years

    union all

    -- the cohort graduates at the end of the school year, so its year is that school year
    select
        cast(school_year_start + 1 as varchar),
        'graduation_year',
        '毕业年份',
        cast(school_year_start + 1 as varchar) || '届',
        cast(null as integer),
        start_date,
        end_date
    from school_years
)

select
    periods.period,
    periods.period_type,
    periods.period_type_zh,
    periods.period_label_zh,
    {{ school_year_of('periods.end_date') }} as school_year,
    periods.term_number,
    periods.start_date as period_start,
    periods.end_date as period_end
from periods
