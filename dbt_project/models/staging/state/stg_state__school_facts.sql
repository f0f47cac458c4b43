with

source as (
    select * from {{ source('state', 'a1') }}
),

renamed as (
    select
        {{ try_cast_as('collection_year', 'integer', 'integer') }} as collection_year,
        {{ clean_text('school_code') }} as school_code,
        {{ clean_text('school_name') }} as school_name,
        {{ clean_text('sponsor') }} as sponsor,
        {{ clean_text('province') }} as province,
        {{ try_cast_as('founded_year', 'integer') }} as founded_year,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
