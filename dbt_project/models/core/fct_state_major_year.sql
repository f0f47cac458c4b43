-- Majors 教务 does not know keep their row (is_known_to_jw = false), so the platform's
-- figures are not lost; dq_state_students_vs_register lists them.
with keys as (
    select collection_year, major_code from {{ ref('stg_state__majors') }}
    union
    select collection_year, major_code from {{ ref('stg_state__admissions') }}
    union
    select collection_year, major_code from {{ ref('stg_state__graduate_employment') }}
    union
    select collection_year, major_code from {{ ref('stg_state__enrolled_students') }}
),

majors as (
    select * from (
        select *, row_number() over (partition by collection_year, major_code order by _loaded_at desc nulls last) as load_rank
        from {{ ref('stg_state__majors') }}
    ) as ranked
    where load_rank = 1
),

admissions as (
    select * from (
        select *, row_number() over (partition by collection_year, major_code order by _loaded_at desc nulls last) as load_rank
        from {{ ref('stg_state__admissions') }}
    ) as ranked
    where load_rank = 1
),

employment as (
    select * from (
        select *, row_number() over (partition by collection_year, major_code order by _loaded_at desc nulls last) as load_rank
        from {{ ref('stg_state__graduate_employment') }}
    ) as ranked
    where load_rank = 1
),

enrolled as (
    select collection_year, major_code, max(major_name) as major_name, sum(students) as students
    from {{ ref('stg_state__enrolled_students') }}
    group by collection_year, major_code
),

jw_majors as (
    select major_code, min(major_name) as major_name, min(department_code) as department_code
    from {{ ref('dim_major') }}
    where major_code is not null
    group by major_code
)

select
    keys.collection_year,
    {{ school_year_name('keys.collection_year - 1') }} as school_year,
    keys.major_code,
    coalesce(majors.major_name, admissions.major_name, employment.major_name, enrolled.major_name) as major_name,
    majors.department_name as state_department_name,
    jw_majors.department_code,
    jw_majors.major_code is not null as is_known_to_jw,
    majors.years_of_study,
    majors.is_enrolling,
    majors.first_enrolment_year,
    admissions.planned,
    admissions.admitted,
    admissions.reported,
    employment.graduates,
    employment.employed,
    employment.matched,
    employment.in_province,
    employment.avg_starting_pay_yuan,
    enrolled.students as enrolled_students
from keys
left join majors on majors.collection_year = keys.collection_year and majors.major_code = keys.major_code
left join admissions on admissions.collection_year = keys.collection_year and admissions.major_code = keys.major_code
left join employment on employment.collection_year = keys.collection_year and employment.major_code = keys.major_code
left join enrolled on enrolled.collection_year = keys.collection_year and enrolled.major_code = keys.major_code
left join jw_majors on jw_majors.major_code = keys.major_code
where keys.collection_year is not null and keys.major_code is not null
