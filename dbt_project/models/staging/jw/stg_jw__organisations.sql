with

source as (
    select * from {{ source('jw', 'ZFTAL_XTGL_JGDMB') }}
),

renamed as (
    select
        {{ clean_text('JG_ID') }} as org_id,
        {{ clean_text('JGDM') }} as department_code,
        {{ clean_text('JGMC') }} as org_name,
        {{ clean_text('LX') }} as org_type_zh,
        case trim(LX) when '教学单位' then 'college' when '职能部门' then 'office' end as kind,
        {{ clean_text('LSJG_ID') }} as parent_org_id,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
