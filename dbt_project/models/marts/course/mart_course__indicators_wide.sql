{{ config(materialized='view') }}
{{ wide_indicators(
    'mart_course__indicators',
    {'CRS_ATTEND_RATE': 'month_rate',
     'CRS_PASS_RATE': 'value',
     'CRS_EVAL_SCORE': 'value',
     'CRS_SUPERVISOR_SCORE': 'value'},
    'teaching_class_id', 'teaching_class_name', 'offering_department_code'
) }}
