-- A view: the dorm checks are classified once, incrementally, in int_xg__dorm_checks_classified;
-- month and the flags are cheaper to compute here than to store for 14 million rows.
{{ config(materialized='view') }}

select
    dorm_check_id,
    student_number,
    check_date,
    {{ month_label('check_date') }} as month,
    dorm_status,
    dorm_status_zh,
    dorm_status = 'late_return' as is_late_return,
    dorm_status = 'night_out' as is_night_out,
    recorded_by,
    recorded_at,
    _classified_at
from {{ ref('int_xg__dorm_checks_classified') }}
where exclusion_reason is null
