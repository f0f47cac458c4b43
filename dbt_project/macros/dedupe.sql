{#- One row per key: the most recently loaded (largest _loaded_at; null loses). Rows without a
    key are all kept, so the data-quality models can report them instead of losing them.
    Use after `from`: {{ latest_per_key(ref('stg_jw__grades'), 'grade_id') }} as grades.
    Portable: row_number() in a subquery, no `qualify`. The column list is read from the
    relation when dbt executes so the helper _copy_rank does not leak into `select *` (it
    does where the columns cannot be read: subqueries, unit-test fixtures). -#}
{% macro latest_per_key(relation, key, where=none) -%}
    {%- set columns = [] -%}
    {%- if execute and relation is not string -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- if column.name | lower != '_copy_rank' -%}
                {%- do columns.append(adapter.quote(column.name)) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    (
        select {{ columns | join(', ') if columns else '*' }}
        from (
            select
                *,
                row_number() over (partition by {{ key }} order by _loaded_at desc nulls last) as _copy_rank
            from {{ relation }} as _copies
            {%- if where %}
            where {{ where }}
            {%- endif %}
        ) as _ranked
        where {{ key }} is null or _copy_rank = 1
    )
{%- endmacro %}

{#- Two CTEs over the CTE `arrived` (copies of records with `columns`, `_loaded_at`):
    `repeated_keys` (keys sent more than once, with their number of copies) and
    `latest_arrived` (one row per key, the latest load, with copies_removed; rows without
    a key kept as they are). Only keys that repeat are ranked: almost every key arrives
    once, and a window over 32 million rows costs more than a count. -#}
{% macro latest_copy_per_key(arrived, key, columns) -%}
repeated_keys as (
    select {{ key }}, count(*) as copies
    from {{ arrived }}
    where {{ key }} is not null
    group by {{ key }}
    having count(*) > 1
),

latest_arrived as (
    select {{ columns | join(', ') }}, 0 as copies_removed
    from {{ arrived }}
    where {{ key }} is null
        or not exists (select 1 from repeated_keys where repeated_keys.{{ key }} = {{ arrived }}.{{ key }})

    union all

    select {{ columns | join(', ') }}, copies - 1
    from (
        select
            {{ arrived }}.*,
            repeated_keys.copies,
            row_number() over (partition by {{ arrived }}.{{ key }} order by {{ arrived }}._loaded_at desc nulls last) as copy_rank
        from {{ arrived }}
        inner join repeated_keys on repeated_keys.{{ key }} = {{ arrived }}.{{ key }}
    ) as ranked
    where copy_rank = 1
)
{%- endmacro %}
