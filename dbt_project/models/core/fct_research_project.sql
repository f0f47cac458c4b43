-- One row per research or service project (XM_ID) led by a staff member, in the school
-- year of its approval date. Other records are in dq_excluded_records.
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
