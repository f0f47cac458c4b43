{#- The wide view of a layer mart: one row per entity and period, one column per indicator
    code (lower case), for people who write SQL by hand. `entity_columns` renames the
    long shape's entity_id / entity_name / unit_id for the layer. -#}
{% macro wide_indicators(mart, indicator_codes, entity_id_as, entity_name_as, unit_id_as) -%}
select
    entity_id as {{ entity_id_as }},
    entity_name as {{ entity_name_as }},
    unit_id as {{ unit_id_as }},
    period,
    {%- for code in indicator_codes %}
    max(value) filter (where indicator_code = '{{ code }}') as {{ code | lower }}{{ ',' if not loop.last }}
    {%- endfor %}
from {{ ref(mart) }}
group by entity_id, entity_name, unit_id, period
{%- endmacro %}
