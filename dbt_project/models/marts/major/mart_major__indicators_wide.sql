{{ config(materialized='view') }}
{{ wide_indicators(
    'mart_major__indicators',
    ['MAJ_EMPLOY_RATE', 'MAJ_MATCH_RATE', 'MAJ_REPORT_RATE', 'MAJ_DROPOUT_RATE',
     'MAJ_GRAD_SATISFACTION', 'MAJ_EMPLOYER_SATISFACTION', 'MAJ_PASS_RATE'],
    'major_code', 'major_name', 'department_code'
) }}
