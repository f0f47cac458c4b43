select
    majors.major_id,
    majors.major_code,
    majors.major_name,
    orgs.department_code,
    majors.years_of_study,
    majors.is_enrolling
from {{ ref('stg_jw__majors') }} as majors
left join {{ ref('stg_jw__organisations') }} as orgs on orgs.org_id = majors.org_id
