with

source as (
    select * from {{ source('state', 'a5_1') }}
),

renamed as (
    select
        {{ try_cast_as('collection_year', 'integer', 'integer') }} as collection_year,
        {{ try_cast_as('tuition_income_wan', 'double', 'double') }} as tuition_income_wan,
        {{ try_cast_as('fiscal_recurrent_subsidy_wan', 'double', 'double') }} as fiscal_recurrent_subsidy_wan,
        {{ try_cast_as('special_fiscal_funding_wan', 'double', 'double') }} as special_fiscal_funding_wan,
        {{ try_cast_as('donations_wan', 'double', 'double') }} as donations_wan,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
