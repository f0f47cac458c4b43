with

source as (
    select * from {{ source('plan', 'own_targets') }}
),

renamed as (
    select
        {{ clean_text('school_year') }} as school_year,
        {{ clean_text('layer_zh') }} as layer_zh,
        case {{ clean_text('layer_zh') }}
            when '专业' then 'major'
            when '课程' then 'course'
            when '教师' then 'teacher'
            when '学生' then 'student'
        end as layer,
        {{ clean_text('entity_id') }} as entity_id,
        {{ clean_text('indicator_code') }} as indicator_code,
        {{ clean_text('period') }} as period,
        {{ try_cast_as('target_value', 'double', 'double') }} as target_value,
        {{ try_cast_as('standard_value', 'double', 'double') }} as standard_value,
        {{ try_cast_as('warning_value', 'double', 'double') }} as warning_value,
        {{ clean_text('set_by_staff_id') }} as set_by_staff_id,
        {{ parse_source_date('set_on') }} as set_on,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
