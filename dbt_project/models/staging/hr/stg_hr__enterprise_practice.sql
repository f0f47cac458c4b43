with

source as (
    select * from {{ source('hr', 'RS_QYSJ') }}
),

renamed as (
    select
        {{ clean_text('SJ_ID') }} as practice_id,
        {{ clean_text('GH') }} as staff_id,
        {{ clean_text('QYMC') }} as enterprise_name,
        {{ parse_source_date('KSRQ') }} as start_date,
        {{ parse_source_date('JSRQ') }} as end_date,
        {{ try_cast_as('TS', 'double', 'double') }} as days,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
