select
    teaching_classes.teaching_class_id,
    teaching_classes.teaching_class_name,
    teaching_classes.course_id,
    courses.course_code,
    courses.course_name,
    courses.credits,
    courses.course_type,
    teaching_classes.term_name,
    {{ school_year_name('teaching_classes.school_year_start') }} as school_year,
    teaching_classes.school_year_start,
    teaching_classes.teacher_staff_id,
    teachers.staff_name as teacher_name,
    teaching_classes.total_periods,
    orgs.department_code as offering_department_code
from {{ ref('stg_jw__teaching_classes') }} as teaching_classes
left join {{ ref('dim_course') }} as courses on courses.course_id = teaching_classes.course_id
left join {{ ref('stg_jw__organisations') }} as orgs on orgs.org_id = teaching_classes.offering_org_id
left join {{ ref('dim_staff') }} as teachers on teachers.staff_id = teaching_classes.teacher_staff_id
