-- Check-ins that could not enter fct_attendance, one row each with the reason: the rows
-- of int_jw__check_ins_classified with an exclusion_reason. Every check-in (KQ_ID counted
-- once) is either in the fact or here.
select
    check_in_id,
    session_id,
    student_id,
    status_code,
    recorded_at,
    _load_id,
    exclusion_reason as reason
from {{ ref('int_jw__check_ins_classified') }}
where exclusion_reason is not null
