-- Sheet A6-1 is filled in by hand from HR; every disagreement has to be checked before the
-- school reports. Only collection years the platform reported are compared.
with state_teachers as (
    select collection_year, school_year, staff_id, staff_name, department_name
    from {{ ref('fct_state_full_time_teacher') }}
),

reported_years as (
    select distinct collection_year, school_year from state_teachers
),

hr_teachers as (
    select reported_years.collection_year, staff_years.school_year, staff_years.staff_id, staff_years.staff_name
    from {{ ref('fct_staff_school_year') }} as staff_years
    inner join reported_years on reported_years.school_year = staff_years.school_year
    where staff_years.is_full_time_teacher
),

compared as (
    select
        coalesce(state_teachers.collection_year, hr_teachers.collection_year) as collection_year,
        coalesce(state_teachers.school_year, hr_teachers.school_year) as school_year,
        coalesce(state_teachers.staff_id, hr_teachers.staff_id) as staff_id,
        state_teachers.staff_name as state_name,
        coalesce(hr_teachers.staff_name, staff.staff_name) as hr_name,
        state_teachers.department_name as state_department_name,
        staff.department_code as hr_department_code,
        staff.staff_category_zh as hr_staff_category_zh,
        staff.employment_status_zh as hr_employment_status_zh,
        case
            when hr_teachers.staff_id is null and staff.staff_id is null then 'state_teacher_missing_from_hr'
            when hr_teachers.staff_id is null then 'state_teacher_not_full_time_in_hr'
            when state_teachers.staff_id is null then 'hr_teacher_missing_from_state'
            when state_teachers.staff_name is distinct from hr_teachers.staff_name then 'name_differs'
        end as finding
    from state_teachers
    full outer join hr_teachers
        on hr_teachers.collection_year = state_teachers.collection_year
        and hr_teachers.staff_id = state_teachers.staff_id
    left join {{ ref('dim_staff') }} as staff
        on staff.staff_id = coalesce(state_teachers.staff_id, hr_teachers.staff_id)
)

select * from compared where finding is not null
