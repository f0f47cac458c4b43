select
    snapshot.student_number,
    snapshot.student_id,
    snapshot.major_id,
    majors.major_code,
    snapshot.class_id,
    snapshot.cohort_year,
    orgs.department_code,
    snapshot.register_status_code,
    snapshot.register_status,
    snapshot.entry_date,
    snapshot.dbt_valid_from as valid_from,
    snapshot.dbt_valid_to as valid_to,
    snapshot.dbt_valid_to is null as is_current
from {{ ref('snap_student_register') }} as snapshot
left join {{ ref('stg_jw__organisations') }} as orgs on orgs.org_id = snapshot.org_id
left join {{ ref('dim_major') }} as majors on majors.major_id = snapshot.major_id
