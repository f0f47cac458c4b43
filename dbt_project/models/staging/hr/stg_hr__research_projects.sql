with

source as (
    select * from {{ source('hr', 'KY_XMXX') }}
    -- rows the source deleted stay in raw for audit (ingest's key reconciliation)
    where _deleted_at is null
),

renamed as (
    select
        {{ clean_text('XM_ID') }} as project_id,
        {{ clean_text('GH') }} as leader_staff_id,
        {{ clean_text('XMMC') }} as project_name,
        {{ clean_text('XMLB') }} as project_kind_zh,
        {{ clean_text('JB') }} as project_level_zh,
        {{ parse_source_date('LXRQ') }} as approval_date,
        {{ try_cast_as('DZJF', 'double', 'double') }} as funds_received_wan,
        {{ parse_source_timestamp('GXSJ') }} as updated_at,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
