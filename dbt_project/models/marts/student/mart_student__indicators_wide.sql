{{ config(materialized='view') }}
-- 学生层指标宽表 · one row per student and period, one column per STU_ indicator, for
-- people who write SQL by hand. Term indicators are filled on term rows ('2024-2025-1'),
-- month indicators on month rows ('2024-10').
{{ wide_indicators(
    'mart_student__indicators',
    ['STU_ATTEND_RATE', 'STU_ABSENT_PERIODS', 'STU_NIGHTS_OUT', 'STU_LATE_RETURNS',
     'STU_FAILED_COURSES', 'STU_GPA', 'STU_SANCTIONS'],
    'student_number', 'student_name', 'department_code'
) }}
