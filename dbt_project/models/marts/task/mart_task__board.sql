-- The task board (部门工作任务完成情况一览表 of the schools' 诊改 plans): one row per task and month, from
-- its 开始月份 to December (of a year still running, to the current month), with the
-- completion and planned share behind its status. The behind-plan tolerance is the
-- registry's (task_policy), not a constant.
with

tasks as (
    select * from {{ ref('dim_task') }}
),

reports as (
    select * from {{ ref('fct_task_progress') }} where is_month_report
),

policy as (
    select * from {{ ref('task_policy') }}
),

months_of_year as (
    {%- for month in range(1, 13) %}
    select {{ month }} as month_of_year{{ ' union all' if not loop.last }}
    {%- endfor %}
),

board_months as (
    select
        tasks.calendar_year,
        tasks.task_id,
        cast(tasks.calendar_year as varchar) || '-' || lpad(cast(months_of_year.month_of_year as varchar), 2, '0')
            as month
    from tasks
    cross join months_of_year
),

task_months as (
    select board_months.*
    from board_months
    inner join tasks on tasks.calendar_year = board_months.calendar_year and tasks.task_id = board_months.task_id
    where board_months.month >= tasks.start_month
      and board_months.month <= {{ as_of_month() }}
),

-- the report standing for the task as of each month: the latest 月份 on or before it
reports_as_of as (
    select
        task_months.calendar_year,
        task_months.task_id,
        task_months.month,
        reports.report_month,
        reports.completion_pct,
        reports.actual_value,
        reports.is_completed,
        reports.achievement_pct,
        row_number() over (
            partition by task_months.calendar_year, task_months.task_id, task_months.month
            order by reports.report_month desc
        ) as recency
    from task_months
    inner join reports
        on reports.calendar_year = task_months.calendar_year
        and reports.task_id = task_months.task_id
        and reports.report_month <= task_months.month
),

measured as (
    select
        task_months.calendar_year,
        task_months.month,
        tasks.task_id,
        reports_as_of.report_month,
        coalesce(reports_as_of.completion_pct, 0) as completion_pct,
        reports_as_of.actual_value,
        coalesce(reports_as_of.is_completed, false) as is_completed,
        coalesce(reports_as_of.achievement_pct, 0) as achievement_pct,
        task_months.month > tasks.deadline_month as is_past_deadline,
        -- planned = the share of its months elapsed, this one included
        {{ round_float(
            'least(100, 100 * cast(' ~ month_number('task_months.month') ~ ' - ' ~ month_number('tasks.start_month')
            ~ ' + 1 as double precision) / tasks.planned_months)', 9) }} as planned_pct
    from task_months
    inner join tasks on tasks.calendar_year = task_months.calendar_year and tasks.task_id = task_months.task_id
    left join reports_as_of
        on reports_as_of.calendar_year = task_months.calendar_year
        and reports_as_of.task_id = task_months.task_id
        and reports_as_of.month = task_months.month
        and reports_as_of.recency = 1
),

judged as (
    select
        measured.*,
        case
            when measured.is_completed then '已完成'
            when measured.is_past_deadline then '未完成'
            when measured.completion_pct < measured.planned_pct - policy.behind_plan_tolerance_points then '预警'
            else '正常'
        end as status
    from measured
    cross join policy
)

select
    judged.calendar_year,
    judged.month,
    tasks.task_id,
    tasks.task_name,
    tasks.attribute_code,
    tasks.attribute_name_zh,
    tasks.task_source_zh,
    tasks.task_chain,
    tasks.lead_department_code,
    tasks.lead_department_name,
    tasks.supporting_department_codes,
    tasks.responsible_staff_id,
    tasks.start_month,
    tasks.deadline_month,
    tasks.weight,
    tasks.target_value,
    tasks.measure_unit,
    judged.report_month,
    judged.completion_pct,
    judged.actual_value,
    judged.planned_pct,
    judged.achievement_pct,
    judged.is_completed,
    judged.is_past_deadline,
    judged.status,
    case judged.status
        when '正常' then 'green'
        when '已完成' then 'black'
        when '未完成' then 'yellow'
        when '预警' then 'red'
    end as status_colour,
    {{ period_columns('periods') }}
from judged
inner join tasks on tasks.calendar_year = judged.calendar_year and tasks.task_id = judged.task_id
left join {{ ref('dim_period') }} as periods on periods.period = judged.month
