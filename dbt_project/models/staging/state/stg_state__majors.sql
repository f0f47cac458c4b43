with

source as (
    select * from {{ source('state', 'a7_1_1') }}
),

renamed as (
    select
        {{ try_cast_as('collection_year', 'integer', 'integer') }} as collection_year,
        {{ clean_text('major_code') }} as major_code,
        {{ clean_text('major_name') }} as major_name,
        {{ clean_text('department') }} as department_name,
        {{ try_cast_as('years_of_study', 'integer', 'integer') }} as years_of_study,
        {{ try_cast_as('is_enrolling', 'boolean', 'boolean') }} as is_enrolling,
        {{ try_cast_as('first_enrolment_year', 'integer', 'integer') }} as first_enrolment_year,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
