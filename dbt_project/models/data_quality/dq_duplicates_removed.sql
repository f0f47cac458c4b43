-- Duplicates are removed in two places (ingest quarantines a repeated source key, the data
-- center keeps the latest load of a key that still repeats), so both are listed here.
with ingest_duplicates as (
    select
        source_table,
        row_key as record_key,
        'ingest' as detected_by,
        count(*) as duplicate_rows,
        min(quarantined_at) as first_detected_at,
        max(quarantined_at) as last_detected_at
    from {{ ref('stg_meta__quarantine') }}
    where rule = 'duplicate_key'
    group by source_table, row_key
),

data_center_duplicates as (
    {{ duplicate_keys_classified('raw_jw.JW_KQ_XSKQB', 'int_jw__check_ins_classified', 'check_in_id') }}
    union all
    {{ duplicate_keys('raw_jw.JW_KQ_SKJLB', 'stg_jw__class_sessions', 'session_id') }}
    union all
    {{ duplicate_keys('raw_jw.JW_CJ_XSCJB', 'stg_jw__grades', 'grade_id') }}
    union all
    {{ duplicate_keys('raw_jw.JW_XK_XSXKB', 'stg_jw__course_enrolments', 'enrolment_id') }}
    union all
    {{ duplicate_keys('raw_jw.JW_XJGL_XSJBXXB', 'stg_jw__student_register', 'student_id') }}
    union all
    {{ duplicate_keys('raw_jw.JW_JXRW_JXBXXB', 'stg_jw__teaching_classes', 'teaching_class_id') }}
    union all
    {{ duplicate_keys('raw_jw.JW_PJ_XSPFB', 'stg_jw__teaching_evaluations', 'evaluation_id') }}
    union all
    {{ duplicate_keys('raw_jw.JW_DD_TKJLB', 'stg_jw__supervisor_visits', 'visit_id') }}
    union all
    {{ duplicate_keys('raw_jw.JW_JXSG_JLB', 'stg_jw__teaching_incidents', 'incident_id') }}
    union all
    {{ duplicate_keys('raw_hr.RS_JZGJBXX', 'stg_hr__staff', 'staff_id') }}
    union all
    {{ duplicate_keys('raw_hr.RS_PXJL', 'stg_hr__trainings', 'training_id') }}
    union all
    {{ duplicate_keys('raw_hr.RS_QYSJ', 'stg_hr__enterprise_practice', 'practice_id') }}
    union all
    {{ duplicate_keys('raw_hr.RS_JCJL', 'stg_hr__honours_sanctions', 'record_id') }}
    union all
    {{ duplicate_keys('raw_hr.KY_XMXX', 'stg_hr__research_projects', 'project_id') }}
    union all
    {{ duplicate_keys('raw_hr.KY_CGXX', 'stg_hr__research_outputs', 'output_id') }}
    union all
    {{ duplicate_keys('raw_xg.XG_XSXX', 'stg_xg__students', 'student_number') }}
    union all
    {{ duplicate_keys_classified('raw_xg.XG_CQJL', 'int_xg__dorm_checks_classified', 'dorm_check_id') }}
    union all
    {{ duplicate_keys('raw_xg.XG_WJCF', 'stg_xg__sanctions', 'sanction_id') }}
    union all
    {{ duplicate_keys('raw_xg.XG_JZXJ', 'stg_xg__awards', 'award_id') }}
    union all
    {{ duplicate_keys('raw_xg.XG_BYQX', 'stg_xg__graduate_destinations', 'destination_id') }}
    union all
    {{ duplicate_keys('raw_xg.XG_GZDC', 'stg_xg__graduate_surveys', 'survey_answer_id') }}
)

select * from ingest_duplicates

union all

select
    source_table,
    record_key,
    'data_center',
    duplicate_rows,
    cast(null as timestamp),
    cast(null as timestamp)
from data_center_duplicates
