-- Dropout and the students counted in ratios need the register status on a date, not today's,
-- so it is read from the register history. Before the history starts (the snapshot begins
-- with the first load) a student is taken as 在读; the *_basis columns say which rows rest on that.
with years as (
    select
        school_year,
        school_year_start,
        start_date,
        end_date,
        cast(start_date as timestamp) as year_opens,
        cast(end_date + interval '1 day' as timestamp) as year_closes
    from {{ ref('dim_school_year') }}
),

history as (
    select * from {{ ref('fct_student_register_history') }}
),

students as (
    select
        student_id,
        student_number,
        major_id,
        department_code,
        coalesce(entry_date, {{ date_from_parts('cohort_year', 9, 1) }}) as entry_date
    from {{ ref('dim_student') }}
),

history_starts as (
    select student_id, min(valid_from) as first_valid_from
    from history
    group by student_id
),

student_years as (
    select
        students.*,
        years.school_year,
        years.start_date,
        years.end_date,
        years.year_opens,
        years.year_closes,
        history_starts.first_valid_from
    from students
    cross join years
    left join history_starts on history_starts.student_id = students.student_id
    where students.entry_date <= years.end_date
),

at_opening as (
    select student_years.student_id, student_years.school_year, history.register_status_code,
        history.major_id, history.department_code
    from student_years
    inner join history
        on history.student_id = student_years.student_id
        and history.valid_from <= student_years.year_opens
        and (history.valid_to is null or history.valid_to > student_years.year_opens)
),

at_closing as (
    select student_years.student_id, student_years.school_year, history.register_status_code
    from student_years
    inner join history
        on history.student_id = student_years.student_id
        and history.valid_from <= student_years.year_closes
        and (history.valid_to is null or history.valid_to > student_years.year_closes)
),

withdrawals as (
    select student_years.student_id, student_years.school_year, min(history.valid_from) as withdrawn_at
    from student_years
    inner join history
        on history.student_id = student_years.student_id
        and history.register_status_code = '03'
        and history.valid_from >= student_years.year_opens
        and history.valid_from < student_years.year_closes
    group by student_years.student_id, student_years.school_year
),

statuses as (
    select
        student_years.*,
        at_opening.major_id as major_id_at_opening,
        at_opening.department_code as department_code_at_opening,
        case
            when at_opening.register_status_code is not null then at_opening.register_status_code
            when student_years.entry_date <= student_years.start_date
                and coalesce(student_years.first_valid_from > student_years.year_opens, true) then '01'
        end as status_at_start,
        case
            when at_opening.register_status_code is not null then 'history'
            when student_years.entry_date <= student_years.start_date then 'assumed_enrolled'
        end as start_status_basis,
        case
            when at_closing.register_status_code is not null then at_closing.register_status_code
            when coalesce(student_years.first_valid_from >= student_years.year_closes, true) then '01'
        end as status_at_end,
        case when at_closing.register_status_code is not null then 'history' else 'assumed_enrolled' end
            as end_status_basis,
        withdrawals.withdrawn_at
    from student_years
    left join at_opening
        on at_opening.student_id = student_years.student_id and at_opening.school_year = student_years.school_year
    left join at_closing
        on at_closing.student_id = student_years.student_id and at_closing.school_year = student_years.school_year
    left join withdrawals
        on withdrawals.student_id = student_years.student_id and withdrawals.school_year = student_years.school_year
)

select
    statuses.student_number,
    statuses.student_id,
    statuses.school_year,
    coalesce(statuses.major_id_at_opening, statuses.major_id) as major_id,
    majors.major_code,
    coalesce(statuses.department_code_at_opening, statuses.department_code) as department_code,
    statuses.entry_date,
    statuses.status_at_start,
    statuses.start_status_basis,
    statuses.status_at_end,
    statuses.end_status_basis,
    statuses.status_at_start = '01' as was_enrolled_at_start,
    statuses.entry_date between statuses.start_date and statuses.end_date as entered_in_year,
    -- the students "在读 when the year began": enrolled on 1 September or entering during
    -- the year (the autumn intake arrives after 1 September)
    coalesce(statuses.status_at_start = '01', false)
        or statuses.entry_date between statuses.start_date and statuses.end_date as in_year_base,
    statuses.withdrawn_at is not null as withdrew_in_year,
    statuses.withdrawn_at,
    coalesce(statuses.status_at_end = '01', false) as is_enrolled_at_end
from statuses
left join {{ ref('dim_major') }} as majors
    on majors.major_id = coalesce(statuses.major_id_at_opening, statuses.major_id)
