-- The check-in ids the source no longer holds (ingest's reconciliation marked their raw rows
-- _deleted_at) and that have no live copy left: the incremental classified log removes them.
with

gone as (
    select KQ_ID from {{ source('jw', 'JW_KQ_XSKQB') }}
    where _deleted_at is not null
),

still_live as (
    select KQ_ID from {{ source('jw', 'JW_KQ_XSKQB') }}
    where _deleted_at is null and KQ_ID in (select KQ_ID from gone)
)

select distinct {{ try_cast_as('KQ_ID', 'bigint', 'bigint') }} as check_in_id
from (select KQ_ID from gone except select KQ_ID from still_live) as gone_for_good
