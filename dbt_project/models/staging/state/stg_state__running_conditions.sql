select
    try_cast(collection_year as integer) as collection_year,
    try_cast(land_area_m2 as double) as land_area_m2,
    try_cast(teaching_research_building_m2 as double) as teaching_research_building_m2,
    try_cast(admin_office_building_m2 as double) as admin_office_building_m2,
    try_cast(dorm_area_m2 as double) as dorm_area_m2,
    try_cast(equipment_value_wan as double) as equipment_value_wan,
    try_cast(new_equipment_value_wan as double) as new_equipment_value_wan,
    try_cast(paper_books as double) as paper_books,
    try_cast(new_paper_books as double) as new_paper_books,
    try_cast(teaching_computers as double) as teaching_computers,
    _load_id,
    _loaded_at
from {{ source('state', 'a3') }}
