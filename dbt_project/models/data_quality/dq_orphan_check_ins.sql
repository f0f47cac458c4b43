-- Every check-in (each KQ_ID once) is either in fct_attendance or here.
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
