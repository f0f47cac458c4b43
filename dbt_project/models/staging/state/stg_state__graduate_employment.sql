with

source as (
    select * from {{ source('state', 'a7_6_2') }}
),

renamed as (
    select
        {{ try_cast_as('collection_year', 'integer', 'integer') }} as collection_year,
        {{ clean_text('major_code') }} as major_code,
        {{ clean_text('major_name') }} as major_name,
        {{ try_cast_as('graduates', 'integer', 'integer') }} as graduates,
        {{ try_cast_as('employed', 'integer', 'integer') }} as employed,
        {{ try_cast_as('matched', 'integer', 'integer') }} as matched,
        {{ try_cast_as('in_province', 'integer', 'integer') }} as in_province,
        {{ try_cast_as('avg_starting_pay', 'double', 'double') }} as avg_starting_pay_yuan,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
