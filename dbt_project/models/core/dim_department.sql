-- The registry seed is the crosswalk between 教务 (JGDM) and HR (BMDM) codes. A 教务
-- organisation missing from it still gets a row (in_registry = false): its data is kept.
with registry as (
    select * from {{ ref('departments') }}
),

jw_orgs as (
    select * from {{ ref('stg_jw__organisations') }}
),

hr_departments as (
    select * from {{ ref('stg_hr__departments') }}
),

department_codes as (
    select department_code from registry
    union
    select department_code from jw_orgs where department_code is not null
)

select
    department_codes.department_code,
    jw_orgs.org_id as jw_org_id,
    registry.hr_code as hr_department_code,
    coalesce(registry.name_zh, jw_orgs.org_name) as department_name_zh,
    registry.name_en as department_name_en,
    coalesce(registry.kind, jw_orgs.kind) as kind,
    registry.role,
    parent_orgs.department_code as parent_department_code,
    jw_orgs.org_name as jw_org_name,
    hr_departments.department_name as hr_department_name,
    registry.department_code is not null as in_registry,
    jw_orgs.org_id is not null as in_jw,
    hr_departments.hr_department_code is not null as in_hr
from department_codes
left join registry on registry.department_code = department_codes.department_code
left join jw_orgs on jw_orgs.department_code = department_codes.department_code
left join jw_orgs as parent_orgs on parent_orgs.org_id = jw_orgs.parent_org_id
left join hr_departments on hr_departments.hr_department_code = registry.hr_code
