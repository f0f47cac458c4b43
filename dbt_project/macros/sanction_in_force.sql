{#- A sanction counts for a period (a term) when it was imposed by the period's last
    day and had not been lifted before the period's first day. A sanction lifted during
    the term still counts for that term: the student carried it for part of the term,
    and the control point asks who carried a sanction, not who carries one today. -#}
{% macro sanction_in_force(violation_date, lifted_date, period_start, period_end) -%}
    ({{ violation_date }} <= {{ period_end }}
     and ({{ lifted_date }} is null or {{ lifted_date }} >= {{ period_start }}))
{%- endmacro %}
