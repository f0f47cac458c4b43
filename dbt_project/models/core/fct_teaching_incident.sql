with incidents as (
    select * from {{ latest_per_key(ref('stg_jw__teaching_incidents'), 'incident_id') }} as latest
)

select
    incident_id,
    teacher_staff_id,
    incident_date,
    {{ school_year_of('incident_date') }} as school_year,
    severity,
    severity_zh,
    description
from incidents
where incident_id is not null
    and teacher_staff_id is not null
    and incident_date is not null
