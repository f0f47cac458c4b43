-- Own targets (个体目标) ingest accepted: each refines one control point for one entity and
-- period; an empty value keeps the registry's (applied in mart_quality__status).
with

own_targets as (
    select * from {{ ref('stg_plan__own_targets') }}
)

select
    school_year,
    layer,
    layer_zh,
    entity_id,
    indicator_code,
    period,
    target_value,
    standard_value,
    warning_value,
    set_by_staff_id,
    set_on
from own_targets
