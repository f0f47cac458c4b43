-- The student number (XH) is the key every system shares. The 教务 register decides who is
-- a student (int_jw__registered_students); 学工 adds the counsellor and the dorm.
with register as (
    select * from {{ ref('int_jw__registered_students') }}
),

student_affairs as (
    select * from {{ latest_per_key(ref('stg_xg__students'), 'student_number') }} as latest
)

select
    register.student_number,
    register.student_id,
    register.student_name,
    register.gender,
    register.birth_date,
    orgs.department_code,
    register.major_id,
    majors.major_code,
    majors.major_name,
    register.class_id,
    register.cohort_year,
    register.register_status_code,
    register.register_status,
    register.register_status_zh,
    register.entry_date,
    student_affairs.counsellor_staff_id,
    student_affairs.class_name as student_affairs_class_name,
    student_affairs.dorm_building,
    student_affairs.dorm_room,
    student_affairs.student_number is not null as in_student_affairs
from register
left join {{ ref('stg_jw__organisations') }} as orgs on orgs.org_id = register.org_id
left join {{ ref('dim_major') }} as majors on majors.major_id = register.major_id
left join student_affairs on student_affairs.student_number = register.student_number
