with

source as (
    select * from {{ source('jw', 'JW_KQ_SKJLB') }}
    -- rows the source deleted stay in raw for audit (ingest's key reconciliation)
    where _deleted_at is null
),

renamed as (
    select
        {{ try_cast_as('SKJL_ID', 'bigint', 'bigint') }} as session_id,
        {{ clean_text('JXB_ID') }} as teaching_class_id,
        {{ parse_source_date('SKRQ') }} as session_date,
        {{ clean_text('JC') }} as period_slots,
        {{ try_cast_as('XS', 'integer', 'bigint') }} as periods,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
