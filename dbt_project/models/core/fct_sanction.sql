-- One row per disciplinary sanction (CF_ID) of a registered student. Whether it is in
-- force during a period is decided by the sanction_in_force macro: imposed on or before
-- the period's last day and not lifted before its first day (CXRQ empty = still in force).
with sanctions as (
    select * from {{ latest_per_key(ref('stg_xg__sanctions'), 'sanction_id') }} as latest
)

select
    sanctions.sanction_id,
    sanctions.student_number,
    sanctions.violation_date,
    sanctions.violation_type_zh,
    sanctions.sanction_level,
    sanctions.sanction_level_zh,
    sanctions.document_number,
    sanctions.lifted_date,
    sanctions.lifted_date is not null as is_lifted
from sanctions
inner join {{ ref('dim_student') }} as students on students.student_number = sanctions.student_number
where sanctions.sanction_id is not null
    and sanctions.violation_date is not null
