{#- The school as an entity: the school code of state sheet A1 (the latest workbook's), or
    SCHOOL when no workbook gave one. One row: school_id, school_name. -#}
{% macro school_identity() -%}
    select
        coalesce({{ max_by_value('school_code', 'collection_year') }}, 'SCHOOL') as school_id,
        {{ max_by_value('school_name', 'collection_year') }} as school_name
    from {{ ref('fct_state_school_year') }}
    where school_code is not null
{%- endmacro %}
