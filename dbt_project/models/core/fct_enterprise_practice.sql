with practice as (
    select * from {{ latest_per_key(ref('stg_hr__enterprise_practice'), 'practice_id') }} as latest
)

select
    practice_id,
    staff_id,
    enterprise_name,
    start_date,
    end_date,
    days,
    {{ school_year_of('coalesce(end_date, start_date)') }} as school_year
from practice
where practice_id is not null
    and staff_id is not null
    and coalesce(end_date, start_date) is not null
