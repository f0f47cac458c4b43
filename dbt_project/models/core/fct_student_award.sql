with awards as (
    select * from {{ latest_per_key(ref('stg_xg__awards'), 'award_id') }} as latest
)

select
    awards.award_id,
    awards.student_number,
    awards.award_name,
    awards.award_kind,
    awards.award_kind_zh,
    awards.award_level_zh,
    awards.amount_yuan,
    awards.award_date,
    {{ school_year_of('awards.award_date') }} as school_year
from awards
inner join {{ ref('dim_student') }} as students on students.student_number = awards.student_number
where awards.award_id is not null
    and awards.award_date is not null
