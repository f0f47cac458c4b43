{#- Records of a staging model that did not enter its core fact, with the first reason
    that applies. "Staging minus the fact" (by key), so every source record is either in
    core or listed here; `checks` is a list of (reason, condition on the staging row `s`,
    the vendor column the reason is about) and a record that matches none is 'other' (a data
    test rejects it: the fact and its checks have drifted apart). `key_column` is the vendor
    name of the key, so the engineers can find the row in the source system. -#}
{% macro excluded_records(source_table, staging_model, key, key_column, fact_model, entity_key, checks) -%}
select
    '{{ source_table }}' as source_table,
    cast(s.{{ key }} as varchar) as record_id,
    cast(s.{{ entity_key }} as varchar) as entity_key,
    s._load_id,
    case
        when s.{{ key }} is null then 'missing_record_id'
        {%- for reason, condition, column in checks %}
        when {{ condition }} then '{{ reason }}'
        {%- endfor %}
        else 'other'
    end as reason,
    '{{ key_column }}' as key_column,
    case
        when s.{{ key }} is null then '{{ key_column }}'
        {%- for reason, condition, column in checks %}
        when {{ condition }} then '{{ column }}'
        {%- endfor %}
    end as column_name
{#- keys missing from the model first (few), then the latest copy of those -#}
{%- set missing -%}
    (select * from {{ ref(staging_model) }} as staged
     where not exists (select 1 from {{ ref(fact_model) }} as f where f.{{ key }} = staged.{{ key }}))
{%- endset %}
from {{ latest_per_key(missing, key) }} as s
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

{#- orphan_keys on a classified intermediate (int_jw__check_ins_classified,
    int_xg__dorm_checks_classified): a key that points at nothing keeps its record out of
    the fact, so only the excluded rows (few) are probed. Each row stands for itself and
    its duplicate copies, as the staging rows orphan_keys counts. -#}
{% macro orphan_keys_classified(fact_model, source_table, classified_model, column, source_column, dim_model, dim_column) -%}
select
    '{{ fact_model }}' as fact_model,
    '{{ source_table }}' as source_table,
    '{{ source_column }}' as key_column,
    '{{ dim_model }}.{{ dim_column }}' as references_column,
    cast(c.{{ column }} as varchar) as key_value,
    cast(sum(1 + c.duplicate_copies) as bigint) as records
from {{ ref(classified_model) }} as c
where c.exclusion_reason is not null
    and c.{{ column }} is not null
    and not exists (select 1 from {{ ref(dim_model) }} as d where d.{{ dim_column }} = c.{{ column }})
group by c.{{ column }}
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

{#- duplicate_keys of a classified intermediate: it kept the latest copy of each key and
    counted the others in duplicate_copies. -#}
{% macro duplicate_keys_classified(source_table, classified_model, key) -%}
select
    '{{ source_table }}' as source_table,
    cast({{ key }} as varchar) as record_key,
    duplicate_copies as duplicate_rows
from {{ ref(classified_model) }}
where duplicate_copies > 0
{%- endmacro %}

{#- excluded_records of a classified intermediate: its rows with an exclusion_reason;
    `columns` names the vendor column of each reason. -#}
{% macro excluded_records_classified(source_table, classified_model, key, key_column, entity_key, columns) -%}
select
    '{{ source_table }}' as source_table,
    cast({{ key }} as varchar) as record_id,
    cast({{ entity_key }} as varchar) as entity_key,
    _load_id,
    exclusion_reason as reason,
    '{{ key_column }}' as key_column,
    case exclusion_reason
        {%- for reason, column in columns.items() %}
        when '{{ reason }}' then '{{ column }}'
        {%- endfor %}
    end as column_name
from {{ ref(classified_model) }}
where exclusion_reason is not null
{%- endmacro %}

{#- ------------------------------------------------------------------------------------
    Helpers of the incremental classified intermediates of the two big logs
    (models/intermediate).
-------------------------------------------------------------------------------------- -#}

{#- Time of this classification: the start of the dbt run, in the machine's local time
    like ingest's _loaded_at; the same value for every row a run writes. -#}
{% macro classification_time() -%}
    cast('{{ run_started_at.astimezone().strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}

{#- {column: largest value} of an existing relation, read when dbt executes (none before),
    so that models can filter on a literal (DuckDB then skips whole row groups). -#}
{% macro previous_max(relation, columns) -%}
    {%- set found = {} -%}
    {%- for column in columns -%}
        {%- do found.update({column: none}) -%}
    {%- endfor -%}
    {%- if execute -%}
        {%- set selects = [] -%}
        {%- for column in columns -%}
            {%- do selects.append('max(' ~ column ~ ') as ' ~ column) -%}
        {%- endfor -%}
        {%- set result = run_query('select ' ~ selects | join(', ') ~ ' from ' ~ relation) -%}
        {%- for column in columns -%}
            {%- do found.update({column: result.rows[0][loop.index0]}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(found) }}
{%- endmacro %}

{#- Condition "loaded after `since`" (a value from previous_max); everything when unknown. -#}
{% macro loaded_after(column, since) -%}
    {%- if since is none -%}
        1 = 1
    {%- else -%}
        {{ column }} > cast('{{ since }}' as timestamp)
    {%- endif -%}
{%- endmacro %}
