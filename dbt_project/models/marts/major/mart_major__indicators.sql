-- 专业层质控点. The major is the national code ZYDM, the key the state platform and the
-- surveys share, so 教务 majors with one code are one major. A rate without data behind it
-- is null (数据不足), never invented.
with majors as (
    select major_code, min(major_name) as major_name, min(department_code) as department_code
    from {{ ref('dim_major') }}
    where major_code is not null
    group by major_code
),

destinations as (
    select
        major_code,
        graduation_year_name as period,
        count(*) as graduates,
        count(*) filter (where is_employed) as employed,
        count(*) filter (where counts_for_match) as employed_for_match,
        count(*) filter (where is_matched) as matched
    from {{ ref('fct_graduate_destination') }}
    where major_code is not null
    group by major_code, graduation_year_name
),

surveys as (
    select
        major_code,
        graduation_year_name as period,
        count(graduate_satisfaction) as graduate_answers,
        count(*) filter (where graduate_satisfaction >= 4) as graduates_satisfied,
        count(employer_satisfaction) as employer_answers,
        count(*) filter (where employer_satisfaction >= 4) as employers_satisfied
    from {{ ref('fct_graduate_survey') }}
    where major_code is not null
    group by major_code, graduation_year_name
),

admissions as (
    select major_code, school_year as period, major_name, department_code, admitted, reported
    from {{ ref('fct_state_major_year') }}
    where admitted is not null or reported is not null
),

dropout as (
    select
        student_years.major_code,
        student_years.school_year as period,
        count(*) filter (where student_years.in_year_base) as base_students,
        count(*) filter (where student_years.in_year_base and student_years.withdrew_in_year) as withdrawn
    from {{ ref('fct_student_school_year') }} as student_years
    inner join {{ ref('dim_school_year') }} as years
        on years.school_year = student_years.school_year and years.has_teaching_data
    where student_years.major_code is not null
    group by student_years.major_code, student_years.school_year
    having count(*) filter (where student_years.in_year_base) > 0
),

grades as (
    select
        students.major_code,
        grades.term_name as period,
        count(*) filter (where grades.is_passed) as passed,
        count(*) as graded
    from {{ ref('fct_grade') }} as grades
    inner join {{ ref('dim_student') }} as students on students.student_number = grades.student_number
    where grades.exam_type = 'regular' and grades.is_counted and students.major_code is not null
    group by students.major_code, grades.term_name
),

indicator_values as (
    select 'MAJ_EMPLOY_RATE' as indicator_code, major_code, period,
        100.0 * employed / nullif(graduates, 0) as value, employed as numerator, graduates as denominator
    from destinations
    union all
    select 'MAJ_MATCH_RATE', major_code, period,
        100.0 * matched / nullif(employed_for_match, 0), matched, employed_for_match
    from destinations
    union all
    select 'MAJ_REPORT_RATE', major_code, period,
        100.0 * reported / nullif(admitted, 0), reported, admitted
    from admissions
    union all
    select 'MAJ_DROPOUT_RATE', major_code, period,
        100.0 * withdrawn / base_students, withdrawn, base_students
    from dropout
    union all
    select 'MAJ_GRAD_SATISFACTION', major_code, period,
        100.0 * graduates_satisfied / nullif(graduate_answers, 0), graduates_satisfied, graduate_answers
    from surveys
    union all
    select 'MAJ_EMPLOYER_SATISFACTION', major_code, period,
        100.0 * employers_satisfied / nullif(employer_answers, 0), employers_satisfied, employer_answers
    from surveys
    union all
    select 'MAJ_PASS_RATE', major_code, period, 100.0 * passed / graded, passed, graded
    from grades
)
,

indicators as (
    select
        indicator_values.indicator_code,
        indicator_values.major_code as entity_id,
        coalesce(majors.major_name, admissions.major_name) as entity_name,
        coalesce(majors.department_code, admissions.department_code) as unit_id,
        indicator_values.period,
        cast(indicator_values.value as double precision) as value,
        cast(indicator_values.numerator as double precision) as numerator,
        cast(indicator_values.denominator as double precision) as denominator
    from indicator_values
    left join majors on majors.major_code = indicator_values.major_code
    left join admissions
        on indicator_values.indicator_code = 'MAJ_REPORT_RATE'
        and admissions.major_code = indicator_values.major_code
        and admissions.period = indicator_values.period
)

{{ long_shape('indicators') }}
