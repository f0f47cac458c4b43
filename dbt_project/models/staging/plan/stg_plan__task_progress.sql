with

source as (
    select * from {{ source('plan', 'task_progress') }}
),

renamed as (
    select
        {{ try_cast_as('calendar_year', 'integer', 'integer') }} as calendar_year,
        {{ clean_text('task_id') }} as task_id,
        {{ clean_text('report_month') }} as report_month,
        {{ try_cast_as('completion', 'double', 'double') }} as completion_pct,
        {{ try_cast_as('actual_value', 'double', 'double') }} as actual_value,
        {{ clean_text('progress_note') }} as progress_note,
        {{ clean_text('reporter_staff_id') }} as reporter_staff_id,
        {{ parse_source_date('reported_on') }} as reported_on,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
