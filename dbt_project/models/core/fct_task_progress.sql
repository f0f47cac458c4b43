-- The monthly progress reports of the tasks in dim_task. Two reports for one 月份: the later
-- 填报日期 stands for the month (is_month_report). Reports of a task ingest refused wait in
-- raw until the task is fixed.
with

reports as (
    select * from {{ ref('stg_plan__task_progress') }}
),

tasks as (
    select calendar_year, task_id, target_value from {{ ref('dim_task') }}
),

ranked as (
    select
        reports.calendar_year,
        reports.task_id,
        reports.report_month,
        reports.reported_on,
        reports.completion_pct,
        reports.actual_value,
        reports.progress_note,
        reports.reporter_staff_id,
        tasks.target_value,
        row_number() over (
            partition by reports.calendar_year, reports.task_id, reports.report_month
            order by reports.reported_on desc
        ) as recency
    from reports
    inner join tasks on tasks.calendar_year = reports.calendar_year and tasks.task_id = reports.task_id
)

select
    calendar_year,
    task_id,
    report_month,
    reported_on,
    recency = 1 as is_month_report,
    completion_pct,
    actual_value,
    -- completed: 100 %, or the 实际值 reached the 目标值
    completion_pct >= 100 or (actual_value is not null and actual_value >= target_value) as is_completed,
    -- achievement: 实际值 / 目标值 where both are given, else the completion; at most 100
    case
        when actual_value is not null and target_value is not null then least(actual_value / target_value, 1) * 100
        else least(completion_pct, 100)
    end as achievement_pct,
    progress_note,
    reporter_staff_id
from ranked
