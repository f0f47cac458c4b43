-- One row per task of a year's list: its registry departments and its place in the chain
-- (目标链) of plan items it decomposes. Ingest refused every task whose department names map
-- to no registry department, and every loop in the chain.
with recursive

tasks as (
    select * from {{ ref('stg_plan__tasks') }}
),

departments as (
    select department_code, name_zh, {{ department_name_key('name_zh') }} as name_key
    from {{ ref('departments') }}
),

-- up the chain while the parent is a task of the same year's list
ancestry as (
    select
        calendar_year,
        task_id,
        task_id as top_task_id,
        parent_task_id as next_parent_id,
        cast(task_id as varchar) as chain,
        0 as steps
    from tasks
    union all
    select
        ancestry.calendar_year,
        ancestry.task_id,
        parents.task_id,
        parents.parent_task_id,
        cast(parents.task_id || ' › ' || ancestry.chain as varchar),
        ancestry.steps + 1
    from ancestry
    inner join tasks as parents
        on parents.calendar_year = ancestry.calendar_year and parents.task_id = ancestry.next_parent_id
    where ancestry.steps < 100
),

chains as (
    select
        calendar_year,
        task_id,
        top_task_id,
        next_parent_id as plan_item_id,
        steps as chain_depth,
        case when next_parent_id is not null then next_parent_id || ' › ' || chain else chain end as task_chain,
        row_number() over (partition by calendar_year, task_id order by steps desc) as from_top
    from ancestry
),

-- the supporting departments (协同部门, names separated by 、) the registry knows, in listed order
supporting_names as (
    select
        calendar_year,
        task_id,
        '、' || {{ department_name_key("regexp_replace(supporting_department_names, '[ \t　]*、[ \t　]*', '、', 'g')") }} || '、'
            as listed
    from tasks
    where supporting_department_names is not null
),

supporting as (
    select
        supporting_names.calendar_year,
        supporting_names.task_id,
        string_agg(departments.department_code, '、'
            order by position('、' || departments.name_key || '、' in supporting_names.listed)) as supporting_department_codes
    from supporting_names
    inner join departments on position('、' || departments.name_key || '、' in supporting_names.listed) > 0
    group by supporting_names.calendar_year, supporting_names.task_id
)

select
    tasks.calendar_year,
    tasks.task_id,
    tasks.task_name,
    tasks.task_source_zh,
    tasks.attribute_code,
    case tasks.attribute_code when 'A' then '重点工作' when 'B' then '常规工作' end as attribute_name_zh,
    tasks.parent_task_id,
    chains.plan_item_id,
    chains.top_task_id,
    chains.chain_depth,
    chains.task_chain,
    lead.department_code as lead_department_code,
    lead.name_zh as lead_department_name,
    tasks.lead_department_name as lead_department_as_typed,
    supporting.supporting_department_codes,
    tasks.supporting_department_names as supporting_departments_as_typed,
    tasks.responsible_staff_id,
    tasks.start_month,
    tasks.deadline_month,
    {{ month_number('tasks.deadline_month') }} - {{ month_number('tasks.start_month') }} + 1 as planned_months,
    tasks.target_value,
    tasks.measure_unit,
    tasks.weight
from tasks
inner join chains
    on chains.calendar_year = tasks.calendar_year and chains.task_id = tasks.task_id and chains.from_top = 1
left join departments as lead on lead.name_key = tasks.lead_department_key
left join supporting on supporting.calendar_year = tasks.calendar_year and supporting.task_id = tasks.task_id
