{#- Months of the task board and the plan workbooks, as 'YYYY-MM' text. -#}

{#- The month the board runs up to: var as_of_month ('YYYY-MM', the nightly run passes the
    school's month), else today's month. A month, not a date: a var that changes only monthly
    lets dbt keep its parsed project from one run to the next. -#}
{% macro as_of_month() -%}
    {%- set as_of = var('as_of_month', none) -%}
    {%- if as_of -%}
        {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}$', as_of | string) -%}
            {{ exceptions.raise_compiler_error("var as_of_month must be YYYY-MM, got " ~ as_of) }}
        {%- endif -%}
        '{{ (as_of | string)[:7] }}'
    {%- else -%}
        {{ month_label('current_date') }}
    {%- endif -%}
{%- endmacro %}

{#- A 'YYYY-MM' month as a count of months (year × 12 + month): months apart subtract. -#}
{% macro month_number(month_text) -%}
    (cast(substr({{ month_text }}, 1, 4) as integer) * 12 + cast(substr({{ month_text }}, 6, 2) as integer))
{%- endmacro %}

{#- A department name as people type it, compared with the registry's: blanks at either end
    and the width of brackets do not count (ingest's plan_workbook.department_key, which
    refused every other name). -#}
{% macro department_name_key(name) -%}
    replace(replace(regexp_replace({{ name }}, '^[ \t　]+|[ \t　]+$', '', 'g'), '（', '('), '）', ')')
{%- endmacro %}
