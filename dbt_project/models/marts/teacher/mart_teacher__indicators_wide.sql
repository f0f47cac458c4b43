{{ config(materialized='view') }}
{{ wide_indicators(
    'mart_teacher__indicators',
    ['TCH_EVAL_SCORE', 'TCH_TEACHING_PERIODS', 'TCH_TRAINING_HOURS', 'TCH_PRACTICE_DAYS',
     'TCH_INCIDENTS', 'TCH_SANCTIONS'],
    'staff_id', 'staff_name', 'department_code'
) }}
