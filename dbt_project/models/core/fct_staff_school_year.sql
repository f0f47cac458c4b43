-- Staff are judged as they were when the year closed, read from the register history;
-- where the history starts later, the earliest known version stands in (attributes_basis).
with years as (
    select school_year, end_date, cast(end_date + interval '1 day' as timestamp) as year_closes
    from {{ ref('dim_school_year') }}
),

history as (
    select * from {{ ref('fct_staff_register_history') }}
),

earliest as (
    select * from (
        select *, row_number() over (partition by staff_id order by valid_from) as version_number
        from history
    ) as numbered
    where version_number = 1
),

staff_years as (
    select staff.staff_id, years.school_year, years.year_closes
    from {{ ref('dim_staff') }} as staff
    cross join years
    where staff.hire_date is null or staff.hire_date <= years.end_date
),

versions as (
    select
        staff_years.staff_id,
        staff_years.school_year,
        coalesce(at_closing.staff_id, earliest.staff_id) is not null as is_known,
        case when at_closing.staff_id is not null then 'history' else 'earliest_known' end as attributes_basis,
        coalesce(at_closing.staff_name, earliest.staff_name) as staff_name,
        coalesce(at_closing.department_code, earliest.department_code) as department_code,
        coalesce(at_closing.staff_category, earliest.staff_category) as staff_category,
        coalesce(at_closing.staff_category_zh, earliest.staff_category_zh) as staff_category_zh,
        coalesce(at_closing.employment_status_zh, earliest.employment_status_zh) as employment_status_zh,
        coalesce(at_closing.title_level_zh, earliest.title_level_zh) as title_level_zh,
        coalesce(at_closing.degree_zh, earliest.degree_zh) as degree_zh,
        coalesce(at_closing.is_dual_qualified, earliest.is_dual_qualified) as is_dual_qualified
    from staff_years
    left join history as at_closing
        on at_closing.staff_id = staff_years.staff_id
        and at_closing.valid_from <= staff_years.year_closes
        and (at_closing.valid_to is null or at_closing.valid_to > staff_years.year_closes)
    left join earliest
        on earliest.staff_id = staff_years.staff_id
        and earliest.valid_from > staff_years.year_closes
)

select
    staff_id,
    school_year,
    staff_name,
    department_code,
    staff_category,
    staff_category_zh,
    employment_status_zh,
    title_level_zh,
    degree_zh,
    coalesce(staff_category_zh = '专任教师' and employment_status_zh = '在职', false) as is_full_time_teacher,
    coalesce(is_dual_qualified, false) as is_dual_qualified,
    coalesce(degree_zh in ('博士', '硕士'), false) as has_postgraduate_degree,
    coalesce(title_level_zh in ('正高', '副高'), false) as has_senior_title,
    attributes_basis
from versions
where is_known
