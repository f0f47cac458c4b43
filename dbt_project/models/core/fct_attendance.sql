-- A view: the check-ins are classified once, incrementally, in int_jw__check_ins_classified;
-- month and the flags are cheaper to compute here than to store for 32 million rows.
{{ config(materialized='view') }}

select
    check_in_id,
    session_id,
    teaching_class_id,
    student_number,
    student_id,
    session_date,
    term_name,
    {{ month_label('session_date') }} as month,
    periods,
    status_code,
    attendance_status,
    attendance_status_zh,
    -- 出勤, 迟到 and 早退 count as present; 旷课 is an unexcused absence; 请假 (leave)
    -- counts as neither, so it leaves the attendance rate untouched.
    status_code in (1, 2, 3) as is_present,
    status_code = 4 as is_absent,
    status_code = 5 as is_leave,
    recorded_at,
    _classified_at
from {{ ref('int_jw__check_ins_classified') }}
where exclusion_reason is null
