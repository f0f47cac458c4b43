-- Read on the source records, so an orphan key is reported whether or not its record still
-- entered core. In the two big logs an orphan key keeps the record out of the fact, so only
-- their excluded rows are probed (orphan_keys_classified).
{{ orphan_keys_classified('fct_attendance', 'raw_jw.JW_KQ_XSKQB', 'int_jw__check_ins_classified', 'student_id', 'XH_ID', 'dim_student', 'student_id') }}
union all
{{ orphan_keys_classified('fct_attendance', 'raw_jw.JW_KQ_XSKQB', 'int_jw__check_ins_classified', 'session_id', 'SKJL_ID', 'stg_jw__class_sessions', 'session_id') }}
union all
{{ orphan_keys('fct_class_session', 'raw_jw.JW_KQ_SKJLB', 'stg_jw__class_sessions', 'teaching_class_id', 'JXB_ID', 'dim_teaching_class', 'teaching_class_id') }}
union all
{{ orphan_keys('fct_grade', 'raw_jw.JW_CJ_XSCJB', 'stg_jw__grades', 'student_id', 'XH_ID', 'dim_student', 'student_id') }}
union all
{{ orphan_keys('fct_grade', 'raw_jw.JW_CJ_XSCJB', 'stg_jw__grades', 'teaching_class_id', 'JXB_ID', 'dim_teaching_class', 'teaching_class_id') }}
union all
{{ orphan_keys('fct_grade', 'raw_jw.JW_CJ_XSCJB', 'stg_jw__grades', 'course_id', 'KCH_ID', 'dim_course', 'course_id') }}
union all
{{ orphan_keys('fct_course_enrolment', 'raw_jw.JW_XK_XSXKB', 'stg_jw__course_enrolments', 'student_id', 'XH_ID', 'dim_student', 'student_id') }}
union all
{{ orphan_keys('fct_course_enrolment', 'raw_jw.JW_XK_XSXKB', 'stg_jw__course_enrolments', 'teaching_class_id', 'JXB_ID', 'dim_teaching_class', 'teaching_class_id') }}
union all
{{ orphan_keys('dim_teaching_class', 'raw_jw.JW_JXRW_JXBXXB', 'stg_jw__teaching_classes', 'course_id', 'KCH_ID', 'dim_course', 'course_id') }}
union all
{{ orphan_keys('dim_teaching_class', 'raw_jw.JW_JXRW_JXBXXB', 'stg_jw__teaching_classes', 'teacher_staff_id', 'JGH_ID', 'dim_staff', 'staff_id') }}
union all
{{ orphan_keys('dim_teaching_class', 'raw_jw.JW_JXRW_JXBXXB', 'stg_jw__teaching_classes', 'offering_org_id', 'KKBM_ID', 'stg_jw__organisations', 'org_id') }}
union all
{{ orphan_keys('dim_course', 'raw_jw.JW_JH_KCDMB', 'stg_jw__courses', 'offering_org_id', 'KKBM_ID', 'stg_jw__organisations', 'org_id') }}
union all
{{ orphan_keys('dim_major', 'raw_jw.ZFTAL_XTGL_ZYDMB', 'stg_jw__majors', 'org_id', 'JG_ID', 'stg_jw__organisations', 'org_id') }}
union all
{{ orphan_keys('dim_class', 'raw_jw.ZFTAL_XTGL_BJDMB', 'stg_jw__classes', 'major_id', 'ZYH_ID', 'dim_major', 'major_id') }}
union all
{{ orphan_keys('dim_student', 'raw_jw.JW_XJGL_XSJBXXB', 'stg_jw__student_register', 'major_id', 'ZYH_ID', 'dim_major', 'major_id') }}
union all
{{ orphan_keys('dim_student', 'raw_jw.JW_XJGL_XSJBXXB', 'stg_jw__student_register', 'class_id', 'BH_ID', 'dim_class', 'class_id') }}
union all
{{ orphan_keys('dim_student', 'raw_jw.JW_XJGL_XSJBXXB', 'stg_jw__student_register', 'org_id', 'JG_ID', 'stg_jw__organisations', 'org_id') }}
union all
{{ orphan_keys('dim_student', 'raw_xg.XG_XSXX', 'stg_xg__students', 'student_number', 'XH', 'dim_student', 'student_number') }}
union all
{{ orphan_keys('dim_student', 'raw_xg.XG_XSXX', 'stg_xg__students', 'counsellor_staff_id', 'FDYGH', 'dim_staff', 'staff_id') }}
union all
{{ orphan_keys('dim_staff', 'raw_hr.RS_JZGJBXX', 'stg_hr__staff', 'hr_department_code', 'BMDM', 'departments', 'hr_code') }}
union all
{{ orphan_keys('fct_teaching_evaluation', 'raw_jw.JW_PJ_XSPFB', 'stg_jw__teaching_evaluations', 'teaching_class_id', 'JXB_ID', 'dim_teaching_class', 'teaching_class_id') }}
union all
{{ orphan_keys('fct_teaching_evaluation', 'raw_jw.JW_PJ_XSPFB', 'stg_jw__teaching_evaluations', 'teacher_staff_id', 'JGH_ID', 'dim_staff', 'staff_id') }}
union all
{{ orphan_keys('fct_teaching_evaluation', 'raw_jw.JW_PJ_XSPFB', 'stg_jw__teaching_evaluations', 'student_id', 'XH_ID', 'dim_student', 'student_id') }}
union all
{{ orphan_keys('fct_supervisor_visit', 'raw_jw.JW_DD_TKJLB', 'stg_jw__supervisor_visits', 'teaching_class_id', 'JXB_ID', 'dim_teaching_class', 'teaching_class_id') }}
union all
{{ orphan_keys('fct_supervisor_visit', 'raw_jw.JW_DD_TKJLB', 'stg_jw__supervisor_visits', 'teacher_staff_id', 'JGH_ID', 'dim_staff', 'staff_id') }}
union all
{{ orphan_keys('fct_teaching_incident', 'raw_jw.JW_JXSG_JLB', 'stg_jw__teaching_incidents', 'teacher_staff_id', 'JGH_ID', 'dim_staff', 'staff_id') }}
union all
{{ orphan_keys('fct_staff_honour_sanction', 'raw_hr.RS_JCJL', 'stg_hr__honours_sanctions', 'staff_id', 'GH', 'dim_staff', 'staff_id') }}
union all
{{ orphan_keys('fct_training', 'raw_hr.RS_PXJL', 'stg_hr__trainings', 'staff_id', 'GH', 'dim_staff', 'staff_id') }}
union all
{{ orphan_keys('fct_enterprise_practice', 'raw_hr.RS_QYSJ', 'stg_hr__enterprise_practice', 'staff_id', 'GH', 'dim_staff', 'staff_id') }}
union all
{{ orphan_keys('fct_research_project', 'raw_hr.KY_XMXX', 'stg_hr__research_projects', 'leader_staff_id', 'GH', 'dim_staff', 'staff_id') }}
union all
{{ orphan_keys('fct_research_output', 'raw_hr.KY_CGXX', 'stg_hr__research_outputs', 'staff_id', 'GH', 'dim_staff', 'staff_id') }}
union all
{{ orphan_keys_classified('fct_dorm_check', 'raw_xg.XG_CQJL', 'int_xg__dorm_checks_classified', 'student_number', 'XH', 'dim_student', 'student_number') }}
union all
{{ orphan_keys('fct_sanction', 'raw_xg.XG_WJCF', 'stg_xg__sanctions', 'student_number', 'XH', 'dim_student', 'student_number') }}
union all
{{ orphan_keys('fct_student_award', 'raw_xg.XG_JZXJ', 'stg_xg__awards', 'student_number', 'XH', 'dim_student', 'student_number') }}
union all
{{ orphan_keys('fct_graduate_destination', 'raw_xg.XG_BYQX', 'stg_xg__graduate_destinations', 'student_number', 'XH', 'dim_student', 'student_number') }}
union all
{{ orphan_keys('fct_graduate_survey', 'raw_xg.XG_GZDC', 'stg_xg__graduate_surveys', 'student_number', 'XH', 'dim_student', 'student_number') }}
