{#- Vendor systems write empty strings and padding where they mean "no value". -#}
{% macro clean_text(column) -%}
    nullif(trim(cast({{ column }} as varchar)), '')
{%- endmacro %}

{#- 是/否 flags of the HR system and the state platform. Anything else is unknown (null),
    never silently false. -#}
{% macro yes_no_flag(column) -%}
    case {{ clean_text(column) }} when '是' then true when '否' then false end
{%- endmacro %}

{#- Dates and times arrive as 'YYYY-MM-DD[ HH:MM:SS]' text; a value that does not parse
    becomes null. -#}
{% macro parse_source_date(column) -%}
    {{ try_cast_as(clean_text(column), 'date', trimmed=true) }}
{%- endmacro %}

{% macro parse_source_timestamp(column) -%}
    {{ try_cast_as(clean_text(column), 'timestamp', trimmed=true) }}
{%- endmacro %}
