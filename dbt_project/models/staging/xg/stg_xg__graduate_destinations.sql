-- The source key is XH + BYNF; destination_id joins them into one column.
with

source as (
    select * from {{ source('xg', 'XG_BYQX') }}
    -- rows the source deleted stay in raw for audit (ingest's key reconciliation)
    where _deleted_at is null
),

renamed as (
    select
        {{ clean_text('XH') }} || '-' || cast({{ try_cast_as('BYNF', 'integer', 'bigint') }} as varchar) as destination_id,
        {{ clean_text('XH') }} as student_number,
        {{ try_cast_as('BYNF', 'integer', 'bigint') }} as graduation_year,
        {{ clean_text('QXLX') }} as destination_type_zh,
        case trim(QXLX)
            when '签约就业' then 'contract_employment'
            when '灵活就业' then 'flexible_employment'
            when '升学' then 'further_study'
            when '参军入伍' then 'military_service'
            when '自主创业' then 'self_employment'
            when '待就业' then 'unemployed'
        end as destination_type,
        {{ clean_text('DWMC') }} as employer_name,
        {{ yes_no_flag('SFDK') }} as matches_major,
        {{ try_cast_as('YX', 'double', 'double') }} as monthly_pay_yuan,
        {{ clean_text('JYSF') }} as work_province,
        {{ parse_source_timestamp('GXSJ') }} as updated_at,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
