{#- Models land in exactly the schema they are configured with (staging, core, marts,
    registry), not in "<target schema>_<custom schema>": analysts and the other parts of
    zhengai address them by these fixed names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
