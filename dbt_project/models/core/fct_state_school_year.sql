with collection_years as (
    select collection_year from {{ ref('stg_state__school_facts') }}
    union
    select collection_year from {{ ref('stg_state__running_conditions') }}
    union
    select collection_year from {{ ref('stg_state__income') }}
),

school_facts as (
    select * from (
        select *, row_number() over (partition by collection_year order by _loaded_at desc nulls last) as load_rank
        from {{ ref('stg_state__school_facts') }}
    ) as ranked
    where load_rank = 1
),

running_conditions as (
    select * from (
        select *, row_number() over (partition by collection_year order by _loaded_at desc nulls last) as load_rank
        from {{ ref('stg_state__running_conditions') }}
    ) as ranked
    where load_rank = 1
),

income as (
    select * from (
        select *, row_number() over (partition by collection_year order by _loaded_at desc nulls last) as load_rank
        from {{ ref('stg_state__income') }}
    ) as ranked
    where load_rank = 1
)

select
    collection_years.collection_year,
    {{ school_year_name('collection_years.collection_year - 1') }} as school_year,
    school_facts.school_code,
    school_facts.school_name,
    school_facts.sponsor,
    school_facts.province,
    school_facts.founded_year,
    running_conditions.land_area_m2,
    running_conditions.teaching_research_building_m2,
    running_conditions.admin_office_building_m2,
    running_conditions.dorm_area_m2,
    running_conditions.equipment_value_wan,
    running_conditions.new_equipment_value_wan,
    running_conditions.paper_books,
    running_conditions.new_paper_books,
    running_conditions.teaching_computers,
    income.tuition_income_wan,
    income.fiscal_recurrent_subsidy_wan,
    income.special_fiscal_funding_wan,
    income.donations_wan
from collection_years
left join school_facts on school_facts.collection_year = collection_years.collection_year
left join running_conditions on running_conditions.collection_year = collection_years.collection_year
left join income on income.collection_year = collection_years.collection_year
where collection_years.collection_year is not null
