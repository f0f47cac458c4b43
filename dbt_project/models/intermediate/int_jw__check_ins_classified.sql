{#- The smart-classroom log is the biggest table (32 M rows at 20 000 students), so it is read,
    deduplicated and classified once, here, incrementally; what a nightly run reclassifies is
    in the YAML description. A reclassified row that comes out the same keeps its
    _classified_at, which the analysts' snapshot uses to copy only changed rows. -#}
-- Read only by incremental builds:
-- depends_on: {{ ref('stg_jw__student_register') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='check_in_id',
        on_schema_change='fail',
        post_hook="{{ delete_keys_gone_from_source('check_in_id', ref('stg_jw__check_ins_deleted')) }}",
    )
}}

{%- set last_build = previous_max(this, ['_loaded_at', '_classified_at']) if is_incremental() else {} %}
{%- set base_columns = ['check_in_id', 'session_id', 'student_id', 'status_code', 'attendance_status',
                        'attendance_status_zh', 'recorded_at', '_load_id', '_loaded_at'] %}
{#- what classification adds to a row: a row classified again keeps its _classified_at
    when none of these changed -#}
{%- set classified_columns = ['teaching_class_id', 'student_number', 'session_date', 'term_name', 'periods',
                              'exclusion_reason'] %}

with

arrived as not materialized (
    -- The copies to classify: all of them on a full build, those loaded since the last one
    -- on an incremental build (a filter on the raw column: DuckDB skips older row groups).
    -- Not materialized: each use below reads only what it needs.
    select {{ base_columns | join(', ') }}
    from {{ ref('stg_jw__check_ins') }}
    {%- if is_incremental() %}
    where {{ loaded_after('_loaded_at', last_build['_loaded_at']) }}
    {%- endif %}
),

{{ latest_copy_per_key('arrived', 'check_in_id', base_columns) }},

{%- if is_incremental() %}

{#- Loaded since the last build started (ingest and dbt stamp local time). A reload that
    changes nothing only costs a reclassification. #}
{%- set since_last_build = loaded_after('_loaded_at', last_build['_classified_at']) %}

reloaded_students as (
    -- register rows (re)loaded, and every student id sharing their student number
    -- (int_jw__registered_students keeps one register row per student number)
    select student_id from {{ ref('stg_jw__student_register') }}
    where student_number in (
        select student_number from {{ ref('stg_jw__student_register') }} where {{ since_last_build }}
    )
    union
    select student_id from {{ ref('stg_jw__student_register') }} where {{ since_last_build }}
),

keys_to_reclassify as (
    -- Each a semi-join on one column of this table (union of cheap scans, not one OR).
    -- Excluded last time: the student or session may have arrived since.
    select check_in_id from {{ this }} where exclusion_reason is not null and check_in_id is not null
    union all
    -- Arrived again: the previous row joins the dedupe.
    select check_in_id from {{ this }}
    where check_in_id in (select check_in_id from arrived where check_in_id is not null)
    union all
    -- Session (re)loaded: date, periods or teaching class may have changed.
    select check_in_id from {{ this }}
    where session_id in (select session_id from {{ ref('stg_jw__class_sessions') }} where {{ since_last_build }})
    union all
    -- Student's register row (re)loaded: student number, or in the register at all.
    select check_in_id from {{ this }}
    where student_id in (select student_id from reloaded_students)
    union all
    -- Teaching class (re)loaded: its term may have changed.
    select check_in_id from {{ this }}
    where teaching_class_id in (
        select teaching_class_id from {{ ref('stg_jw__teaching_classes') }} where {{ since_last_build }}
    )
),

previous as (
    -- Rows of the last build to classify again (rows without a key never change).
    select {{ base_columns | join(', ') }}, duplicate_copies, {{ classified_columns | join(', ') }}, _classified_at
    from {{ this }}
    where check_in_id in (select check_in_id from keys_to_reclassify)
),

batch as (
    -- a key that arrived again: the newer copy wins, the previous row becomes a copy removed
    select
        {%- for column in base_columns %}
        latest_arrived.{{ column }},
        {%- endfor %}
        latest_arrived.copies_removed + coalesce(previous.duplicate_copies + 1, 0) as duplicate_copies,
        {%- for column in classified_columns %}
        previous.{{ column }} as previous_{{ column }},
        {%- endfor %}
        cast(null as timestamp) as previous_classified_at
    from latest_arrived
    left join previous on previous.check_in_id = latest_arrived.check_in_id

    union all

    select
        {{ base_columns | join(', ') }},
        duplicate_copies,
        {%- for column in classified_columns %}
        {{ column }},
        {%- endfor %}
        _classified_at
    from previous
    where not exists (select 1 from latest_arrived where latest_arrived.check_in_id = previous.check_in_id)
),

{%- else %}

batch as (
    select {{ base_columns | join(', ') }}, copies_removed as duplicate_copies
    from latest_arrived
),

{%- endif %}

sessions as (
    -- the latest copy of each session (on an incremental build, of the batch's sessions only)
    select session_id, teaching_class_id, session_date, periods
    from {{ latest_per_key(ref('stg_jw__class_sessions'), 'session_id',
        where='session_id is not null' ~ (' and session_id in (select session_id from batch)' if is_incremental() else '')) }}
        as latest_sessions
),

classified as (
    select
        batch.check_in_id,
        batch.session_id,
        sessions.teaching_class_id,
        students.student_number,
        batch.student_id,
        sessions.session_date,
        teaching_classes.term_name,
        sessions.periods,
        batch.status_code,
        batch.attendance_status,
        batch.attendance_status_zh,
        batch.recorded_at,
        cast(batch.duplicate_copies as bigint) as duplicate_copies,
        case
            when batch.check_in_id is null then 'missing_check_in_id'
            when students.student_id is null then 'student_not_in_register'
            when sessions.session_id is null then 'session_not_found'
            when teaching_classes.term_name is null then 'session_without_term'
            when sessions.session_date is null then 'session_without_date'
            when batch.attendance_status is null then 'unknown_status'
        end as exclusion_reason,
        batch._loaded_at,
        batch._load_id
        {%- if is_incremental() %},
        {%- for column in classified_columns %}
        batch.previous_{{ column }},
        {%- endfor %}
        batch.previous_classified_at
        {%- endif %}
    from batch
    left join sessions on sessions.session_id = batch.session_id
    left join {{ ref('int_jw__registered_students') }} as students on students.student_id = batch.student_id
    left join {{ ref('stg_jw__teaching_classes') }} as teaching_classes
        on teaching_classes.teaching_class_id = sessions.teaching_class_id
)

-- month and the is_* flags are computed by fct_attendance from session_date and
-- status_code: DuckDB writes strings slowly and this table has 32 million rows.
select
    check_in_id,
    session_id,
    teaching_class_id,
    student_number,
    student_id,
    session_date,
    term_name,
    periods,
    status_code,
    attendance_status,
    attendance_status_zh,
    recorded_at,
    duplicate_copies,
    exclusion_reason,
    {%- if is_incremental() %}
    -- a row classified again that came out the same keeps its time
    case
        when previous_classified_at is not null
            {%- for column in classified_columns %}
            and previous_{{ column }} is not distinct from {{ column }}
            {%- endfor %}
        then previous_classified_at
        else {{ classification_time() }}
    end as _classified_at,
    {%- else %}
    {{ classification_time() }} as _classified_at,
    {%- endif %}
    _loaded_at,
    _load_id
from classified
