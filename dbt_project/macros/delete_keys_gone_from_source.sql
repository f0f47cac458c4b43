{#- Post-hook of the incremental models over an append log: a row the source deleted is
    marked in raw (_deleted_at, by ingest's reconciliation) and left out by staging, but an
    incremental build only adds and replaces rows, so the classified rows of the keys with no
    live raw row left (`deleted_keys`, a staging model) are removed here, on the next build. -#}
{% macro delete_keys_gone_from_source(key_column, deleted_keys) %}
delete from {{ this }} where {{ key_column }} in (select {{ key_column }} from {{ deleted_keys }})
{% endmacro %}
