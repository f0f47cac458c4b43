-- Check-ins that could not enter fct_attendance, one row each with the reason. Built as
-- "staging minus the fact", so every check-in is either in the fact or here.
with check_ins as (
    select * from {{ ref('stg_jw__check_ins') }}
    {{ keep_latest_per_key('check_in_id') }}
)

select
    check_ins.check_in_id,
    check_ins.session_id,
    check_ins.student_id,
    check_ins.status_code,
    check_ins.recorded_at,
    check_ins._load_id,
    case
        when check_ins.check_in_id is null then 'missing_check_in_id'
        when students.student_id is null then 'student_not_in_register'
        when sessions.session_id is null then 'session_not_found'
        when teaching_classes.term_name is null then 'session_without_term'
        when check_ins.attendance_status is null then 'unknown_status'
        else 'other'
    end as reason
from check_ins
left join {{ ref('fct_attendance') }} as attendance on attendance.check_in_id = check_ins.check_in_id
left join {{ ref('dim_student') }} as students on students.student_id = check_ins.student_id
left join (select distinct session_id, teaching_class_id from {{ ref('stg_jw__class_sessions') }}) as sessions
    on sessions.session_id = check_ins.session_id
left join {{ ref('dim_teaching_class') }} as teaching_classes
    on teaching_classes.teaching_class_id = sessions.teaching_class_id
where attendance.check_in_id is null
