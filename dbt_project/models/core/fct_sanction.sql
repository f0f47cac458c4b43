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
