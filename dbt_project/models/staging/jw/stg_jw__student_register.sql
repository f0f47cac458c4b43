-- SFZH (national id) and SJHM (phone) stay in raw: no model of the data center needs them.
with

source as (
    select * from {{ source('jw', 'JW_XJGL_XSJBXXB') }}
    -- rows the source deleted stay in raw for audit (ingest's key reconciliation)
    where _deleted_at is null
),

renamed as (
    select
        {{ clean_text('XH_ID') }} as student_id,
        {{ clean_text('XH') }} as student_number,
        {{ clean_text('XM') }} as student_name,
        case XBM when 1 then 'male' when 2 then 'female' end as gender,
        {{ try_date_from_yyyymmdd(clean_text('CSRQ')) }} as birth_date,
        {{ clean_text('ZYH_ID') }} as major_id,
        {{ clean_text('BH_ID') }} as class_id,
        {{ try_cast_as('NJDM_ID', 'integer', 'bigint') }} as cohort_year,
        {{ clean_text('JG_ID') }} as org_id,
        {{ clean_text('XJZTDM') }} as register_status_code,
        case trim(XJZTDM)
            when '01' then 'enrolled'
            when '02' then 'suspended'
            when '03' then 'withdrawn'
            when '04' then 'graduated'
            when '05' then 'deferred'
        end as register_status,
        case trim(XJZTDM)
            when '01' then '在读'
            when '02' then '休学'
            when '03' then '退学'
            when '04' then '毕业'
            when '05' then '保留学籍'
        end as register_status_zh,
        {{ parse_source_date('RXRQ') }} as entry_date,
        {{ parse_source_timestamp('GXSJ') }} as updated_at,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
