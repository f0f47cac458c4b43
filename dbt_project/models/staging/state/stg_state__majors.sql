select
    try_cast(collection_year as integer) as collection_year,
    {{ clean_text('major_code') }} as major_code,
    {{ clean_text('major_name') }} as major_name,
    {{ clean_text('department') }} as department_name,
    try_cast(years_of_study as integer) as years_of_study,
    try_cast(is_enrolling as boolean) as is_enrolling,
    try_cast(first_enrolment_year as integer) as first_enrolment_year,
    _load_id,
    _loaded_at
from {{ source('state', 'a7_1_1') }}
