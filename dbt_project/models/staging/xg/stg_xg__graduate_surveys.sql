with

source as (
    select * from {{ source('xg', 'XG_GZDC') }}
),

renamed as (
    select
        {{ clean_text('DC_ID') }} as survey_answer_id,
        {{ clean_text('XH') }} as student_number,
        {{ try_cast_as('BYNF', 'integer', 'bigint') }} as graduation_year,
        {{ try_cast_as('BYSMYD', 'integer', 'bigint') }} as graduate_satisfaction,
        {{ try_cast_as('DWMYD', 'integer', 'bigint') }} as employer_satisfaction,
        {{ parse_source_date('DCRQ') }} as survey_date,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
