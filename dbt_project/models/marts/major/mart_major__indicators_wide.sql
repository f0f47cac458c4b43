{{ config(materialized='view') }}
-- 专业层指标宽表 · one row per major (national code) and period, one column per MAJ_
-- indicator: graduation-year rows ('2025') carry employment, match and satisfaction,
-- school-year rows ('2024-2025') report and dropout rates, term rows the pass rate.
{{ wide_indicators(
    'mart_major__indicators',
    ['MAJ_EMPLOY_RATE', 'MAJ_MATCH_RATE', 'MAJ_REPORT_RATE', 'MAJ_DROPOUT_RATE',
     'MAJ_GRAD_SATISFACTION', 'MAJ_EMPLOYER_SATISFACTION', 'MAJ_PASS_RATE'],
    'major_code', 'major_name', 'department_code'
) }}
