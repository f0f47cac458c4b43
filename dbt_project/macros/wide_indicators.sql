{#- The wide view of a layer mart: one row per entity and school year, one column per
    indicator (its code in lower case), for people who write SQL by hand and for BI tools.
    `indicators` maps each code to how its periods of the year become columns:
      'value'        one value a year (school-year and graduation-year grains, a teaching
                     class's one term): the value;
      'terms'        a value per term: columns <code>_term1 and <code>_term2;
      'month_total'  a count per month: the year's total;
      'month_rate'   a rate (%) per month: 100 × Σ numerator / Σ denominator of the year's months.
    The graduation year counts in the school year its cohort graduates in. Name and unit are
    the entity's in the year (the greatest, if its rows disagree). -#}
{% macro wide_indicators(mart, indicators, entity_id_as, entity_name_as, unit_id_as) -%}
with long_rows as (
    select * from {{ ref(mart) }}
),

years as (
    select
        entity_id,
        max(entity_name) as entity_name,
        max(unit_id) as unit_id,
        school_year,
        {%- for code, kind in indicators.items() %}
        {%- set picked = "indicator_code = '" ~ code ~ "'" %}
        {%- if kind == 'value' %}
        max(value) filter (where {{ picked }}) as {{ code | lower }}
        {%- elif kind == 'terms' %}
        max(value) filter (where {{ picked }} and period = school_year || '-1') as {{ code | lower }}_term1,
        max(value) filter (where {{ picked }} and period = school_year || '-2') as {{ code | lower }}_term2
        {%- elif kind == 'month_total' %}
        sum(value) filter (where {{ picked }}) as {{ code | lower }}
        {%- elif kind == 'month_rate' %}
        100 * sum(numerator) filter (where {{ picked }})
            / nullif(sum(denominator) filter (where {{ picked }}), 0) as {{ code | lower }}
        {%- else %}
        {{ exceptions.raise_compiler_error("wide_indicators: " ~ code ~ " has no column kind " ~ kind) }}
        {%- endif %}{{ ',' if not loop.last }}
        {%- endfor %}
    from long_rows
    group by entity_id, school_year
)

select
    years.entity_id as {{ entity_id_as }},
    years.entity_name as {{ entity_name_as }},
    years.unit_id as {{ unit_id_as }},
    years.school_year,
    periods.period_start,
    periods.period_end,
    {%- for code, kind in indicators.items() %}
    {%- if kind == 'terms' %}
    years.{{ code | lower }}_term1,
    years.{{ code | lower }}_term2{{ ',' if not loop.last }}
    {%- else %}
    years.{{ code | lower }}{{ ',' if not loop.last }}
    {%- endif %}
    {%- endfor %}
from years
left join {{ ref('dim_period') }} as periods on periods.period = years.school_year
{%- endmacro %}
