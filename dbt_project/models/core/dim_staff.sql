-- 教务 JGH_ID and HR GH are the same value, so staff_id joins both systems; HR's own
-- department codes (BMDM) go through the registry crosswalk.
select
    staff.staff_id,
    staff.staff_name,
    staff.gender,
    crosswalk.department_code,
    staff.hr_department_code,
    -- `email` is the address warnings use to reach a counsellor or teacher
    staff.work_email as email,
    staff.staff_category,
    staff.staff_category_zh,
    staff.title,
    staff.title_level,
    staff.title_level_zh,
    staff.education_zh,
    staff.degree_zh,
    staff.is_dual_qualified,
    staff.is_key_teacher,
    staff.is_major_leader,
    staff.hire_date,
    staff.employment_status,
    staff.employment_status_zh,
    coalesce(staff.staff_category_zh = '专任教师' and staff.employment_status_zh = '在职', false)
        as is_full_time_teacher
from {{ latest_per_key(ref('stg_hr__staff'), 'staff_id', where='staff_id is not null') }} as staff
left join {{ ref('departments') }} as crosswalk on crosswalk.hr_code = staff.hr_department_code
