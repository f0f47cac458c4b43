{{ config(materialized='view') }}
{{ wide_indicators(
    'mart_student__indicators',
    {'STU_ATTEND_RATE': 'terms',
     'STU_ABSENT_PERIODS': 'terms',
     'STU_NIGHTS_OUT': 'month_total',
     'STU_LATE_RETURNS': 'month_total',
     'STU_FAILED_COURSES': 'terms',
     'STU_GPA': 'terms',
     'STU_SANCTIONS': 'terms'},
    'student_number', 'student_name', 'department_code'
) }}
