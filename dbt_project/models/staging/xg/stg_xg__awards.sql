with

source as (
    select * from {{ source('xg', 'XG_JZXJ') }}
),

renamed as (
    select
        {{ clean_text('JL_ID') }} as award_id,
        {{ clean_text('XH') }} as student_number,
        {{ clean_text('MC') }} as award_name,
        {{ clean_text('LB') }} as award_kind_zh,
        case trim(LB) when '奖学金' then 'scholarship' when '助学金' then 'grant' when '荣誉称号' then 'honour' end
            as award_kind,
        {{ clean_text('JB') }} as award_level_zh,
        {{ try_cast_as('JE', 'double', 'double') }} as amount_yuan,
        {{ parse_source_date('RQ') }} as award_date,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
