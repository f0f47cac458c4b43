with

source as (
    select * from {{ source('hr', 'KY_CGXX') }}
),

renamed as (
    select
        {{ clean_text('CG_ID') }} as output_id,
        {{ clean_text('GH') }} as staff_id,
        {{ clean_text('CGLX') }} as output_kind_zh,
        {{ clean_text('MC') }} as output_title,
        {{ clean_text('JB') }} as output_level_zh,
        {{ parse_source_date('RQ') }} as output_date,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
