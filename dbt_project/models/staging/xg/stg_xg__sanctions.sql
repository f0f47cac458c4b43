with

source as (
    select * from {{ source('xg', 'XG_WJCF') }}
    -- rows the source deleted stay in raw for audit (ingest's key reconciliation)
    where _deleted_at is null
),

renamed as (
    select
        {{ clean_text('CF_ID') }} as sanction_id,
        {{ clean_text('XH') }} as student_number,
        {{ parse_source_date('WJRQ') }} as violation_date,
        {{ clean_text('WJLX') }} as violation_type_zh,
        {{ clean_text('CFDJ') }} as sanction_level_zh,
        case trim(CFDJ)
            when '警告' then 'warning'
            when '严重警告' then 'serious_warning'
            when '记过' then 'demerit'
            when '留校察看' then 'probation'
            when '开除学籍' then 'expulsion'
        end as sanction_level,
        {{ clean_text('CFWH') }} as document_number,
        {{ parse_source_date('CXRQ') }} as lifted_date,
        {{ parse_source_timestamp('GXSJ') }} as updated_at,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
