{#- The one rule that judges an indicator value against its control point (called by
    mart_quality__status only). Thresholds run from best to worst: target, standard, warning;
    预警 is strictly beyond the warning value. When they coincide (nights out 0/0/0) the best
    status wins. Without a value, or with a denominator below min_denominator: 数据不足. -#}
{% macro quality_status(value, denominator, direction, target, standard, warning, min_denominator) -%}
    case
        when {{ value }} is null then '数据不足'
        when {{ min_denominator }} is not null
             and coalesce({{ denominator }}, 0) < {{ min_denominator }} then '数据不足'
        when {{ direction }} = 'higher' then
            case
                when {{ value }} >= {{ target }} then '达成目标'
                when {{ value }} >= {{ standard }} then '达标'
                when {{ value }} >= {{ warning }} then '未达标'
                else '预警'
            end
        when {{ direction }} = 'lower' then
            case
                when {{ value }} <= {{ target }} then '达成目标'
                when {{ value }} <= {{ standard }} then '达标'
                when {{ value }} <= {{ warning }} then '未达标'
                else '预警'
            end
    end
{%- endmacro %}
