-- The dorm check ids the source no longer holds (ingest's reconciliation marked their raw rows
-- _deleted_at) and that have no live copy left: the incremental classified log removes them.
with

gone as (
    select JL_ID from {{ source('xg', 'XG_CQJL') }}
    where _deleted_at is not null
),

still_live as (
    select JL_ID from {{ source('xg', 'XG_CQJL') }}
    where _deleted_at is null and JL_ID in (select JL_ID from gone)
)

select distinct {{ try_cast_as('JL_ID', 'bigint', 'bigint') }} as dorm_check_id
from (select JL_ID from gone except select JL_ID from still_live) as gone_for_good
