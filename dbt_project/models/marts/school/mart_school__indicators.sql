-- 学校层质控点 for the school and each college. A figure the state platform did not give
-- leaves the value null (数据不足) rather than guessed.
with years as (
    select * from {{ ref('dim_school_year') }}
),

school as (
    {{ school_identity() }}
),

students as (
    select school_year, department_code, grouping(department_code) = 1 as is_school_total, count(*) as students
    from {{ ref('fct_student_school_year') }}
    where is_enrolled_at_end
    group by grouping sets ((school_year), (school_year, department_code))
),

teachers as (
    select
        school_year,
        department_code,
        grouping(department_code) = 1 as is_school_total,
        count(*) as full_time,
        count(*) filter (where is_dual_qualified) as dual_qualified,
        count(*) filter (where has_postgraduate_degree) as postgraduate,
        count(*) filter (where has_senior_title) as senior_title
    from {{ ref('fct_staff_school_year') }}
    where is_full_time_teacher
    group by grouping sets ((school_year), (school_year, department_code))
),

part_time as (
    select school_year, count(*) as part_time
    from {{ ref('fct_state_part_time_teacher') }}
    group by school_year
),

school_years as (
    select
        years.school_year,
        coalesce(students.students, 0) as students,
        coalesce(teachers.full_time, 0) as full_time,
        coalesce(teachers.dual_qualified, 0) as dual_qualified,
        coalesce(teachers.postgraduate, 0) as postgraduate,
        coalesce(teachers.senior_title, 0) as senior_title,
        -- no rows in A6-3 means none only when the platform reported that year at all
        case when years.has_state_data then coalesce(part_time.part_time, 0) end as part_time,
        state.teaching_research_building_m2 + state.admin_office_building_m2 as building_m2,
        state.equipment_value_wan * 10000 as equipment_yuan,
        state.paper_books,
        (state.fiscal_recurrent_subsidy_wan + state.special_fiscal_funding_wan) * 10000 as funding_yuan
    from years
    left join students on students.school_year = years.school_year and students.is_school_total
    left join teachers on teachers.school_year = years.school_year and teachers.is_school_total
    left join part_time on part_time.school_year = years.school_year
    left join {{ ref('fct_state_school_year') }} as state on state.school_year = years.school_year
),

graduation_years as (
    select
        graduation_year_name as period,
        count(*) as graduates,
        count(*) filter (where is_employed) as employed
    from {{ ref('fct_graduate_destination') }}
    group by graduation_year_name
),

colleges as (
    select department_code from {{ ref('dim_department') }} where kind = 'college'
),

college_years as (
    select
        years.school_year,
        colleges.department_code,
        coalesce(students.students, 0) as students,
        coalesce(teachers.full_time, 0) as full_time,
        coalesce(teachers.dual_qualified, 0) as dual_qualified
    from years
    cross join colleges
    left join students
        on students.school_year = years.school_year and not students.is_school_total
        and students.department_code = colleges.department_code
    left join teachers
        on teachers.school_year = years.school_year and not teachers.is_school_total
        and teachers.department_code = colleges.department_code
),

school_values as (
    select 'SCH_STUDENT_TEACHER_RATIO' as indicator_code, school_year as period,
        students / nullif(full_time + 0.5 * part_time, 0) as value,
        students as numerator, full_time + 0.5 * part_time as denominator
    from school_years
    union all
    select 'SCH_POSTGRAD_TEACHER_RATE', school_year, 100.0 * postgraduate / nullif(full_time, 0), postgraduate, full_time
    from school_years
    union all
    select 'SCH_SENIOR_TITLE_RATE', school_year, 100.0 * senior_title / nullif(full_time, 0), senior_title, full_time
    from school_years
    union all
    select 'SCH_DUAL_QUALIFIED_RATE', school_year, 100.0 * dual_qualified / nullif(full_time, 0), dual_qualified, full_time
    from school_years
    union all
    select 'SCH_PARTTIME_SHARE', school_year, 100.0 * part_time / nullif(full_time, 0), part_time, full_time
    from school_years
    union all
    select 'SCH_BUILDING_PER_STUDENT', school_year, building_m2 / nullif(students, 0), building_m2, students
    from school_years
    union all
    select 'SCH_EQUIPMENT_PER_STUDENT', school_year, equipment_yuan / nullif(students, 0), equipment_yuan, students
    from school_years
    union all
    select 'SCH_BOOKS_PER_STUDENT', school_year, paper_books / nullif(students, 0), paper_books, students
    from school_years
    union all
    select 'SCH_FUNDING_PER_STUDENT', school_year, funding_yuan / nullif(students, 0), funding_yuan, students
    from school_years
    union all
    select 'SCH_EMPLOY_RATE', period, 100.0 * employed / graduates, employed, graduates
    from graduation_years
),

college_values as (
    select 'COL_STUDENT_TEACHER_RATIO' as indicator_code, department_code, school_year as period,
        -- a float numerator: PostgreSQL (the benchmark's peer) divides two counts as integers
        cast(students as double precision) / nullif(full_time, 0) as value, students as numerator,
        full_time as denominator
    from college_years
    where students > 0
    union all
    select 'COL_DUAL_QUALIFIED_RATE', department_code, school_year,
        100.0 * dual_qualified / full_time, dual_qualified, full_time
    from college_years
    where full_time > 0
)
,

indicators as (
    select
        school_values.indicator_code,
        coalesce(school.school_id, 'SCHOOL') as entity_id,
        school.school_name as entity_name,
        cast(null as varchar) as unit_id,
        school_values.period,
        cast(school_values.value as double precision) as value,
        cast(school_values.numerator as double precision) as numerator,
        cast(school_values.denominator as double precision) as denominator
    from school_values
    left join school on true

    union all

    select
        college_values.indicator_code,
        college_values.department_code,
        departments.department_name_zh,
        college_values.department_code,
        college_values.period,
        cast(college_values.value as double precision),
        cast(college_values.numerator as double precision),
        cast(college_values.denominator as double precision)
    from college_values
    left join {{ ref('dim_department') }} as departments on departments.department_code = college_values.department_code
)

{{ long_shape('indicators') }}
