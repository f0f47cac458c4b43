select
    try_cast(collection_year as integer) as collection_year,
    {{ clean_text('major_code') }} as major_code,
    {{ clean_text('major_name') }} as major_name,
    try_cast(cohort as integer) as cohort_year,
    try_cast(students as integer) as students,
    _load_id,
    _loaded_at
from {{ source('state', 'a10_1') }}
