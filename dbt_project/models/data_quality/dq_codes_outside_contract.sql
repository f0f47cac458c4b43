-- Codes outside the contract are caught in two places: ingest quarantines them and staging
-- leaves a code it cannot decode null; both are listed here. The two big logs are read on
-- their classified intermediates rather than parsing their staging rows again.
with ingest_findings as (
    select
        source_table,
        column_name,
        {{ regexp_first_group('detail', "'''(.*)'''") }} as code_value,
        'ingest' as detected_by,
        rule,
        count(distinct row_key) as records
    from {{ ref('stg_meta__quarantine') }}
    where rule in ('code_not_allowed', 'bad_type')
    group by source_table, column_name, {{ regexp_first_group('detail', "'''(.*)'''") }}, rule
),

data_center_findings as (
    {{ undecoded_codes('raw_jw.JW_XJGL_XSJBXXB', 'stg_jw__student_register', 'XJZTDM', 'register_status_code', 'register_status') }}
    union all
    {{ undecoded_codes('raw_jw.JW_KQ_XSKQB', 'int_jw__check_ins_classified', 'KQZT', 'status_code', 'attendance_status') }}
    union all
    {{ undecoded_codes('raw_jw.JW_CJ_XSCJB', 'fct_grade', 'CJ', 'grade_text', "nullif(grade_kind, 'unrecognised')") }}
    union all
    {{ undecoded_codes('raw_jw.JW_CJ_XSCJB', 'stg_jw__grades', 'KSXZ', 'exam_type_zh', 'exam_type') }}
    union all
    {{ undecoded_codes('raw_jw.JW_CJ_XSCJB', 'stg_jw__grades', 'XQM', 'term_code', 'term_name') }}
    union all
    {{ undecoded_codes('raw_jw.JW_JXRW_JXBXXB', 'stg_jw__teaching_classes', 'XQM', 'term_code', 'term_name') }}
    union all
    {{ undecoded_codes('raw_jw.JW_JH_KCDMB', 'dim_course', 'KCXZ', 'course_type_zh', 'course_type') }}
    union all
    {{ undecoded_codes('raw_jw.ZFTAL_XTGL_JGDMB', 'stg_jw__organisations', 'LX', 'org_type_zh', 'kind') }}
    union all
    {{ undecoded_codes('raw_jw.ZFTAL_XTGL_JGDMB', 'dim_department', 'JGDM', 'department_code', "case when in_registry then 1 end") }}
    union all
    {{ undecoded_codes('raw_jw.JW_JXSG_JLB', 'stg_jw__teaching_incidents', 'SGDJ', 'severity_zh', 'severity') }}
    union all
    {{ undecoded_codes('raw_jw.JW_PJ_XSPFB', 'stg_jw__teaching_evaluations', 'ZF', 'total_score', "case when total_score between 0 and 100 then 1 end") }}
    union all
    {{ undecoded_codes('raw_jw.JW_DD_TKJLB', 'stg_jw__supervisor_visits', 'PF', 'score', "case when score between 0 and 100 then 1 end") }}
    union all
    {{ undecoded_codes('raw_hr.RS_JZGJBXX', 'stg_hr__staff', 'RYLB', 'staff_category_zh', 'staff_category') }}
    union all
    {{ undecoded_codes('raw_hr.RS_JZGJBXX', 'stg_hr__staff', 'ZCJB', 'title_level_zh', 'title_level') }}
    union all
    {{ undecoded_codes('raw_hr.RS_JZGJBXX', 'stg_hr__staff', 'ZT', 'employment_status_zh', 'employment_status') }}
    union all
    {{ undecoded_codes('raw_hr.RS_JZGJBXX', 'dim_staff', 'BMDM', 'hr_department_code', 'department_code') }}
    union all
    {{ undecoded_codes('raw_hr.RS_JCJL', 'stg_hr__honours_sanctions', 'LX', 'record_kind_zh', 'record_kind') }}
    union all
    {{ undecoded_codes('raw_xg.XG_CQJL', 'int_xg__dorm_checks_classified', 'ZT', 'dorm_status_zh', 'dorm_status') }}
    union all
    {{ undecoded_codes('raw_xg.XG_WJCF', 'stg_xg__sanctions', 'CFDJ', 'sanction_level_zh', 'sanction_level') }}
    union all
    {{ undecoded_codes('raw_xg.XG_JZXJ', 'stg_xg__awards', 'LB', 'award_kind_zh', 'award_kind') }}
    union all
    {{ undecoded_codes('raw_xg.XG_BYQX', 'stg_xg__graduate_destinations', 'QXLX', 'destination_type_zh', 'destination_type') }}
    union all
    {{ undecoded_codes('raw_xg.XG_GZDC', 'stg_xg__graduate_surveys', 'BYSMYD', 'graduate_satisfaction', "case when graduate_satisfaction between 1 and 5 then 1 end") }}
    union all
    {{ undecoded_codes('raw_xg.XG_GZDC', 'stg_xg__graduate_surveys', 'DWMYD', 'employer_satisfaction', "case when employer_satisfaction between 1 and 5 then 1 end") }}
)

select * from ingest_findings

union all

select source_table, column_name, code_value, 'data_center', 'not_decoded', records
from data_center_findings
