{#- The dorm-check log is the second biggest table (14 M rows), so it is read, deduplicated
    and classified once, here, incrementally, like int_jw__check_ins_classified. -#}
-- Read only by incremental builds:
-- depends_on: {{ ref('stg_jw__student_register') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='dorm_check_id',
        on_schema_change='fail',
        post_hook="{{ delete_keys_gone_from_source('dorm_check_id', ref('stg_xg__dorm_checks_deleted')) }}",
    )
}}

{%- set last_build = previous_max(this, ['_loaded_at', '_classified_at']) if is_incremental() else {} %}
{%- set base_columns = ['dorm_check_id', 'student_number', 'check_date', 'dorm_status', 'dorm_status_zh',
                        'recorded_by', 'recorded_at', '_load_id', '_loaded_at'] %}

with

arrived as not materialized (
    select {{ base_columns | join(', ') }}
    from {{ ref('stg_xg__dorm_checks') }}
    {%- if is_incremental() %}
    where {{ loaded_after('_loaded_at', last_build['_loaded_at']) }}
    {%- endif %}
),

{{ latest_copy_per_key('arrived', 'dorm_check_id', base_columns) }},

{%- if is_incremental() %}

keys_to_reclassify as (
    -- Excluded last time: the student may have arrived since.
    select dorm_check_id from {{ this }} where exclusion_reason is not null and dorm_check_id is not null
    union all
    -- Arrived again: the previous row joins the dedupe.
    select dorm_check_id from {{ this }}
    where dorm_check_id in (select dorm_check_id from arrived where dorm_check_id is not null)
    union all
    -- Register row of the student number (re)loaded since the last build started: is the
    -- student still in the register?
    select dorm_check_id from {{ this }}
    where student_number in (
        select student_number from {{ ref('stg_jw__student_register') }}
        where {{ loaded_after('_loaded_at', last_build['_classified_at']) }}
    )
),

previous as (
    select {{ base_columns | join(', ') }}, duplicate_copies, exclusion_reason, _classified_at
    from {{ this }}
    where dorm_check_id in (select dorm_check_id from keys_to_reclassify)
),

batch as (
    select
        {%- for column in base_columns %}
        latest_arrived.{{ column }},
        {%- endfor %}
        latest_arrived.copies_removed + coalesce(previous.duplicate_copies + 1, 0) as duplicate_copies,
        previous.exclusion_reason as previous_exclusion_reason,
        cast(null as timestamp) as previous_classified_at
    from latest_arrived
    left join previous on previous.dorm_check_id = latest_arrived.dorm_check_id

    union all

    select {{ base_columns | join(', ') }}, duplicate_copies, exclusion_reason, _classified_at
    from previous
    where not exists (select 1 from latest_arrived where latest_arrived.dorm_check_id = previous.dorm_check_id)
),

{%- else %}

batch as (
    select {{ base_columns | join(', ') }}, copies_removed as duplicate_copies
    from latest_arrived
),

{%- endif %}

classified as (
    select
        batch.dorm_check_id,
        batch.student_number,
        batch.check_date,
        batch.dorm_status,
        batch.dorm_status_zh,
        batch.recorded_by,
        batch.recorded_at,
        cast(batch.duplicate_copies as bigint) as duplicate_copies,
        case
            when batch.dorm_check_id is null then 'missing_record_id'
            when students.student_number is null then 'student_not_in_register'
            when batch.check_date is null then 'missing_date'
            when batch.dorm_status is null then 'unknown_status'
        end as exclusion_reason,
        batch._loaded_at,
        batch._load_id
        {%- if is_incremental() %},
        batch.previous_exclusion_reason,
        batch.previous_classified_at
        {%- endif %}
    from batch
    left join {{ ref('int_jw__registered_students') }} as students on students.student_number = batch.student_number
)

-- month and the is_* flags are computed by fct_dorm_check from check_date and
-- dorm_status: DuckDB writes strings slowly and this table has 14 million rows.
select
    dorm_check_id,
    student_number,
    check_date,
    dorm_status,
    dorm_status_zh,
    recorded_by,
    recorded_at,
    duplicate_copies,
    exclusion_reason,
    {%- if is_incremental() %}
    -- a row classified again that came out the same keeps its time
    case
        when previous_classified_at is not null
            and previous_exclusion_reason is not distinct from exclusion_reason
        then previous_classified_at
        else {{ classification_time() }}
    end as _classified_at,
    {%- else %}
    {{ classification_time() }} as _classified_at,
    {%- endif %}
    _loaded_at,
    _load_id
from classified
