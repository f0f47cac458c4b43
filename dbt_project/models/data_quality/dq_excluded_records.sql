-- Staging minus the core model by key (macro excluded_records), so every source record is in
-- core or here, with the vendor names of its key and of the column the reason is about. Check-ins have their own model for their volume; dorm checks come from
-- their classified intermediate.
{%- set teaching_class_checks = [
    ('teaching_class_not_found', key_not_in('s.teaching_class_id', 'dim_teaching_class', 'teaching_class_id'), 'JXB_ID'),
    ('unknown_term', "s.teaching_class_id in (select teaching_class_id from " ~ ref('dim_teaching_class') ~ " where term_name is null)", 'JXB_ID'),
] %}
{%- set student_id_check = ('student_not_in_register', key_not_in('s.student_id', 'dim_student', 'student_id'), 'XH_ID') %}
{%- set student_number_check = ('student_not_in_register', key_not_in('s.student_number', 'dim_student', 'student_number'), 'XH') %}

{{ excluded_records('raw_jw.JW_XJGL_XSJBXXB', 'stg_jw__student_register', 'student_id', 'XH_ID', 'dim_student', 'student_id',
    [('missing_student_number', 's.student_number is null', 'XH'),
     ('duplicate_student_number', 'true', 'XH')]) }}

union all

{{ excluded_records('raw_xg.XG_XSXX', 'stg_xg__students', 'student_number', 'XH', 'dim_student', 'student_number',
    [student_number_check]) }}

union all

{{ excluded_records('raw_jw.JW_CJ_XSCJB', 'stg_jw__grades', 'grade_id', 'CJ_ID', 'fct_grade', 'student_id',
    [student_id_check,
     ('unknown_term', 's.term_name is null', 'XNM|XQM'),
     ('unknown_exam_type', 's.exam_type is null', 'KSXZ')]) }}

union all

{{ excluded_records('raw_jw.JW_KQ_SKJLB', 'stg_jw__class_sessions', 'session_id', 'SKJL_ID', 'fct_class_session', 'teaching_class_id',
    teaching_class_checks + [('missing_date', 's.session_date is null', 'SKRQ')]) }}

union all

{{ excluded_records('raw_jw.JW_XK_XSXKB', 'stg_jw__course_enrolments', 'enrolment_id', 'JXB_ID|XH_ID', 'fct_course_enrolment', 'student_id',
    [student_id_check] + teaching_class_checks) }}

union all

{{ excluded_records('raw_jw.JW_PJ_XSPFB', 'stg_jw__teaching_evaluations', 'evaluation_id', 'PJ_ID', 'fct_teaching_evaluation',
    'teaching_class_id', teaching_class_checks) }}

union all

{{ excluded_records('raw_jw.JW_DD_TKJLB', 'stg_jw__supervisor_visits', 'visit_id', 'TK_ID', 'fct_supervisor_visit',
    'teaching_class_id', teaching_class_checks) }}

union all

{{ excluded_records('raw_jw.JW_JXSG_JLB', 'stg_jw__teaching_incidents', 'incident_id', 'SG_ID', 'fct_teaching_incident',
    'teacher_staff_id',
    [('missing_staff_id', 's.teacher_staff_id is null', 'JGH_ID'), ('missing_date', 's.incident_date is null', 'FSRQ')]) }}

union all

{{ excluded_records('raw_hr.RS_JCJL', 'stg_hr__honours_sanctions', 'record_id', 'JC_ID', 'fct_staff_honour_sanction', 'staff_id',
    [('missing_staff_id', 's.staff_id is null', 'GH'), ('missing_date', 's.record_date is null', 'RQ'),
     ('unknown_kind', 's.record_kind is null', 'LX')]) }}

union all

{{ excluded_records('raw_hr.RS_PXJL', 'stg_hr__trainings', 'training_id', 'PX_ID', 'fct_training', 'staff_id',
    [('missing_staff_id', 's.staff_id is null', 'GH'), ('missing_date', 'coalesce(s.end_date, s.start_date) is null', 'KSRQ|JSRQ')]) }}

union all

{{ excluded_records('raw_hr.RS_QYSJ', 'stg_hr__enterprise_practice', 'practice_id', 'SJ_ID', 'fct_enterprise_practice', 'staff_id',
    [('missing_staff_id', 's.staff_id is null', 'GH'), ('missing_date', 'coalesce(s.end_date, s.start_date) is null', 'KSRQ|JSRQ')]) }}

union all

{{ excluded_records('raw_hr.KY_XMXX', 'stg_hr__research_projects', 'project_id', 'XM_ID', 'fct_research_project',
    'leader_staff_id',
    [('missing_staff_id', 's.leader_staff_id is null', 'GH'), ('missing_date', 's.approval_date is null', 'LXRQ')]) }}

union all

{{ excluded_records('raw_hr.KY_CGXX', 'stg_hr__research_outputs', 'output_id', 'CG_ID', 'fct_research_output', 'staff_id',
    [('missing_staff_id', 's.staff_id is null', 'GH'), ('missing_date', 's.output_date is null', 'RQ')]) }}

union all

{#- Dorm checks: classified once in int_xg__dorm_checks_classified (same reasons, same order:
    missing_record_id, student_not_in_register, missing_date, unknown_status). #}
{{ excluded_records_classified('raw_xg.XG_CQJL', 'int_xg__dorm_checks_classified', 'dorm_check_id', 'JL_ID', 'student_number',
    {'missing_record_id': 'JL_ID', 'student_not_in_register': 'XH', 'missing_date': 'CQRQ', 'unknown_status': 'ZT'}) }}

union all

{{ excluded_records('raw_xg.XG_WJCF', 'stg_xg__sanctions', 'sanction_id', 'CF_ID', 'fct_sanction', 'student_number',
    [student_number_check, ('missing_date', 's.violation_date is null', 'WJRQ')]) }}

union all

{{ excluded_records('raw_xg.XG_JZXJ', 'stg_xg__awards', 'award_id', 'JL_ID', 'fct_student_award', 'student_number',
    [student_number_check, ('missing_date', 's.award_date is null', 'RQ')]) }}

union all

{{ excluded_records('raw_xg.XG_BYQX', 'stg_xg__graduate_destinations', 'destination_id', 'XH|BYNF', 'fct_graduate_destination',
    'student_number',
    [student_number_check, ('unknown_destination_type', 's.destination_type is null', 'QXLX')]) }}

union all

{{ excluded_records('raw_xg.XG_GZDC', 'stg_xg__graduate_surveys', 'survey_answer_id', 'DC_ID', 'fct_graduate_survey',
    'student_number',
    [student_number_check, ('missing_graduation_year', 's.graduation_year is null', 'BYNF')]) }}
