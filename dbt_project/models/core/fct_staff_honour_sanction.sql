with records as (
    select * from {{ latest_per_key(ref('stg_hr__honours_sanctions'), 'record_id') }} as latest
)

select
    record_id,
    staff_id,
    record_kind,
    record_kind_zh,
    record_kind = 'sanction' as is_sanction,
    record_name,
    record_level_zh,
    record_date,
    {{ school_year_of('record_date') }} as school_year
from records
where record_id is not null
    and staff_id is not null
    and record_date is not null
    and record_kind is not null
