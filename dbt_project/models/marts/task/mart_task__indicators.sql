-- 目标达成度 (DEP_TASK_ACHIEVEMENT, SCH_TASK_ACHIEVEMENT) in the long shape of the layer marts,
-- one row per department (school) and board month with a task due by then:
-- Σ(权重 × achievement) / Σ 权重 over the tasks it leads due by the month.
with

board as (
    select * from {{ ref('mart_task__board') }}
),

school as (
    {{ school_identity() }}
),

due as (
    select * from board where deadline_month <= month
),

departments as (
    select
        'DEP_TASK_ACHIEVEMENT' as indicator_code,
        lead_department_code as entity_id,
        lead_department_name as entity_name,
        lead_department_code as unit_id,
        month as period,
        sum(weight * achievement_pct) / 100 as numerator,
        sum(weight) as denominator
    from due
    group by lead_department_code, lead_department_name, month
),

whole_school as (
    select
        'SCH_TASK_ACHIEVEMENT' as indicator_code,
        school.school_id as entity_id,
        school.school_name as entity_name,
        cast(null as varchar) as unit_id,
        due.month as period,
        sum(due.weight * due.achievement_pct) / 100 as numerator,
        sum(due.weight) as denominator
    from due
    cross join school
    group by school.school_id, school.school_name, due.month
),

achievements as (
    select * from departments
    union all
    select * from whole_school
)
,

indicators as (
    select
        indicator_code,
        entity_id,
        entity_name,
        unit_id,
        period,
        100 * numerator / denominator as value,
        numerator,
        denominator
    from achievements
)

{{ long_shape('indicators') }}
