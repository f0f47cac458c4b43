-- One list of what could not be judged tonight, for the engineers' alert: a record the core
-- could not take (so no indicator counts it), or an indicator value without a period or an
-- entity, or one of two values for the same entity and period (so mart_quality__status, the
-- checks and the ledger leave it out).
with check_ins as (
    select
        'raw_jw.JW_KQ_XSKQB' as source_table,
        'KQ_ID' as key_column,
        cast(check_in_id as varchar) as record_key,
        case reason
            when 'missing_check_in_id' then 'KQ_ID'
            when 'student_not_in_register' then 'XH_ID'
            when 'unknown_status' then 'KQZT'
            else 'SKJL_ID'
        end as column_name,
        reason,
        'core' as left_out_of
    from {{ ref('dq_orphan_check_ins') }}
),

indicator_values as (
    {%- for mart in var('indicator_marts') %}
    select
        'marts.{{ mart }}' as source_table,
        'indicator_code|entity_id|period' as key_column,
        coalesce(indicator_code, '') || '|' || coalesce(entity_id, '') || '|' || coalesce(period, '') as record_key,
        case
            when entity_id is null then 'entity_id'
            when period is null then 'period'
            else 'indicator_code|entity_id|period'
        end as column_name,
        case
            when entity_id is null then 'missing_entity'
            when period is null then 'missing_period'
            else 'duplicate_value'
        end as reason,
        'mart_quality__status' as left_out_of
    from (
        select indicator_code, entity_id, period,
            count(*) over (partition by indicator_code, entity_id, period) as copies
        from {{ ref(mart) }}
    ) as mart_values
    where entity_id is null or period is null or copies > 1
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select source_table, key_column, record_id as record_key, column_name, reason, 'core' as left_out_of
from {{ ref('dq_excluded_records') }}
union all
select * from check_ins
union all
select * from indicator_values
