{#- The one rule that judges an indicator value against its control point, kept in this
    one place (mart_quality__status calls it). Thresholds run from best to
    worst: target, standard, warning. 预警 is strictly beyond the warning value, so a
    value equal to the warning value is still 未达标; when the three values coincide
    (e.g. nights out 0/0/0) the best status wins: 0 is 达成目标 and 1 is 预警. A value
    without enough data behind it (denominator below min_denominator) or without a value
    at all gets 数据不足, never a warning. -#}
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
