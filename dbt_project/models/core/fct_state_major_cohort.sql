select
    collection_year,
    {{ school_year_name('collection_year - 1') }} as school_year,
    major_code,
    major_name,
    cohort_year,
    students
from (
    select *, row_number() over (
        partition by collection_year, major_code, cohort_year order by _loaded_at desc nulls last
    ) as load_rank
    from {{ ref('stg_state__enrolled_students') }}
    where collection_year is not null and major_code is not null and cohort_year is not null
) as cohorts
where load_rank = 1
