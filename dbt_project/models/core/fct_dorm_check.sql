-- One row per nightly dorm check (JL_ID) of a registered student with a known status.
-- Excluded rows are listed in dq_excluded_records. Deduplication and classification
-- happen once, in int_xg__dorm_checks_classified (incremental); this view keeps the rows
-- that entered and derives month and the flags. _classified_at: when the nightly build
-- last (re)wrote the row.
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
