{{ config(materialized='view') }}
{{ wide_indicators(
    'mart_teacher__indicators',
    {'TCH_EVAL_SCORE': 'value',
     'TCH_TEACHING_PERIODS': 'value',
     'TCH_TRAINING_HOURS': 'value',
     'TCH_PRACTICE_DAYS': 'value',
     'TCH_INCIDENTS': 'value',
     'TCH_SANCTIONS': 'value'},
    'staff_id', 'staff_name', 'department_code'
) }}
