-- One row per nightly dorm check (JL_ID) of a registered student with a known status.
-- Excluded rows are listed in dq_excluded_records.
with dorm_checks as (
    select * from {{ ref('stg_xg__dorm_checks') }}
    {{ keep_latest_per_key('dorm_check_id') }}
)

select
    dorm_checks.dorm_check_id,
    dorm_checks.student_number,
    dorm_checks.check_date,
    strftime(dorm_checks.check_date, '%Y-%m') as month,
    dorm_checks.dorm_status,
    dorm_checks.dorm_status_zh,
    dorm_checks.dorm_status = 'late_return' as is_late_return,
    dorm_checks.dorm_status = 'night_out' as is_night_out,
    dorm_checks.recorded_by,
    dorm_checks.recorded_at
from dorm_checks
inner join {{ ref('dim_student') }} as students on students.student_number = dorm_checks.student_number
where dorm_checks.dorm_check_id is not null
    and dorm_checks.dorm_status is not null
    and dorm_checks.check_date is not null
