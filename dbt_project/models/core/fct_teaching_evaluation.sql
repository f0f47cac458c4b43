with evaluations as (
    select * from {{ latest_per_key(ref('stg_jw__teaching_evaluations'), 'evaluation_id') }} as latest
)

select
    evaluations.evaluation_id,
    evaluations.teaching_class_id,
    coalesce(evaluations.teacher_staff_id, teaching_classes.teacher_staff_id) as teacher_staff_id,
    students.student_number,
    evaluations.is_anonymous,
    evaluations.total_score,
    evaluations.evaluated_at,
    teaching_classes.term_name,
    teaching_classes.school_year
from evaluations
inner join {{ ref('dim_teaching_class') }} as teaching_classes
    on teaching_classes.teaching_class_id = evaluations.teaching_class_id
left join {{ ref('dim_student') }} as students on students.student_id = evaluations.student_id
where evaluations.evaluation_id is not null
    and teaching_classes.term_name is not null
