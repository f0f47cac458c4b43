-- The check-in ids the source no longer holds and that have no live copy left: the
-- incremental classified log removes them (macros/delete_keys_gone_from_source.sql).
{{ ids_gone_from_source(source('jw', 'JW_KQ_XSKQB'), 'KQ_ID', 'check_in_id') }}
