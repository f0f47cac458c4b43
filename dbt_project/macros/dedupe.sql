{#- Keep one row per key: the most recently loaded one. Rows without a key are kept so
    that the data-quality models can report them instead of losing them. -#}
{% macro keep_latest_per_key(key) -%}
    qualify {{ key }} is null
        or row_number() over (partition by {{ key }} order by _loaded_at desc nulls last) = 1
{%- endmacro %}
