select
    classes.class_id,
    classes.class_name,
    classes.major_id,
    classes.cohort_year,
    orgs.department_code
from {{ ref('stg_jw__classes') }} as classes
left join {{ ref('stg_jw__organisations') }} as orgs on orgs.org_id = classes.org_id
