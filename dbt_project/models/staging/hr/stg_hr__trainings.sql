with

source as (
    select * from {{ source('hr', 'RS_PXJL') }}
),

renamed as (
    select
        {{ clean_text('PX_ID') }} as training_id,
        {{ clean_text('GH') }} as staff_id,
        {{ clean_text('PXMC') }} as training_name,
        {{ clean_text('PXLB') }} as training_kind_zh,
        {{ parse_source_date('KSRQ') }} as start_date,
        {{ parse_source_date('JSRQ') }} as end_date,
        {{ try_cast_as('XS', 'double', 'double') }} as hours,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
