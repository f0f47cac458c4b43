{#- History of the staff register (人事 RS_JZGJBXX): every version seen, valid from its
    update time GXSJ, so a new title, a move between departments, leaving or retiring
    keep their dates. No national id, phone or e-mail is kept in the history. -#}
{% snapshot snap_staff_register %}
{{ config(unique_key='staff_id', strategy='timestamp', updated_at='updated_at') }}
select
    staff_id,
    staff_name,
    hr_department_code,
    staff_category,
    staff_category_zh,
    title,
    title_level,
    title_level_zh,
    education_zh,
    degree_zh,
    is_dual_qualified,
    is_key_teacher,
    is_major_leader,
    hire_date,
    employment_status,
    employment_status_zh,
    coalesce(updated_at, _loaded_at) as updated_at
from {{ latest_per_key(ref('stg_hr__staff'), 'staff_id', where='staff_id is not null') }} as latest
{% endsnapshot %}
