-- Every value of every layer mart (var indicator_marts) judged by the one rule, macro
-- quality_status, against the registry. Values are rounded to 9 decimals first: a sum of
-- doubles carries noise that depends on row order, and the same data must get the same status
-- on every run and on both engines. The layer marts keep full precision.
with indicator_values as (
    {%- for mart in var('indicator_marts') %}
    select indicator_code, entity_id, entity_name, unit_id, period, {{ round_float('value', 9) }} as value,
        numerator, denominator
    from {{ ref(mart) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

control_points as (
    select * from {{ ref('quality_control_points') }}
),

departments as (
    select * from {{ ref('departments') }}
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
    control_points.target_value,
    control_points.standard_value,
    control_points.warning_value,
    control_points.min_denominator,
    {{ quality_status(
        'all_values.value', 'all_values.denominator', 'control_points.direction',
        'control_points.target_value', 'control_points.standard_value',
        'control_points.warning_value', 'control_points.min_denominator'
    ) }} as status,
    control_points.owner_department_code,
    control_points.to_unit
from all_values
left join control_points on control_points.code = all_values.indicator_code
left join departments on departments.department_code = all_values.unit_id
