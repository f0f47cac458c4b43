with

source as (
    select * from {{ source('jw', 'ZFTAL_XTGL_ZYDMB') }}
),

renamed as (
    select
        {{ clean_text('ZYH_ID') }} as major_id,
        {{ clean_text('ZYDM') }} as major_code,
        {{ clean_text('ZYMC') }} as major_name,
        {{ clean_text('JG_ID') }} as org_id,
        {{ try_cast_as('XZ', 'integer', 'bigint') }} as years_of_study,
        {{ try_cast_as('ZT', 'integer', 'bigint') }} = 1 as is_enrolling,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
