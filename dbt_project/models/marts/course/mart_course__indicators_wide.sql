{{ config(materialized='view') }}
-- 课程层指标宽表 · one row per teaching class and period, one column per CRS_ indicator.
-- CRS_ATTEND_RATE is filled on month rows ('2024-10'), the others on term rows.
{{ wide_indicators(
    'mart_course__indicators',
    ['CRS_ATTEND_RATE', 'CRS_PASS_RATE', 'CRS_EVAL_SCORE', 'CRS_SUPERVISOR_SCORE'],
    'teaching_class_id', 'teaching_class_name', 'offering_department_code'
) }}
