-- 个人目标达成度: for each entity and period with own targets, the share of the control
-- points it set a 目标值 for whose value meets it (judged 达成目标 against that target).
-- A target that could not be judged (no value, 数据不足) is counted apart, not as missed.
with

own_targets as (
    select * from {{ ref('fct_own_target') }} where target_value is not null
),

judged as (
    select * from {{ ref('mart_quality__status') }} where threshold_origin = '本人'
),

targets as (
    select
        own_targets.layer,
        own_targets.entity_id,
        own_targets.period,
        own_targets.indicator_code,
        judged.entity_name,
        judged.unit_id,
        judged.unit_name,
        judged.status
    from own_targets
    left join judged
        on judged.indicator_code = own_targets.indicator_code
        and judged.entity_id = own_targets.entity_id
        and judged.period = own_targets.period
),

counted as (
    select
        layer,
        entity_id,
        max(entity_name) as entity_name,
        max(unit_id) as unit_id,
        max(unit_name) as unit_name,
        period,
        count(*) as own_targets,
        count(*) filter (where status is not null and status <> '数据不足') as judged_targets,
        count(*) filter (where status = '达成目标') as met_targets
    from targets
    group by layer, entity_id, period
)

select
    layer,
    entity_id,
    entity_name,
    unit_id,
    unit_name,
    counted.period,
    own_targets,
    judged_targets,
    met_targets,
    case when judged_targets > 0 then 100.0 * met_targets / judged_targets end as achievement_rate,
    {{ period_columns('periods') }}
from counted
left join {{ ref('dim_period') }} as periods on periods.period = counted.period
