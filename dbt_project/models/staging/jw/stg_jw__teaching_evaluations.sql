with

source as (
    select * from {{ source('jw', 'JW_PJ_XSPFB') }}
),

renamed as (
    select
        {{ clean_text('PJ_ID') }} as evaluation_id,
        {{ clean_text('JXB_ID') }} as teaching_class_id,
        {{ clean_text('JGH_ID') }} as teacher_staff_id,
        {{ clean_text('XH_ID') }} as student_id,
        {{ clean_text('XH_ID') }} is null as is_anonymous,
        {{ try_cast_as('ZF', 'double', 'double') }} as total_score,
        {{ parse_source_timestamp('PJSJ') }} as evaluated_at,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
