-- The smart-classroom log can deliver the same KQ_ID twice; staging keeps what arrived,
-- fct_attendance counts each KQ_ID once.
with

source as (
    select * from {{ source('jw', 'JW_KQ_XSKQB') }}
    -- rows the source deleted stay in raw for audit (ingest's reconciliation of the log)
    where _deleted_at is null
),

renamed as (
    select
        {{ try_cast_as('KQ_ID', 'bigint', 'bigint') }} as check_in_id,
        {{ try_cast_as('SKJL_ID', 'bigint', 'bigint') }} as session_id,
        {{ clean_text('XH_ID') }} as student_id,
        {{ try_cast_as('KQZT', 'integer', 'bigint') }} as status_code,
        case KQZT
            when 1 then 'present'
            when 2 then 'late'
            when 3 then 'left_early'
            when 4 then 'absent'
            when 5 then 'leave'
        end as attendance_status,
        case KQZT
            when 1 then '出勤'
            when 2 then '迟到'
            when 3 then '早退'
            when 4 then '旷课'
            when 5 then '请假'
        end as attendance_status_zh,
        {{ parse_source_timestamp('CJSJ') }} as recorded_at,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
