-- SFZH (national id) and SJHM (phone) stay in raw. The work e-mail is kept: it is how a
-- counsellor or teacher is reached about a warning, and it is not private data.
with

source as (
    select * from {{ source('hr', 'RS_JZGJBXX') }}
    -- rows the source deleted stay in raw for audit (ingest's key reconciliation)
    where _deleted_at is null
),

renamed as (
    select
        {{ clean_text('GH') }} as staff_id,
        {{ clean_text('XM') }} as staff_name,
        case trim(XB) when '男' then 'male' when '女' then 'female' end as gender,
        {{ parse_source_date('CSRQ') }} as birth_date,
        {{ clean_text('DZYX') }} as work_email,
        {{ clean_text('BMDM') }} as hr_department_code,
        {{ clean_text('RYLB') }} as staff_category_zh,
        case trim(RYLB)
            when '专任教师' then 'full_time_teacher'
            when '辅导员' then 'counsellor'
            when '行政管理' then 'administration'
            when '教辅' then 'teaching_support'
            when '工勤' then 'service'
            when '校外兼职' then 'external_part_time'
        end as staff_category,
        {{ clean_text('ZC') }} as title,
        {{ clean_text('ZCJB') }} as title_level_zh,
        case trim(ZCJB)
            when '正高' then 'full_senior'
            when '副高' then 'associate_senior'
            when '中级' then 'intermediate'
            when '初级' then 'junior'
            when '无' then 'none'
        end as title_level,
        {{ clean_text('XL') }} as education_zh,
        {{ clean_text('XW') }} as degree_zh,
        {{ yes_no_flag('SFSS') }} as is_dual_qualified,
        {{ yes_no_flag('SFGG') }} as is_key_teacher,
        {{ yes_no_flag('SFZYDTR') }} as is_major_leader,
        {{ parse_source_date('RZRQ') }} as hire_date,
        {{ clean_text('ZT') }} as employment_status_zh,
        case trim(ZT) when '在职' then 'active' when '离职' then 'left' when '退休' then 'retired' end
            as employment_status,
        {{ parse_source_timestamp('GXSJ') }} as updated_at,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
