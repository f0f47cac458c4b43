with

source as (
    select * from {{ source('jw', 'JW_JH_KCDMB') }}
),

renamed as (
    select
        {{ clean_text('KCH_ID') }} as course_id,
        {{ clean_text('KCH') }} as course_code,
        {{ clean_text('KCMC') }} as course_name,
        {{ try_cast_as('XF', 'double', 'double') }} as credits,
        {{ try_cast_as('ZXS', 'double', 'double') }} as total_periods,
        {{ clean_text('KCXZ') }} as course_type_zh,
        {{ clean_text('KKBM_ID') }} as offering_org_id,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
