with

source as (
    select * from {{ source('state', 'a6_3') }}
),

renamed as (
    select
        {{ try_cast_as('collection_year', 'integer', 'integer') }} as collection_year,
        {{ clean_text('external_no') }} as external_teacher_id,
        {{ clean_text('name') }} as teacher_name,
        {{ clean_text('employer') }} as employer_name,
        {{ clean_text('title') }} as title,
        {{ try_cast_as('periods_this_year', 'double', 'double') }} as periods_this_year,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
