-- Every value of every layer mart (var indicator_marts) judged by the one rule, macro
-- quality_status, against the registry or the entity's own target (个体目标). Values are
-- rounded to 9 decimals first: a sum of doubles carries noise that depends on row order, and
-- the same data must get the same status on every run and on both engines. The layer marts
-- keep full precision.
with mart_values as (
    {%- for mart in var('indicator_marts') %}
    select indicator_code, entity_id, entity_name, unit_id, period, {{ round_float('value', 9) }} as value,
        numerator, denominator,
        count(*) over (partition by indicator_code, entity_id, period) as copies
    from {{ ref(mart) }}
    -- a value without a period or entity cannot be judged: data_quality.dq_unjudged_records lists it
    where period is not null and entity_id is not null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

-- Two values for one entity and period cannot both be right: neither is judged (the ledger
-- keeps one warning per entity and period), and dq_unjudged_records lists them.
indicator_values as (
    select indicator_code, entity_id, entity_name, unit_id, period, value, numerator, denominator
    from mart_values
    where copies = 1
),

control_points as (
    select * from {{ ref('quality_control_points') }}
),

departments as (
    select * from {{ ref('departments') }}
),

-- An entity's own target (个体目标) replaces the registry's thresholds for its period.
own_targets as (
    select * from {{ ref('fct_own_target') }}
),

-- The grade bands shown beside the task control points' status.
task_policy as (
    select * from {{ ref('task_policy') }}
),

control_points_without_data as (
    select
        control_points.code as indicator_code,
        'ALL' as entity_id,
        '无数据 · no data' as entity_name,
        cast(null as varchar) as unit_id,
        (select max(school_year) from {{ ref('dim_school_year') }}) as period,
        cast(null as double precision) as value,
        cast(null as double precision) as numerator,
        cast(null as double precision) as denominator
    from control_points
    where control_points.code not in (select indicator_code from indicator_values where indicator_code is not null)
),

all_values as (
    select * from indicator_values
    union all
    select * from control_points_without_data
)

select
    all_values.indicator_code,
    control_points.layer,
    control_points.entity_type,
    control_points.name_zh as indicator_name_zh,
    control_points.unit as indicator_unit,
    all_values.entity_id,
    all_values.entity_name,
    all_values.unit_id,
    departments.name_zh as unit_name,
    all_values.period,
    all_values.value,
    all_values.numerator,
    all_values.denominator,
    control_points.direction,
    coalesce(own_targets.target_value, control_points.target_value) as target_value,
    coalesce(own_targets.standard_value, control_points.standard_value) as standard_value,
    coalesce(own_targets.warning_value, control_points.warning_value) as warning_value,
    control_points.min_denominator,
    {{ quality_status(
        'all_values.value', 'all_values.denominator', 'control_points.direction',
        'coalesce(own_targets.target_value, control_points.target_value)',
        'coalesce(own_targets.standard_value, control_points.standard_value)',
        'coalesce(own_targets.warning_value, control_points.warning_value)', 'control_points.min_denominator'
    ) }} as status,
    control_points.owner_department_code,
    control_points.to_unit,
    case when own_targets.indicator_code is not null then '本人' else '学校' end as threshold_origin,
    case
        when all_values.indicator_code in ('DEP_TASK_ACHIEVEMENT', 'SCH_TASK_ACHIEVEMENT')
             and all_values.value is not null then
            case
                when all_values.value >= task_policy.grade_met_from then '达标'
                when all_values.value >= task_policy.grade_basically_met_from then '基本达标'
                else '不达标'
            end
    end as achievement_grade,
    {{ period_columns('periods') }}
from all_values
left join control_points on control_points.code = all_values.indicator_code
left join departments on departments.department_code = all_values.unit_id
left join own_targets
    on own_targets.indicator_code = all_values.indicator_code
    and own_targets.entity_id = all_values.entity_id
    and own_targets.period = all_values.period
left join task_policy on 1 = 1
left join {{ ref('dim_period') }} as periods on periods.period = all_values.period
