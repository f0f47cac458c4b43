-- Staging minus the core model by key (macro excluded_records), so every source record is in
-- core or here. Check-ins have their own model for their volume; dorm checks come from
-- their classified intermediate.
{%- set teaching_class_checks = [
    ('teaching_class_not_found', key_not_in('s.teaching_class_id', 'dim_teaching_class', 'teaching_class_id')),
    ('unknown_term', "s.teaching_class_id in (select teaching_class_id from " ~ ref('dim_teaching_class') ~ " where term_name is null)"),
] %}
{%- set student_id_check = ('student_not_in_register', key_not_in('s.student_id', 'dim_student', 'student_id')) %}
{%- set student_number_check = ('student_not_in_register', key_not_in('s.student_number', 'dim_student', 'student_number')) %}

{{ excluded_records('raw_jw.JW_XJGL_XSJBXXB', 'stg_jw__student_register', 'student_id', 'dim_student', 'student_id',
    [('missing_student_number', 's.student_number is null'),
     ('duplicate_student_number', 'true')]) }}

union all

{{ excluded_records('raw_xg.XG_XSXX', 'stg_xg__students', 'student_number', 'dim_student', 'student_number',
    [student_number_check]) }}

union all

{{ excluded_records('raw_jw.JW_CJ_XSCJB', 'stg_jw__grades', 'grade_id', 'fct_grade', 'student_id',
    [student_id_check,
     ('unknown_term', 's.term_name is null'),
     ('unknown_exam_type', 's.exam_type is null')]) }}

union all

{{ excluded_records('raw_jw.JW_KQ_SKJLB', 'stg_jw__class_sessions', 'session_id', 'fct_class_session', 'teaching_class_id',
    teaching_class_checks) }}

union all

{{ excluded_records('raw_jw.JW_XK_XSXKB', 'stg_jw__course_enrolments', 'enrolment_id', 'fct_course_enrolment', 'student_id',
    [student_id_check] + teaching_class_checks) }}

union all

{{ excluded_records('raw_jw.JW_PJ_XSPFB', 'stg_jw__teaching_evaluations', 'evaluation_id', 'fct_teaching_evaluation',
    'teaching_class_id', teaching_class_checks) }}

union all

{{ excluded_records('raw_jw.JW_DD_TKJLB', 'stg_jw__supervisor_visits', 'visit_id', 'fct_supervisor_visit',
    'teaching_class_id', teaching_class_checks) }}

union all

{{ excluded_records('raw_jw.JW_JXSG_JLB', 'stg_jw__teaching_incidents', 'incident_id', 'fct_teaching_incident',
    'teacher_staff_id',
    [('missing_staff_id', 's.teacher_staff_id is null'), ('missing_date', 's.incident_date is null')]) }}

union all

{{ excluded_records('raw_hr.RS_JCJL', 'stg_hr__honours_sanctions', 'record_id', 'fct_staff_honour_sanction', 'staff_id',
    [('missing_staff_id', 's.staff_id is null'), ('missing_date', 's.record_date is null'),
     ('unknown_kind', 's.record_kind is null')]) }}

union all

{{ excluded_records('raw_hr.RS_PXJL', 'stg_hr__trainings', 'training_id', 'fct_training', 'staff_id',
    [('missing_staff_id', 's.staff_id is null'), ('missing_date', 'coalesce(s.end_date, s.start_date) is null')]) }}

union all

{{ excluded_records('raw_hr.RS_QYSJ', 'stg_hr__enterprise_practice', 'practice_id', 'fct_enterprise_practice', 'staff_id',
    [('missing_staff_id', 's.staff_id is null'), ('missing_date', 'coalesce(s.end_date, s.start_date) is null')]) }}

union all

{{ excluded_records('raw_hr.KY_XMXX', 'stg_hr__research_projects', 'project_id', 'fct_research_project',
    'leader_staff_id',
    [('missing_staff_id', 's.leader_staff_id is null'), ('missing_date', 's.approval_date is null')]) }}

union all

{{ excluded_records('raw_hr.KY_CGXX', 'stg_hr__research_outputs', 'output_id', 'fct_research_output', 'staff_id',
    [('missing_staff_id', 's.staff_id is null'), ('missing_date', 's.output_date is null')]) }}

union all

{#- Dorm checks: classified once in int_xg__dorm_checks_classified (same reasons, same order:
    missing_record_id, student_not_in_register, missing_date, unknown_status). #}
{{ excluded_records_classified('raw_xg.XG_CQJL', 'int_xg__dorm_checks_classified', 'dorm_check_id', 'student_number') }}

union all

{{ excluded_records('raw_xg.XG_WJCF', 'stg_xg__sanctions', 'sanction_id', 'fct_sanction', 'student_number',
    [student_number_check, ('missing_date', 's.violation_date is null')]) }}

union all

{{ excluded_records('raw_xg.XG_JZXJ', 'stg_xg__awards', 'award_id', 'fct_student_award', 'student_number',
    [student_number_check, ('missing_date', 's.award_date is null')]) }}

union all

{{ excluded_records('raw_xg.XG_BYQX', 'stg_xg__graduate_destinations', 'destination_id', 'fct_graduate_destination',
    'student_number',
    [student_number_check, ('unknown_destination_type', 's.destination_type is null')]) }}

union all

{{ excluded_records('raw_xg.XG_GZDC', 'stg_xg__graduate_surveys', 'survey_answer_id', 'fct_graduate_survey',
    'student_number',
    [student_number_check, ('missing_graduation_year', 's.graduation_year is null')]) }}
