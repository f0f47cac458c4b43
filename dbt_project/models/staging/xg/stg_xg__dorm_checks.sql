with

source as (
    select * from {{ source('xg', 'XG_CQJL') }}
    -- rows the source deleted stay in raw for audit (ingest's reconciliation of the log)
    where _deleted_at is null
),

renamed as (
    select
        {{ try_cast_as('JL_ID', 'bigint', 'bigint') }} as dorm_check_id,
        {{ clean_text('XH') }} as student_number,
        {{ parse_source_date('CQRQ') }} as check_date,
        {{ clean_text('ZT') }} as dorm_status_zh,
        case trim(ZT)
            when '在寝' then 'in_dorm'
            when '晚归' then 'late_return'
            when '夜不归宿' then 'night_out'
            when '请假' then 'leave'
        end as dorm_status,
        {{ clean_text('JLR') }} as recorded_by,
        {{ parse_source_timestamp('JLSJ') }} as recorded_at,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
