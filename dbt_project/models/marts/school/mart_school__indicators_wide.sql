{{ config(materialized='view') }}
{{ wide_indicators(
    'mart_school__indicators',
    {'SCH_STUDENT_TEACHER_RATIO': 'value',
     'SCH_POSTGRAD_TEACHER_RATE': 'value',
     'SCH_SENIOR_TITLE_RATE': 'value',
     'SCH_DUAL_QUALIFIED_RATE': 'value',
     'SCH_PARTTIME_SHARE': 'value',
     'SCH_BUILDING_PER_STUDENT': 'value',
     'SCH_EQUIPMENT_PER_STUDENT': 'value',
     'SCH_BOOKS_PER_STUDENT': 'value',
     'SCH_FUNDING_PER_STUDENT': 'value',
     'SCH_EMPLOY_RATE': 'value',
     'COL_STUDENT_TEACHER_RATIO': 'value',
     'COL_DUAL_QUALIFIED_RATE': 'value'},
    'entity_id', 'entity_name', 'department_code'
) }}
