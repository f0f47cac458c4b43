{#- History of the student register (教务 JW_XJGL_XSJBXXB). The register keeps only the
    current status; this snapshot keeps every version it has seen, valid from the row's
    update time GXSJ (timestamp strategy), so a change to 休学 or 退学 keeps its date.
    History starts with the first load: what changed before it is not recoverable, and
    fct_student_school_year says when it had to fall back on the current register. -#}
{% snapshot snap_student_register %}
{{ config(unique_key='student_id', strategy='timestamp', updated_at='updated_at') }}
select
    student_id,
    student_number,
    student_name,
    major_id,
    class_id,
    cohort_year,
    org_id,
    register_status_code,
    register_status,
    entry_date,
    -- a row without GXSJ is dated by its load, so it still enters the history
    coalesce(updated_at, _loaded_at) as updated_at
from {{ latest_per_key(ref('stg_jw__student_register'), 'student_id', where='student_id is not null') }} as latest
{% endsnapshot %}
