with

source as (
    select * from {{ source('hr', 'RS_BMXX') }}
),

renamed as (
    select
        {{ clean_text('BMDM') }} as hr_department_code,
        {{ clean_text('BMMC') }} as department_name,
        {{ clean_text('SJBMDM') }} as parent_hr_department_code,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
