select
    try_cast(collection_year as integer) as collection_year,
    try_cast(tuition_income_wan as double) as tuition_income_wan,
    try_cast(fiscal_recurrent_subsidy_wan as double) as fiscal_recurrent_subsidy_wan,
    try_cast(special_fiscal_funding_wan as double) as special_fiscal_funding_wan,
    try_cast(donations_wan as double) as donations_wan,
    _load_id,
    _loaded_at
from {{ source('state', 'a5_1') }}
