-- 学生层质控点. A student gets a row for a period only when the data behind the indicator
-- exists, so nobody is judged on nothing; counts are 0 when nothing happened.
with students as (
    select student_number, student_name, department_code from {{ ref('dim_student') }}
),

attendance_by_term as (
    select
        student_number,
        term_name as period,
        sum(case when is_present then periods else 0 end) as present_periods,
        sum(case when is_absent then periods else 0 end) as absent_periods
    from {{ ref('fct_attendance') }}
    where term_name is not null
    group by student_number, term_name
),

dorm_by_month as (
    select
        student_number,
        month as period,
        count(*) as dorm_checks,
        count(*) filter (where is_night_out) as nights_out,
        count(*) filter (where is_late_return) as late_returns
    from {{ ref('fct_dorm_check') }}
    group by student_number, month
),

-- Term records use 正常考试 only: a make-up or retake exam does not rewrite the term.
regular_grades as (
    select *, coalesce(course_id, grade_id) as course_key
    from {{ ref('fct_grade') }}
    where exam_type = 'regular' and term_name is not null
),

grades_by_term as (
    select
        student_number,
        term_name as period,
        count(distinct course_key) filter (where is_counted) as courses_graded,
        count(distinct course_key) filter (where is_counted and not is_passed) as failed_courses,
        sum(grade_point * credits) filter (where is_counted and grade_point is not null and credits is not null)
            as weighted_grade_points,
        sum(credits) filter (where is_counted and grade_point is not null and credits is not null) as gpa_credits
    from regular_grades
    group by student_number, term_name
),

terms as (
    select term_name, start_date, end_date from {{ ref('dim_term') }}
),

sanctions_by_term as (
    select
        sanctions.student_number,
        terms.term_name as period,
        count(distinct sanctions.sanction_id) as sanctions_in_force
    from {{ ref('fct_sanction') }} as sanctions
    inner join terms
        on {{ sanction_in_force('sanctions.violation_date', 'sanctions.lifted_date', 'terms.start_date', 'terms.end_date') }}
    group by sanctions.student_number, terms.term_name
),

enrolled_by_term as (
    select student_number, term_name as period from {{ ref('fct_student_term_enrolment') }}
),

active_by_term as (
    select student_number, period from enrolled_by_term
    union
    select student_number, period from attendance_by_term
    union
    select student_number, period from grades_by_term
    union
    select student_number, period from sanctions_by_term
),

indicator_values as (
    select
        'STU_ATTEND_RATE' as indicator_code,
        student_number,
        period,
        case when present_periods + absent_periods > 0
            then 100.0 * present_periods / (present_periods + absent_periods)
        end as value,
        present_periods as numerator,
        present_periods + absent_periods as denominator
    from attendance_by_term

    union all

    select 'STU_ABSENT_PERIODS', student_number, period,
        absent_periods, absent_periods, present_periods + absent_periods
    from attendance_by_term

    union all

    select 'STU_NIGHTS_OUT', student_number, period, nights_out, nights_out, dorm_checks
    from dorm_by_month

    union all

    select 'STU_LATE_RETURNS', student_number, period, late_returns, late_returns, dorm_checks
    from dorm_by_month

    union all

    select 'STU_FAILED_COURSES', student_number, period, failed_courses, failed_courses, courses_graded
    from grades_by_term

    union all

    select 'STU_GPA', student_number, period,
        case when gpa_credits > 0 then weighted_grade_points / gpa_credits end,
        weighted_grade_points,
        gpa_credits
    from grades_by_term

    union all

    select 'STU_SANCTIONS', active.student_number, active.period,
        coalesce(sanctions.sanctions_in_force, 0),
        coalesce(sanctions.sanctions_in_force, 0),
        null
    from active_by_term as active
    left join sanctions_by_term as sanctions
        on sanctions.student_number = active.student_number and sanctions.period = active.period
)
,

indicators as (
    select
        indicator_values.indicator_code,
        indicator_values.student_number as entity_id,
        students.student_name as entity_name,
        students.department_code as unit_id,
        indicator_values.period,
        cast(indicator_values.value as double precision) as value,
        cast(indicator_values.numerator as double precision) as numerator,
        cast(indicator_values.denominator as double precision) as denominator
    from indicator_values
    inner join students on students.student_number = indicator_values.student_number
)

{{ long_shape('indicators') }}
