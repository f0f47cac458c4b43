with

source as (
    select * from {{ source('plan', 'tasks') }}
),

renamed as (
    select
        {{ try_cast_as('calendar_year', 'integer', 'integer') }} as calendar_year,
        {{ clean_text('task_id') }} as task_id,
        {{ clean_text('task_source') }} as task_source_zh,
        {{ clean_text('attribute') }} as attribute_zh,
        case
            when {{ clean_text('attribute') }} like 'A%' then 'A'
            when {{ clean_text('attribute') }} like 'B%' then 'B'
        end as attribute_code,
        {{ clean_text('parent_task_id') }} as parent_task_id,
        {{ clean_text('task_name') }} as task_name,
        {{ clean_text('lead_department') }} as lead_department_name,
        {{ department_name_key('lead_department') }} as lead_department_key,
        {{ clean_text('supporting_departments') }} as supporting_department_names,
        {{ clean_text('responsible_staff_id') }} as responsible_staff_id,
        -- an empty 开始月份 is January of the workbook's year
        coalesce({{ clean_text('start_month') }}, cast(calendar_year as varchar) || '-01') as start_month,
        {{ clean_text('deadline_month') }} as deadline_month,
        {{ try_cast_as('target_value', 'double', 'double') }} as target_value,
        {{ clean_text('measure_unit') }} as measure_unit,
        -- an empty 权重 is 1
        coalesce({{ try_cast_as('weight', 'double', 'double') }}, 1) as weight,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
