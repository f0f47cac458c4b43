-- What the school reports to the state platform must agree with its own register. Only
-- collection years the platform reported are compared.
with state_counts as (
    select collection_year, school_year, major_code, max(major_name) as major_name, cohort_year,
        sum(students) as state_students
    from {{ ref('fct_state_major_cohort') }}
    group by collection_year, school_year, major_code, cohort_year
),

reported_years as (
    select distinct collection_year, school_year from state_counts
),

register_counts as (
    select
        reported_years.collection_year,
        student_years.school_year,
        student_years.major_code,
        students.cohort_year,
        count(*) as register_students
    from {{ ref('fct_student_school_year') }} as student_years
    inner join reported_years on reported_years.school_year = student_years.school_year
    inner join {{ ref('dim_student') }} as students on students.student_number = student_years.student_number
    where student_years.is_enrolled_at_end
    group by reported_years.collection_year, student_years.school_year, student_years.major_code, students.cohort_year
),

jw_major_codes as (
    select distinct major_code from {{ ref('dim_major') }} where major_code is not null
)

select
    coalesce(state_counts.collection_year, register_counts.collection_year) as collection_year,
    coalesce(state_counts.school_year, register_counts.school_year) as school_year,
    coalesce(state_counts.major_code, register_counts.major_code) as major_code,
    state_counts.major_name as state_major_name,
    coalesce(state_counts.cohort_year, register_counts.cohort_year) as cohort_year,
    coalesce(state_counts.state_students, 0) as state_students,
    coalesce(register_counts.register_students, 0) as register_students,
    coalesce(state_counts.state_students, 0) - coalesce(register_counts.register_students, 0) as difference,
    case
        when state_counts.major_code is not null
            and state_counts.major_code not in (select major_code from jw_major_codes)
            then 'major_missing_from_register'
        when state_counts.major_code is null then 'missing_from_state'
        when state_counts.state_students is distinct from register_counts.register_students then 'count_differs'
    end as finding
from state_counts
full outer join register_counts
    on register_counts.collection_year = state_counts.collection_year
    and register_counts.major_code = state_counts.major_code
    and register_counts.cohort_year = state_counts.cohort_year
where coalesce(state_counts.state_students, 0) <> coalesce(register_counts.register_students, 0)
    or (state_counts.major_code is not null and state_counts.major_code not in (select major_code from jw_major_codes))
