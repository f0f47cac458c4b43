with

source as (
    select * from {{ source('state', 'a3') }}
),

renamed as (
    select
        {{ try_cast_as('collection_year', 'integer', 'integer') }} as collection_year,
        {{ try_cast_as('land_area_m2', 'double', 'double') }} as land_area_m2,
        {{ try_cast_as('teaching_research_building_m2', 'double', 'double') }} as teaching_research_building_m2,
        {{ try_cast_as('admin_office_building_m2', 'double', 'double') }} as admin_office_building_m2,
        {{ try_cast_as('dorm_area_m2', 'double', 'double') }} as dorm_area_m2,
        {{ try_cast_as('equipment_value_wan', 'double', 'double') }} as equipment_value_wan,
        {{ try_cast_as('new_equipment_value_wan', 'double', 'double') }} as new_equipment_value_wan,
        {{ try_cast_as('paper_books', 'double', 'double') }} as paper_books,
        {{ try_cast_as('new_paper_books', 'double', 'double') }} as new_paper_books,
        {{ try_cast_as('teaching_computers', 'double', 'double') }} as teaching_computers,
        _load_id,
        _loaded_at
    from source
)

select * from renamed
