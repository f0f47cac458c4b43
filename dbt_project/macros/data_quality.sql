{#- Records of a staging model that did not enter its core fact, with the first reason
    that applies. "Staging minus the fact" (by key), so every source record is either in
    core or listed here; `checks` is a list of (reason, condition on the staging row `s`)
    and a record that matches none is 'other' (a data test rejects it: the fact and its
    checks have drifted apart). -#}
{% macro excluded_records(source_table, staging_model, key, fact_model, entity_key, checks) -%}
select
    '{{ source_table }}' as source_table,
    cast(s.{{ key }} as varchar) as record_id,
    cast(s.{{ entity_key }} as varchar) as entity_key,
    s._load_id,
    case
        when s.{{ key }} is null then 'missing_record_id'
        {%- for reason, condition in checks %}
        when {{ condition }} then '{{ reason }}'
        {%- endfor %}
        else 'other'
    end as reason
from (select * from {{ ref(staging_model) }} {{ keep_latest_per_key(key) }}) as s
where not exists (select 1 from {{ ref(fact_model) }} as f where f.{{ key }} = s.{{ key }})
{%- endmacro %}

{#- Condition "this key has no row in that model" for excluded_records checks. -#}
{% macro key_not_in(column, model, model_column) -%}
    ({{ column }} is null or {{ column }} not in (select {{ model_column }} from {{ ref(model) }} where {{ model_column }} is not null))
{%- endmacro %}

{#- Foreign-key values of a staging model that point at nothing, counted per value.
    `source_column` is the vendor's column name, for the engineers. -#}
{% macro orphan_keys(fact_model, source_table, staging_model, column, source_column, dim_model, dim_column) -%}
select
    '{{ fact_model }}' as fact_model,
    '{{ source_table }}' as source_table,
    '{{ source_column }}' as key_column,
    '{{ dim_model }}.{{ dim_column }}' as references_column,
    cast(s.{{ column }} as varchar) as key_value,
    count(*) as records
from {{ ref(staging_model) }} as s
where s.{{ column }} is not null
    and not exists (select 1 from {{ ref(dim_model) }} as d where d.{{ dim_column }} = s.{{ column }})
group by s.{{ column }}
{%- endmacro %}

{#- Values of a coded source column that staging could not decode: `decoded` (an
    expression) is null while the source value is not. -#}
{% macro undecoded_codes(source_table, model, source_column, code_column, decoded) -%}
select
    '{{ source_table }}' as source_table,
    '{{ source_column }}' as column_name,
    cast({{ code_column }} as varchar) as code_value,
    count(*) as records
from {{ ref(model) }}
where {{ code_column }} is not null and ({{ decoded }}) is null
group by {{ code_column }}
{%- endmacro %}

{#- Keys that occur more than once in a staging model (the core keeps the latest load). -#}
{% macro duplicate_keys(source_table, staging_model, key) -%}
select
    '{{ source_table }}' as source_table,
    cast({{ key }} as varchar) as record_key,
    count(*) - 1 as duplicate_rows
from {{ ref(staging_model) }}
where {{ key }} is not null
group by {{ key }}
having count(*) > 1
{%- endmacro %}
