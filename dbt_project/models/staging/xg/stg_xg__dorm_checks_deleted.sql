-- The dorm check ids the source no longer holds and that have no live copy left: the
-- incremental classified log removes them (macros/delete_keys_gone_from_source.sql).
{{ ids_gone_from_source(source('xg', 'XG_CQJL'), 'JL_ID', 'dorm_check_id') }}
