-- The rows of the quality office's plan workbooks ingest refused, one per workbook row and
-- reason, for whoever fixes the workbook: where, why, and when it was last refused (a row
-- fixed or removed is not refused again).
with refused as (
    select * from {{ ref('stg_meta__quarantine') }} where source_system = 'plan'
)

select
    table_name,
    split_part(origin, '!', 1) as workbook,
    split_part(split_part(origin, '!', 2), ' row ', 1) as sheet,
    {{ try_cast_as("split_part(origin, ' row ', 2)", 'integer') }} as sheet_row,
    rule,
    detail,
    min(quarantined_at) as first_refused_at,
    max(quarantined_at) as last_refused_at
from refused
group by table_name, origin, rule, detail
