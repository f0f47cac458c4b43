{#- Post-hook of the incremental models over an append log: a row the source deleted is
    marked in raw (_deleted_at, by ingest's reconciliation) and left out by staging, but an
    incremental build only adds and replaces rows, so the classified rows of the keys with no
    live raw row left (`deleted_keys`, a staging model) are removed here, on the next build. -#}
{% macro delete_keys_gone_from_source(key_column, deleted_keys) %}
delete from {{ this }} where {{ key_column }} in (select {{ key_column }} from {{ deleted_keys }})
{% endmacro %}

{#- The body of a staging view of the ids an append log's source no longer holds: raw rows
    ingest's reconciliation marked _deleted_at, with no live copy of the id left (an id can be
    deleted and sent again), cast to the staging model's type and named `id_name`. -#}
{% macro ids_gone_from_source(log, id_column, id_name) %}
with

gone as (
    select {{ id_column }} from {{ log }}
    where _deleted_at is not null
),

still_live as (
    select {{ id_column }} from {{ log }}
    where _deleted_at is null and {{ id_column }} in (select {{ id_column }} from gone)
)

select distinct {{ try_cast_as(id_column, 'bigint', 'bigint') }} as {{ id_name }}
from (select {{ id_column }} from gone except select {{ id_column }} from still_live) as gone_for_good
{% endmacro %}
