select
    collection_year,
    {{ school_year_name('collection_year - 1') }} as school_year,
    external_teacher_id,
    teacher_name,
    employer_name,
    title,
    periods_this_year
from (
    select *, row_number() over (
        partition by collection_year, external_teacher_id order by _loaded_at desc nulls last
    ) as load_rank
    from {{ ref('stg_state__part_time_teachers') }}
    where collection_year is not null and external_teacher_id is not null
) as teachers
where load_rank = 1
