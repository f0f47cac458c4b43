with enrolments as (
    select * from {{ latest_per_key(ref('stg_jw__course_enrolments'), 'enrolment_id') }} as latest
)

select
    enrolments.enrolment_id,
    enrolments.teaching_class_id,
    students.student_number,
    enrolments.student_id,
    teaching_classes.term_name,
    teaching_classes.school_year,
    enrolments.updated_at
from enrolments
inner join {{ ref('dim_student') }} as students on students.student_id = enrolments.student_id
inner join {{ ref('dim_teaching_class') }} as teaching_classes
    on teaching_classes.teaching_class_id = enrolments.teaching_class_id
where enrolments.enrolment_id is not null
    and teaching_classes.term_name is not null
