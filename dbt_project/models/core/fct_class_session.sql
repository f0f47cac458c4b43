with sessions as (
    select * from {{ latest_per_key(ref('stg_jw__class_sessions'), 'session_id') }} as latest
)

select
    sessions.session_id,
    sessions.teaching_class_id,
    teaching_classes.teacher_staff_id,
    sessions.session_date,
    {{ month_label('sessions.session_date') }} as month,
    teaching_classes.term_name,
    teaching_classes.school_year,
    sessions.period_slots,
    sessions.periods
from sessions
inner join {{ ref('dim_teaching_class') }} as teaching_classes
    on teaching_classes.teaching_class_id = sessions.teaching_class_id
-- a session without a readable date has no month to count in: dq_excluded_records lists it
where sessions.session_id is not null
    and teaching_classes.term_name is not null
    and sessions.session_date is not null
