{#- The last step of every layer mart (vars.indicator_marts): its rows in the long shape
    (indicator_code, entity_id, entity_name, unit_id, period, value, numerator, denominator,
    as the CTE `indicators` gives them), then the period's columns from dim_period, and the
    labels an analyst reads: the control point's Chinese name and unit of measure, the unit's
    name (registry) and the status. The status is the one rule (quality_status) against the
    same thresholds and the same rounded value as mart_quality__status, which the data test
    matches_quality_status holds it to. -#}
{% macro long_shape(indicators) -%}
select
    {{ indicators }}.indicator_code,
    {{ indicators }}.entity_id,
    {{ indicators }}.entity_name,
    {{ indicators }}.unit_id,
    {{ indicators }}.period,
    {{ indicators }}.value,
    {{ indicators }}.numerator,
    {{ indicators }}.denominator,
    {{ period_columns('periods') }},
    control_points.name_zh as indicator_name_zh,
    control_points.unit as indicator_unit,
    units.name_zh as unit_name,
    {{ quality_status(
        round_float(indicators ~ '.value', 9), indicators ~ '.denominator', 'control_points.direction',
        'coalesce(own_targets.target_value, control_points.target_value)',
        'coalesce(own_targets.standard_value, control_points.standard_value)',
        'coalesce(own_targets.warning_value, control_points.warning_value)', 'control_points.min_denominator'
    ) }} as status
from {{ indicators }}
left join {{ ref('dim_period') }} as periods on periods.period = {{ indicators }}.period
left join {{ ref('quality_control_points') }} as control_points
    on control_points.code = {{ indicators }}.indicator_code
left join {{ ref('departments') }} as units on units.department_code = {{ indicators }}.unit_id
left join {{ ref('fct_own_target') }} as own_targets
    on own_targets.indicator_code = {{ indicators }}.indicator_code
    and own_targets.entity_id = {{ indicators }}.entity_id
    and own_targets.period = {{ indicators }}.period
{%- endmacro %}

{#- The columns a mart row with a period carries so a BI tool can build a time axis and
    lag() compares like with like: `periods` is dim_period joined on the row's period. -#}
{% macro period_columns(periods) -%}
    {{ periods }}.period_type,
    {{ periods }}.period_label_zh,
    {{ periods }}.school_year,
    {{ periods }}.period_start,
    {{ periods }}.period_end
{%- endmacro %}
