with

source as (
    select * from {{ source('xg', 'XG_XSXX') }}
    -- rows the source deleted stay in raw for audit (ingest's key reconciliation)
    where _deleted_at is null
),

renamed as (
    select
        {{ clean_text('XH') }} as student_number,
        {{ clean_text('XM') }} as student_name,
        {{ clean_text('BJMC') }} as class_name,
        {{ clean_text('FDYGH') }} as counsellor_staff_id,
        {{ clean_text('SSLH') }} as dorm_building,
        {{ clean_text('SSH') }} as dorm_room,
        {{ clean_text('JJKN') }} as financial_hardship_zh,
        {{ parse_source_timestamp('GXSJ') }} as updated_at,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
