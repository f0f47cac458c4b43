with answers as (
    select * from {{ latest_per_key(ref('stg_xg__graduate_surveys'), 'survey_answer_id') }} as latest
)

select
    answers.survey_answer_id,
    answers.student_number,
    answers.graduation_year,
    cast(answers.graduation_year as varchar) as graduation_year_name,
    students.major_code,
    students.department_code,
    case when answers.graduate_satisfaction between 1 and 5 then answers.graduate_satisfaction end
        as graduate_satisfaction,
    case when answers.employer_satisfaction between 1 and 5 then answers.employer_satisfaction end
        as employer_satisfaction,
    answers.survey_date
from answers
inner join {{ ref('dim_student') }} as students on students.student_number = answers.student_number
where answers.survey_answer_id is not null
    and answers.graduation_year is not null
