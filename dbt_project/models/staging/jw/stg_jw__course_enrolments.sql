-- The source key is JXB_ID + XH_ID; enrolment_id joins them into one column.
with

source as (
    select * from {{ source('jw', 'JW_XK_XSXKB') }}
    -- rows the source deleted stay in raw for audit (ingest's key reconciliation)
    where _deleted_at is null
),

renamed as (
    select
        {{ clean_text('JXB_ID') }} || '-' || {{ clean_text('XH_ID') }} as enrolment_id,
        {{ clean_text('JXB_ID') }} as teaching_class_id,
        {{ clean_text('XH_ID') }} as student_id,
        {{ try_cast_as('XNM', 'integer', 'bigint') }} as school_year_start,
        {{ clean_text('XQM') }} as term_code,
        {{ term_name(try_cast_as('XNM', 'integer', 'bigint'), 'XQM') }} as term_name,
        {{ parse_source_timestamp('GXSJ') }} as updated_at,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
