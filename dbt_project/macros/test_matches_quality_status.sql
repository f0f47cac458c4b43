{#- A layer mart's labels and status are those mart_quality__status gives the same
    (indicator_code, entity_id, period): the status is judged once by one rule. -#}
{% test matches_quality_status(model) %}
select layer_rows.indicator_code, layer_rows.entity_id, layer_rows.period
from {{ model }} as layer_rows
left join {{ ref('mart_quality__status') }} as judged
    on judged.indicator_code = layer_rows.indicator_code
    and judged.entity_id = layer_rows.entity_id
    and judged.period = layer_rows.period
where judged.status is distinct from layer_rows.status
    or judged.indicator_name_zh is distinct from layer_rows.indicator_name_zh
    or judged.indicator_unit is distinct from layer_rows.indicator_unit
    or judged.unit_name is distinct from layer_rows.unit_name
{% endtest %}
