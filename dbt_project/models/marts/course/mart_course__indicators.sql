-- 课程层质控点, in the long shape every layer mart shares (definitions in the YAML). Rows
-- exist only where the data behind them exists.
with teaching_classes as (
    select * from {{ ref('dim_teaching_class') }}
),

attendance_by_month as (
    select
        teaching_class_id,
        month as period,
        sum(case when is_present then periods else 0 end) as present_periods,
        sum(case when is_absent then periods else 0 end) as absent_periods
    from {{ ref('fct_attendance') }}
    group by teaching_class_id, month
    having sum(case when is_present or is_absent then periods else 0 end) > 0
),

-- A student passes the class when a counted regular grade of theirs passes.
students_graded as (
    select
        teaching_class_id,
        student_number,
        bool_or(is_passed) as has_passed
    from {{ ref('fct_grade') }}
    where exam_type = 'regular' and is_counted and teaching_class_id is not null
    group by teaching_class_id, student_number
),

pass_by_class as (
    select
        students_graded.teaching_class_id,
        count(*) filter (where has_passed) as students_passed,
        count(*) as students_graded
    from students_graded
    group by students_graded.teaching_class_id
),

ratings_by_class as (
    select teaching_class_id, avg(total_score) as mean_score, sum(total_score) as score_sum, count(total_score) as ratings
    from {{ ref('fct_teaching_evaluation') }}
    where total_score is not null
    group by teaching_class_id
),

visits_by_class as (
    select teaching_class_id, avg(score) as mean_score, sum(score) as score_sum, count(score) as visits
    from {{ ref('fct_supervisor_visit') }}
    where score is not null
    group by teaching_class_id
),

indicator_values as (
    select
        'CRS_ATTEND_RATE' as indicator_code,
        teaching_class_id,
        period,
        100.0 * present_periods / (present_periods + absent_periods) as value,
        present_periods as numerator,
        present_periods + absent_periods as denominator
    from attendance_by_month

    union all

    select 'CRS_PASS_RATE', pass_by_class.teaching_class_id, teaching_classes.term_name,
        100.0 * students_passed / students_graded, students_passed, students_graded
    from pass_by_class
    inner join teaching_classes on teaching_classes.teaching_class_id = pass_by_class.teaching_class_id

    union all

    select 'CRS_EVAL_SCORE', ratings_by_class.teaching_class_id, teaching_classes.term_name,
        mean_score, score_sum, ratings
    from ratings_by_class
    inner join teaching_classes on teaching_classes.teaching_class_id = ratings_by_class.teaching_class_id

    union all

    select 'CRS_SUPERVISOR_SCORE', visits_by_class.teaching_class_id, teaching_classes.term_name,
        mean_score, score_sum, visits
    from visits_by_class
    inner join teaching_classes on teaching_classes.teaching_class_id = visits_by_class.teaching_class_id
)
,

indicators as (
    select
        indicator_values.indicator_code,
        indicator_values.teaching_class_id as entity_id,
        teaching_classes.teaching_class_name as entity_name,
        teaching_classes.offering_department_code as unit_id,
        indicator_values.period,
        cast(indicator_values.value as double precision) as value,
        cast(indicator_values.numerator as double precision) as numerator,
        cast(indicator_values.denominator as double precision) as denominator
    from indicator_values
    inner join teaching_classes on teaching_classes.teaching_class_id = indicator_values.teaching_class_id
)

{{ long_shape('indicators') }}
