with

source as (
    select * from {{ source('state', 'a6_1') }}
),

renamed as (
    select
        {{ try_cast_as('collection_year', 'integer', 'integer') }} as collection_year,
        {{ clean_text('staff_no') }} as staff_id,
        {{ clean_text('name') }} as staff_name,
        {{ clean_text('gender') }} as gender_zh,
        {{ clean_text('birth_month') }} as birth_month,
        {{ clean_text('department') }} as department_name,
        {{ clean_text('education') }} as education_zh,
        {{ clean_text('degree') }} as degree_zh,
        {{ clean_text('title') }} as title,
        {{ clean_text('title_level') }} as title_level_zh,
        {{ try_cast_as('is_dual_qualified', 'boolean', 'boolean') }} as is_dual_qualified,
        {{ try_cast_as('is_key_teacher', 'boolean', 'boolean') }} as is_key_teacher,
        {{ try_cast_as('industry_months', 'double', 'double') }} as industry_months,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
