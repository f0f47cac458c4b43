-- One row per check-in (KQ_ID counted once: the smart-classroom log can send it twice).
-- A check-in only enters the fact when its student is in the register, its session is
-- known and belongs to a teaching class of a known term, and its status is one of the
-- five codes; everything else is listed with the reason in dq_orphan_check_ins, so no
-- row disappears unnoticed.
with check_ins as (
    select * from {{ ref('stg_jw__check_ins') }}
    {{ keep_latest_per_key('check_in_id') }}
),

sessions as (
    select * from {{ ref('stg_jw__class_sessions') }}
    {{ keep_latest_per_key('session_id') }}
)

select
    check_ins.check_in_id,
    check_ins.session_id,
    sessions.teaching_class_id,
    students.student_number,
    check_ins.student_id,
    sessions.session_date,
    teaching_classes.term_name,
    strftime(sessions.session_date, '%Y-%m') as month,
    sessions.periods,
    check_ins.status_code,
    check_ins.attendance_status,
    check_ins.attendance_status_zh,
    -- 出勤, 迟到 and 早退 count as present; 旷课 is an unexcused absence; 请假 (leave)
    -- counts as neither, so it leaves the attendance rate untouched.
    check_ins.status_code in (1, 2, 3) as is_present,
    check_ins.status_code = 4 as is_absent,
    check_ins.status_code = 5 as is_leave,
    check_ins.recorded_at
from check_ins
inner join sessions on sessions.session_id = check_ins.session_id
inner join {{ ref('dim_student') }} as students on students.student_id = check_ins.student_id
inner join {{ ref('dim_teaching_class') }} as teaching_classes
    on teaching_classes.teaching_class_id = sessions.teaching_class_id
where check_ins.check_in_id is not null
    and teaching_classes.term_name is not null
    and check_ins.attendance_status is not null
