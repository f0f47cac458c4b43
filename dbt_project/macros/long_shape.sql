{#- The last step of every layer mart (vars.indicator_marts): its rows in the long shape
    (indicator_code, entity_id, entity_name, unit_id, period, value, numerator, denominator,
    as the CTE `indicators` gives them) followed by the period's columns from dim_period. -#}
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
    {{ period_columns('periods') }}
from {{ indicators }}
left join {{ ref('dim_period') }} as periods on periods.period = {{ indicators }}.period
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
