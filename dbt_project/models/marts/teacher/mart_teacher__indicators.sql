-- 教师层质控点. Only full-time teachers in post at the year's end are judged, and only in
-- years with 教务 teaching data.
with teachers as (
    select staff_years.staff_id, staff_years.school_year, staff_years.staff_name, staff_years.department_code
    from {{ ref('fct_staff_school_year') }} as staff_years
    inner join {{ ref('dim_school_year') }} as years
        on years.school_year = staff_years.school_year and years.has_teaching_data
    where staff_years.is_full_time_teacher
),

ratings as (
    select teacher_staff_id as staff_id, school_year, sum(total_score) as score_sum, count(total_score) as ratings
    from {{ ref('fct_teaching_evaluation') }}
    where total_score is not null
    group by teacher_staff_id, school_year
),

teaching as (
    select teacher_staff_id as staff_id, school_year, sum(periods) as periods, count(*) as sessions
    from {{ ref('fct_class_session') }}
    group by teacher_staff_id, school_year
),

training as (
    select staff_id, school_year, sum(hours) as hours, count(hours) as trainings
    from {{ ref('fct_training') }}
    group by staff_id, school_year
),

practice as (
    select staff_id, school_year, sum(days) as days, count(days) as stays
    from {{ ref('fct_enterprise_practice') }}
    group by staff_id, school_year
),

incidents as (
    select teacher_staff_id as staff_id, school_year, count(*) as incidents
    from {{ ref('fct_teaching_incident') }}
    group by teacher_staff_id, school_year
),

sanctions as (
    select staff_id, school_year, count(*) as sanctions
    from {{ ref('fct_staff_honour_sanction') }}
    where is_sanction
    group by staff_id, school_year
),

teacher_years as (
    select
        teachers.*,
        ratings.score_sum,
        coalesce(ratings.ratings, 0) as ratings,
        coalesce(teaching.periods, 0) as periods,
        coalesce(teaching.sessions, 0) as sessions,
        coalesce(training.hours, 0) as training_hours,
        coalesce(training.trainings, 0) as trainings,
        coalesce(practice.days, 0) as practice_days,
        coalesce(practice.stays, 0) as practice_stays,
        coalesce(incidents.incidents, 0) as incidents,
        coalesce(sanctions.sanctions, 0) as sanctions
    from teachers
    left join ratings on ratings.staff_id = teachers.staff_id and ratings.school_year = teachers.school_year
    left join teaching on teaching.staff_id = teachers.staff_id and teaching.school_year = teachers.school_year
    left join training on training.staff_id = teachers.staff_id and training.school_year = teachers.school_year
    left join practice on practice.staff_id = teachers.staff_id and practice.school_year = teachers.school_year
    left join incidents on incidents.staff_id = teachers.staff_id and incidents.school_year = teachers.school_year
    left join sanctions on sanctions.staff_id = teachers.staff_id and sanctions.school_year = teachers.school_year
),

indicator_values as (
    select 'TCH_EVAL_SCORE' as indicator_code, staff_id, school_year,
        score_sum / nullif(ratings, 0) as value, score_sum as numerator, ratings as denominator
    from teacher_years
    union all
    select 'TCH_TEACHING_PERIODS', staff_id, school_year, periods, periods, sessions from teacher_years
    union all
    select 'TCH_TRAINING_HOURS', staff_id, school_year, training_hours, training_hours, trainings from teacher_years
    union all
    select 'TCH_PRACTICE_DAYS', staff_id, school_year, practice_days, practice_days, practice_stays from teacher_years
    union all
    select 'TCH_INCIDENTS', staff_id, school_year, incidents, incidents, null from teacher_years
    union all
    select 'TCH_SANCTIONS', staff_id, school_year, sanctions, sanctions, null from teacher_years
)
,

indicators as (
    select
        indicator_values.indicator_code,
        indicator_values.staff_id as entity_id,
        teachers.staff_name as entity_name,
        teachers.department_code as unit_id,
        indicator_values.school_year as period,
        cast(indicator_values.value as double precision) as value,
        cast(indicator_values.numerator as double precision) as numerator,
        cast(indicator_values.denominator as double precision) as denominator
    from indicator_values
    inner join teachers
        on teachers.staff_id = indicator_values.staff_id and teachers.school_year = indicator_values.school_year
)

{{ long_shape('indicators') }}
