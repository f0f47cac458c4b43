{{ config(materialized='view') }}
{{ wide_indicators(
    'mart_student__indicators',
    ['STU_ATTEND_RATE', 'STU_ABSENT_PERIODS', 'STU_NIGHTS_OUT', 'STU_LATE_RETURNS',
     'STU_FAILED_COURSES', 'STU_GPA', 'STU_SANCTIONS'],
    'student_number', 'student_name', 'department_code'
) }}
