{{ config(materialized='view') }}
{{ wide_indicators(
    'mart_major__indicators',
    {'MAJ_EMPLOY_RATE': 'value',
     'MAJ_MATCH_RATE': 'value',
     'MAJ_REPORT_RATE': 'value',
     'MAJ_DROPOUT_RATE': 'value',
     'MAJ_GRAD_SATISFACTION': 'value',
     'MAJ_EMPLOYER_SATISFACTION': 'value',
     'MAJ_PASS_RATE': 'terms'},
    'major_code', 'major_name', 'department_code'
) }}
