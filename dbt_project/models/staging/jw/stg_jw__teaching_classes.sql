with

source as (
    select * from {{ source('jw', 'JW_JXRW_JXBXXB') }}
    -- rows the source deleted stay in raw for audit (ingest's key reconciliation)
    where _deleted_at is null
),

renamed as (
    select
        {{ clean_text('JXB_ID') }} as teaching_class_id,
        {{ clean_text('JXBMC') }} as teaching_class_name,
        {{ clean_text('KCH_ID') }} as course_id,
        {{ try_cast_as('XNM', 'integer', 'bigint') }} as school_year_start,
        {{ clean_text('XQM') }} as term_code,
        {{ term_name(try_cast_as('XNM', 'integer', 'bigint'), 'XQM') }} as term_name,
        {{ clean_text('JGH_ID') }} as teacher_staff_id,
        {{ try_cast_as('ZXS', 'double', 'double') }} as total_periods,
        {{ clean_text('KKBM_ID') }} as offering_org_id,
        {{ parse_source_timestamp('GXSJ') }} as updated_at,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
