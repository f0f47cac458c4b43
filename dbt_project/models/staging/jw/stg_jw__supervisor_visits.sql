with

source as (
    select * from {{ source('jw', 'JW_DD_TKJLB') }}
),

renamed as (
    select
        {{ clean_text('TK_ID') }} as visit_id,
        {{ clean_text('JXB_ID') }} as teaching_class_id,
        {{ clean_text('JGH_ID') }} as teacher_staff_id,
        {{ parse_source_date('TKRQ') }} as visit_date,
        {{ try_cast_as('PF', 'double', 'double') }} as score,
        {{ clean_text('DDR') }} as supervisor,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
