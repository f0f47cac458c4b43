{#- 教务 names a term by XNM (the calendar year the school year starts) and XQM
    ('3' autumn, '12' spring). zhengai names it '2024-2025-1' / '2024-2025-2'. -#}
{% macro school_year_name(school_year_start) -%}
    cast({{ school_year_start }} as varchar) || '-' || cast({{ school_year_start }} + 1 as varchar)
{%- endmacro %}

{% macro term_number(term_code) -%}
    case {{ try_cast_as(term_code, 'integer') }} when 3 then 1 when 12 then 2 end
{%- endmacro %}

{% macro term_name(school_year_start, term_code) -%}
    {{ school_year_name(school_year_start) }} || '-' || cast({{ term_number(term_code) }} as varchar)
{%- endmacro %}

{#- The school year runs from 1 September to 31 August (the state platform counts as of
    31 August). A date belongs to the school year that starts in its calendar year when it
    falls in September or later, otherwise to the one that started the year before. -#}
{% macro school_year_start_of(date_expr) -%}
    case when {{ date_part_number('month', date_expr) }} >= 9 then {{ date_part_number('year', date_expr) }}
        else {{ date_part_number('year', date_expr) }} - 1 end
{%- endmacro %}

{% macro school_year_of(date_expr) -%}
    {{ school_year_name(school_year_start_of(date_expr)) }}
{%- endmacro %}

{% macro school_year_first_day(school_year_start) -%}
    {{ date_from_parts(school_year_start, 9, 1) }}
{%- endmacro %}

{% macro school_year_last_day(school_year_start) -%}
    {{ date_from_parts(school_year_start ~ ' + 1', 8, 31) }}
{%- endmacro %}
