with

source as (
    select * from {{ source('state', 'a10_1') }}
),

renamed as (
    select
        {{ try_cast_as('collection_year', 'integer', 'integer') }} as collection_year,
        {{ clean_text('major_code') }} as major_code,
        {{ clean_text('major_name') }} as major_name,
        {{ try_cast_as('cohort', 'integer', 'integer') }} as cohort_year,
        {{ try_cast_as('students', 'integer', 'integer') }} as students,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
