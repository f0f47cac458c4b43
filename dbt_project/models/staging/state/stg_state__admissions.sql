with

source as (
    select * from {{ source('state', 'a7_6_1') }}
),

renamed as (
    select
        {{ try_cast_as('collection_year', 'integer', 'integer') }} as collection_year,
        {{ clean_text('major_code') }} as major_code,
        {{ clean_text('major_name') }} as major_name,
        {{ try_cast_as('planned', 'integer', 'integer') }} as planned,
        {{ try_cast_as('admitted', 'integer', 'integer') }} as admitted,
        {{ try_cast_as('reported', 'integer', 'integer') }} as reported,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
