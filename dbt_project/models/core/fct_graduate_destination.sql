with destinations as (
    select * from {{ latest_per_key(ref('stg_xg__graduate_destinations'), 'destination_id') }} as latest
)

select
    destinations.destination_id,
    destinations.student_number,
    destinations.graduation_year,
    cast(destinations.graduation_year as varchar) as graduation_year_name,
    students.major_code,
    students.department_code,
    destinations.destination_type,
    destinations.destination_type_zh,
    destinations.destination_type <> 'unemployed' as is_employed,
    destinations.destination_type in ('contract_employment', 'flexible_employment', 'self_employment')
        as counts_for_match,
    coalesce(
        destinations.destination_type in ('contract_employment', 'flexible_employment', 'self_employment')
        and destinations.matches_major,
        false
    ) as is_matched,
    destinations.employer_name,
    destinations.monthly_pay_yuan,
    destinations.work_province
from destinations
inner join {{ ref('dim_student') }} as students on students.student_number = destinations.student_number
where destinations.destination_id is not null
    and destinations.destination_type is not null
