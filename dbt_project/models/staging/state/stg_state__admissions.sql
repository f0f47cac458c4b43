select
    try_cast(collection_year as integer) as collection_year,
    {{ clean_text('major_code') }} as major_code,
    {{ clean_text('major_name') }} as major_name,
    try_cast(planned as integer) as planned,
    try_cast(admitted as integer) as admitted,
    try_cast(reported as integer) as reported,
    _load_id,
    _loaded_at
from {{ source('state', 'a7_6_1') }}
