-- Rows ingest set aside (meta.quarantine). The column a rule is about is written first in
-- `detail` ("KQZT: '9' is not one of ...", "required column SKRQ is empty"), so it is split
-- out for the engineers' reports.
-- raw_values stays in meta: a quarantined register row would carry national ids and phones;
-- only where a workbook row came from (`_origin`) is taken out of it.
with

source as (
    select * from {{ source('meta', 'quarantine') }}
),

renamed as (
    select
        {{ clean_text('run_id') }} as run_id,
        {{ clean_text('source.source') }} as source_system,
        {{ clean_text('table_name') }} as table_name,
        'raw_' || {{ clean_text('source.source') }} || '.' || {{ clean_text('table_name') }} as source_table,
        {{ clean_text('row_key') }} as row_key,
        {{ clean_text('rule') }} as rule,
        {{ clean_text('detail') }} as detail,
        case
            when trim(rule) in ('null_key', 'null_required') then nullif(trim(split_part(trim(detail), ' ', 3)), '')
            when position(':' in detail) > 0 and position(' ' in trim(split_part(detail, ':', 1))) = 0
            then nullif(trim(split_part(detail, ':', 1)), '')
        end as column_name,
        {{ json_text_field('raw_values', '_origin') }} as origin,
        {{ try_cast_as('quarantined_at', 'timestamp', 'timestamp') }} as quarantined_at
    from source
)

select * from renamed
