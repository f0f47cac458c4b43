with projects as (
    select * from {{ latest_per_key(ref('stg_hr__research_projects'), 'project_id') }} as latest
)

select
    project_id,
    leader_staff_id,
    project_name,
    project_kind_zh,
    project_level_zh,
    approval_date,
    {{ school_year_of('approval_date') }} as school_year,
    funds_received_wan
from projects
where project_id is not null
    and leader_staff_id is not null
    and approval_date is not null
