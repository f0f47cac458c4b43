with visits as (
    select * from {{ latest_per_key(ref('stg_jw__supervisor_visits'), 'visit_id') }} as latest
)

select
    visits.visit_id,
    visits.teaching_class_id,
    coalesce(visits.teacher_staff_id, teaching_classes.teacher_staff_id) as teacher_staff_id,
    visits.visit_date,
    visits.score,
    visits.supervisor,
    teaching_classes.term_name,
    teaching_classes.school_year
from visits
inner join {{ ref('dim_teaching_class') }} as teaching_classes
    on teaching_classes.teaching_class_id = visits.teaching_class_id
where visits.visit_id is not null
    and teaching_classes.term_name is not null
