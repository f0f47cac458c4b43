with

source as (
    select * from {{ source('jw', 'JW_JXSG_JLB') }}
),

renamed as (
    select
        {{ clean_text('SG_ID') }} as incident_id,
        {{ clean_text('JGH_ID') }} as teacher_staff_id,
        {{ parse_source_date('FSRQ') }} as incident_date,
        {{ clean_text('SGDJ') }} as severity_zh,
        case trim(SGDJ) when '一般' then 'minor' when '较严重' then 'serious' when '严重' then 'grave' end as severity,
        {{ clean_text('MS') }} as description,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
