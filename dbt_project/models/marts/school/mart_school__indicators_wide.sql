{{ config(materialized='view') }}
{{ wide_indicators(
    'mart_school__indicators',
    ['SCH_STUDENT_TEACHER_RATIO', 'SCH_POSTGRAD_TEACHER_RATE', 'SCH_SENIOR_TITLE_RATE',
     'SCH_DUAL_QUALIFIED_RATE', 'SCH_PARTTIME_SHARE', 'SCH_BUILDING_PER_STUDENT',
     'SCH_EQUIPMENT_PER_STUDENT', 'SCH_BOOKS_PER_STUDENT', 'SCH_FUNDING_PER_STUDENT',
     'SCH_EMPLOY_RATE', 'COL_STUDENT_TEACHER_RATIO', 'COL_DUAL_QUALIFIED_RATE'],
    'entity_id', 'entity_name', 'department_code'
) }}
