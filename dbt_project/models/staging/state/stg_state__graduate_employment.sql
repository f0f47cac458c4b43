select
    try_cast(collection_year as integer) as collection_year,
    {{ clean_text('major_code') }} as major_code,
    {{ clean_text('major_name') }} as major_name,
    try_cast(graduates as integer) as graduates,
    try_cast(employed as integer) as employed,
    try_cast(matched as integer) as matched,
    try_cast(in_province as integer) as in_province,
    try_cast(avg_starting_pay as double) as avg_starting_pay_yuan,
    _load_id,
    _loaded_at
from {{ source('state', 'a7_6_2') }}
