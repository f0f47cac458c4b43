with trainings as (
    select * from {{ latest_per_key(ref('stg_hr__trainings'), 'training_id') }} as latest
)

select
    training_id,
    staff_id,
    training_name,
    training_kind_zh,
    start_date,
    end_date,
    hours,
    {{ school_year_of('coalesce(end_date, start_date)') }} as school_year
from trainings
where training_id is not null
    and staff_id is not null
    and coalesce(end_date, start_date) is not null
