-- A count that differs points at the teachers listed in dq_state_teachers_vs_hr. Sheet A6-1
-- names departments, so they are matched to the registry by name.
with state_counts as (
    select
        state.collection_year,
        state.school_year,
        coalesce(departments.department_code, 'UNMATCHED:' || coalesce(state.department_name, '')) as department_code,
        count(*) as state_teachers
    from {{ ref('fct_state_full_time_teacher') }} as state
    left join {{ ref('dim_department') }} as departments
        on departments.department_name_zh = state.department_name
    group by grouping sets (
        (state.collection_year, state.school_year),
        (state.collection_year, state.school_year,
         coalesce(departments.department_code, 'UNMATCHED:' || coalesce(state.department_name, '')))
    )
),

reported_years as (
    select distinct collection_year, school_year from {{ ref('fct_state_full_time_teacher') }}
),

hr_counts as (
    select reported_years.collection_year, staff_years.school_year, staff_years.department_code,
        count(*) as hr_teachers
    from {{ ref('fct_staff_school_year') }} as staff_years
    inner join reported_years on reported_years.school_year = staff_years.school_year
    where staff_years.is_full_time_teacher
    group by grouping sets (
        (reported_years.collection_year, staff_years.school_year),
        (reported_years.collection_year, staff_years.school_year, staff_years.department_code)
    )
),

keyed_state as (
    select collection_year, school_year, coalesce(department_code, 'ALL') as department_code, state_teachers
    from state_counts
),

keyed_hr as (
    select collection_year, school_year, coalesce(department_code, 'ALL') as department_code, hr_teachers
    from hr_counts
)

select
    coalesce(keyed_state.collection_year, keyed_hr.collection_year) as collection_year,
    coalesce(keyed_state.school_year, keyed_hr.school_year) as school_year,
    coalesce(keyed_state.department_code, keyed_hr.department_code) as department_code,
    coalesce(keyed_state.state_teachers, 0) as state_teachers,
    coalesce(keyed_hr.hr_teachers, 0) as hr_teachers,
    coalesce(keyed_state.state_teachers, 0) - coalesce(keyed_hr.hr_teachers, 0) as difference
from keyed_state
full outer join keyed_hr
    on keyed_hr.collection_year = keyed_state.collection_year
    and keyed_hr.department_code = keyed_state.department_code
