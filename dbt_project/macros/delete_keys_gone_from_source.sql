{#- Post-hook of the incremental models over an append log: a row the source deleted is
    marked in raw (_deleted_at, by ingest's reconciliation) and left out by staging, but an
    incremental build only adds and replaces rows, so the classified row of a key with no
    live raw row left is removed here, on the next nightly build. The live side is read only
    for the few deleted keys (a key sent again may still have a live row). -#}
{% macro delete_keys_gone_from_source(key_column, source_relation, source_key) %}
delete from {{ this }} where {{ key_column }} in (
    select {{ source_key }} from {{ source_relation }}
    where _deleted_at is not null
    except
    select {{ source_key }} from {{ source_relation }}
    where _deleted_at is null and {{ source_key }} in (
        select {{ source_key }} from {{ source_relation }} where _deleted_at is not null)
)
{% endmacro %}
