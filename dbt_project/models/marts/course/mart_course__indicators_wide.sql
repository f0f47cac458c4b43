{{ config(materialized='view') }}
{{ wide_indicators(
    'mart_course__indicators',
    ['CRS_ATTEND_RATE', 'CRS_PASS_RATE', 'CRS_EVAL_SCORE', 'CRS_SUPERVISOR_SCORE'],
    'teaching_class_id', 'teaching_class_name', 'offering_department_code'
) }}
