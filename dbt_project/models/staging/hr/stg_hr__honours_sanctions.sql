with

source as (
    select * from {{ source('hr', 'RS_JCJL') }}
),

renamed as (
    select
        {{ clean_text('JC_ID') }} as record_id,
        {{ clean_text('GH') }} as staff_id,
        {{ clean_text('LX') }} as record_kind_zh,
        case trim(LX) when '奖励' then 'honour' when '处分' then 'sanction' end as record_kind,
        {{ clean_text('MC') }} as record_name,
        {{ clean_text('JB') }} as record_level_zh,
        {{ parse_source_date('RQ') }} as record_date,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
