{{ config(materialized='view') }}
-- 教师层指标宽表 · one row per full-time teacher and school year, one column per TCH_ indicator.
{{ wide_indicators(
    'mart_teacher__indicators',
    ['TCH_EVAL_SCORE', 'TCH_TEACHING_PERIODS', 'TCH_TRAINING_HOURS', 'TCH_PRACTICE_DAYS',
     'TCH_INCIDENTS', 'TCH_SANCTIONS'],
    'staff_id', 'staff_name', 'department_code'
) }}
