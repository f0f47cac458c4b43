with

source as (
    select * from {{ source('jw', 'ZFTAL_XTGL_BJDMB') }}
),

renamed as (
    select
        {{ clean_text('BH_ID') }} as class_id,
        {{ clean_text('BJ') }} as class_name,
        {{ clean_text('ZYH_ID') }} as major_id,
        {{ try_cast_as('NJDM_ID', 'integer', 'bigint') }} as cohort_year,
        {{ clean_text('JG_ID') }} as org_id,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
