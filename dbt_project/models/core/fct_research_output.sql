with outputs as (
    select * from {{ latest_per_key(ref('stg_hr__research_outputs'), 'output_id') }} as latest
)

select
    output_id,
    staff_id,
    output_kind_zh,
    output_title,
    output_level_zh,
    output_date,
    {{ school_year_of('output_date') }} as school_year
from outputs
where output_id is not null
    and staff_id is not null
    and output_date is not null
