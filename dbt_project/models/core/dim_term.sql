-- No school calendar is configured anywhere, so a term's dates follow the sessions held:
-- each school year is cut at the first session of the next term, which gives every day
-- exactly one term (exam weeks and holidays belong to the term they follow).
with term_keys as (
    select school_year_start, {{ term_number('term_code') }} as term_number from {{ ref('stg_jw__teaching_classes') }}
    union
    select school_year_start, {{ term_number('term_code') }} from {{ ref('stg_jw__course_enrolments') }}
    union
    select school_year_start, {{ term_number('term_code') }} from {{ ref('stg_jw__grades') }}
),

session_days as (
    select
        teaching_classes.term_name,
        min(sessions.session_date) as first_session_date,
        max(sessions.session_date) as last_session_date
    from {{ ref('stg_jw__class_sessions') }} as sessions
    inner join {{ ref('stg_jw__teaching_classes') }} as teaching_classes
        on teaching_classes.teaching_class_id = sessions.teaching_class_id
    group by teaching_classes.term_name
),

terms as (
    select
        {{ school_year_name('school_year_start') }} || '-' || cast(term_number as varchar) as term_name,
        {{ school_year_name('school_year_start') }} as school_year,
        school_year_start,
        term_number,
        case term_number when 1 then '3' when 2 then '12' end as term_code
    from term_keys
    where school_year_start is not null and term_number is not null
),

term_starts as (
    select
        terms.*,
        session_days.first_session_date,
        session_days.last_session_date,
        case
            when terms.term_number = 1 then {{ school_year_first_day('terms.school_year_start') }}
            -- a later term without sessions yet starts the day after the previous term's
            -- last session
            else coalesce(
                session_days.first_session_date,
                lag(session_days.last_session_date) over (
                    partition by terms.school_year_start order by terms.term_number
                ) + 1
            )
        end as start_date
    from terms
    left join session_days on session_days.term_name = terms.term_name
)

select
    term_name,
    school_year,
    school_year_start,
    term_number,
    term_code,
    first_session_date,
    last_session_date,
    start_date,
    coalesce(
        lead(start_date) over (partition by school_year_start order by term_number) - 1,
        {{ school_year_last_day('school_year_start') }}
    ) as end_date
from term_starts
