select
    snapshot.staff_id,
    snapshot.staff_name,
    crosswalk.department_code,
    snapshot.hr_department_code,
    snapshot.staff_category,
    snapshot.staff_category_zh,
    snapshot.title,
    snapshot.title_level,
    snapshot.title_level_zh,
    snapshot.education_zh,
    snapshot.degree_zh,
    snapshot.is_dual_qualified,
    snapshot.is_key_teacher,
    snapshot.hire_date,
    snapshot.employment_status,
    snapshot.employment_status_zh,
    snapshot.dbt_valid_from as valid_from,
    snapshot.dbt_valid_to as valid_to,
    snapshot.dbt_valid_to is null as is_current
from {{ ref('snap_staff_register') }} as snapshot
left join {{ ref('departments') }} as crosswalk on crosswalk.hr_code = snapshot.hr_department_code
