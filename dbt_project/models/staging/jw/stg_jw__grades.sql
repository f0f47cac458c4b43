-- CJ stays text here: its meaning (number, grade word, 缺考/作弊/缓考) is decoded in fct_grade.
with

source as (
    select * from {{ source('jw', 'JW_CJ_XSCJB') }}
    -- rows the source deleted stay in raw for audit (ingest's key reconciliation)
    where _deleted_at is null
),

renamed as (
    select
        {{ clean_text('CJ_ID') }} as grade_id,
        {{ clean_text('XH_ID') }} as student_id,
        {{ clean_text('JXB_ID') }} as teaching_class_id,
        {{ clean_text('KCH_ID') }} as course_id,
        {{ try_cast_as('XNM', 'integer', 'bigint') }} as school_year_start,
        {{ clean_text('XQM') }} as term_code,
        {{ term_name(try_cast_as('XNM', 'integer', 'bigint'), 'XQM') }} as term_name,
        {{ clean_text('CJ') }} as grade_text,
        {{ try_cast_as('XF', 'double', 'double') }} as credits,
        {{ try_cast_as('JD', 'double', 'double') }} as grade_point,
        {{ clean_text('KSXZ') }} as exam_type_zh,
        case trim(KSXZ)
            when '正常考试' then 'regular'
            when '补考' then 'make_up'
            when '重修' then 'retake'
        end as exam_type,
        {{ parse_source_timestamp('GXSJ') }} as updated_at,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
