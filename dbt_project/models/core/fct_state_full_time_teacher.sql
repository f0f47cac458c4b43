select
    collection_year,
    {{ school_year_name('collection_year - 1') }} as school_year,
    staff_id,
    staff_name,
    gender_zh,
    birth_month,
    department_name,
    education_zh,
    degree_zh,
    title,
    title_level_zh,
    is_dual_qualified,
    is_key_teacher,
    industry_months
from (
    select *, row_number() over (partition by collection_year, staff_id order by _loaded_at desc nulls last) as load_rank
    from {{ ref('stg_state__full_time_teachers') }}
    where collection_year is not null and staff_id is not null
) as teachers
where load_rank = 1
