select
    courses.course_id,
    courses.course_code,
    courses.course_name,
    courses.credits,
    courses.total_periods,
    courses.course_type_zh,
    case courses.course_type_zh
        when '公共基础课' then 'public_foundation'
        when '专业基础课' then 'major_foundation'
        when '专业核心课' then 'major_core'
        when '实践课' then 'practice'
    end as course_type,
    orgs.department_code as offering_department_code
from {{ ref('stg_jw__courses') }} as courses
left join {{ ref('stg_jw__organisations') }} as orgs on orgs.org_id = courses.offering_org_id
