-- A school year exists when 教务 has terms in it or the state platform reported it;
-- has_teaching_data lets the layers that judge teaching skip years only the platform knows.
with teaching_years as (
    select distinct school_year_start from {{ ref('dim_term') }}
),

state_years as (
    select collection_year - 1 as school_year_start from {{ ref('stg_state__school_facts') }}
    union
    select collection_year - 1 from {{ ref('stg_state__running_conditions') }}
    union
    select collection_year - 1 from {{ ref('stg_state__full_time_teachers') }}
    union
    select collection_year - 1 from {{ ref('stg_state__admissions') }}
    union
    select collection_year - 1 from {{ ref('stg_state__enrolled_students') }}
),

year_starts as (
    select school_year_start from teaching_years
    union
    select school_year_start from state_years
)

select
    {{ school_year_name('year_starts.school_year_start') }} as school_year,
    year_starts.school_year_start,
    {{ school_year_first_day('year_starts.school_year_start') }} as start_date,
    {{ school_year_last_day('year_starts.school_year_start') }} as end_date,
    year_starts.school_year_start + 1 as state_collection_year,
    cast(year_starts.school_year_start + 1 as varchar) as graduation_year,
    teaching_years.school_year_start is not null as has_teaching_data,
    state_years.school_year_start is not null as has_state_data
from year_starts
left join teaching_years on teaching_years.school_year_start = year_starts.school_year_start
left join (select distinct school_year_start from state_years) as state_years
    on state_years.school_year_start = year_starts.school_year_start
where year_starts.school_year_start is not null
