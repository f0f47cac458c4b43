-- One overview for the engineers (and the sensor that alerts them); the details are in the
-- dq_ model each row names.
with checks as (
    select 'dq_excluded_records' as model_name, 'source records that could not enter core' as check_en,
        '未能进入核心层的源记录' as check_zh, count(*) as findings
    from {{ ref('dq_excluded_records') }}
    union all
    select 'dq_orphan_check_ins', 'check-ins that could not enter fct_attendance', '未能进入考勤事实表的考勤记录', count(*)
    from {{ ref('dq_orphan_check_ins') }}
    union all
    select 'dq_orphan_keys', 'records whose foreign key points at nothing', '外键无对应记录的源记录', coalesce(sum(records), 0)
    from {{ ref('dq_orphan_keys') }}
    union all
    select 'dq_duplicates_removed', 'duplicate copies removed', '已去除的重复记录', coalesce(sum(duplicate_rows), 0)
    from {{ ref('dq_duplicates_removed') }}
    union all
    select 'dq_codes_outside_contract', 'records with codes outside the contract', '代码超出约定的记录', coalesce(sum(records), 0)
    from {{ ref('dq_codes_outside_contract') }}
    union all
    select 'dq_state_teachers_vs_hr', 'teachers on which the state platform and HR disagree', '状态数据平台与人事系统不一致的专任教师', count(*)
    from {{ ref('dq_state_teachers_vs_hr') }}
    union all
    select 'dq_state_teacher_counts', 'departments whose full-time teacher counts differ (state vs HR)', '专任教师数不一致的部门（状态平台与人事）', count(*)
    from {{ ref('dq_state_teacher_counts') }} where difference <> 0 and department_code <> 'ALL'
    union all
    select 'dq_state_students_vs_register', 'majors and cohorts whose student counts differ (state vs 教务)', '在校生数不一致的专业年级（状态平台与教务）', count(*)
    from {{ ref('dq_state_students_vs_register') }}
    union all
    select 'dq_plan_refusals', 'rows of the plan workbooks refused', '目标任务与个体目标工作簿中被拒收的行', count(*)
    from {{ ref('dq_plan_refusals') }}
    union all
    select 'dq_unjudged_records', 'indicator values without a period or entity, or duplicated, left out of judging',
        '缺期间或实体、或重复、未能判定的指标值', count(*)
    from {{ ref('dq_unjudged_records') }} where left_out_of = 'mart_quality__status'
)

select model_name, check_zh, check_en, cast(findings as bigint) as findings, findings > 0 as has_findings
from checks
