{#- Models land in exactly the schema they are configured with (the folder names: staging,
    intermediate, core, data_quality, marts; snapshots; registry for the seeds), not in
    "<target schema>_<custom schema>": analysts and the rest of zhengai use these fixed names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
