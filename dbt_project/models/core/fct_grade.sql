-- CJ is free text in the source (a number, a grade word, 缺考/作弊/缓考). It is decoded once
-- here, so every indicator reads the same score, pass and counted flag.
with grades as (
    select * from {{ latest_per_key(ref('stg_jw__grades'), 'grade_id') }} as latest
),

decoded as (
    select
        grades.*,
        {{ try_cast_as('grades.grade_text', 'double') }} as numeric_grade,
        case
            when {{ try_cast_as('grades.grade_text', 'double') }} between 0 and 100 then 'numeric'
            when grades.grade_text in ('优秀', '良好', '中等', '及格', '不及格') then 'grade_word'
            when grades.grade_text = '缺考' then 'absent_from_exam'
            when grades.grade_text = '作弊' then 'cheating'
            when grades.grade_text = '缓考' then 'deferred'
            else 'unrecognised'
        end as grade_kind
    from grades
)

select
    decoded.grade_id,
    students.student_number,
    decoded.student_id,
    decoded.teaching_class_id,
    decoded.course_id,
    decoded.term_name,
    decoded.school_year_start,
    decoded.exam_type,
    decoded.exam_type_zh,
    decoded.grade_text,
    decoded.grade_kind,
    cast(case decoded.grade_kind
        when 'numeric' then decoded.numeric_grade
        when 'grade_word' then
            case decoded.grade_text
                when '优秀' then 95 when '良好' then 85 when '中等' then 75 when '及格' then 65 when '不及格' then 0
            end
    end as double precision) as score,
    case decoded.grade_kind
        when 'numeric' then decoded.numeric_grade >= 60
        when 'grade_word' then decoded.grade_text <> '不及格'
        when 'absent_from_exam' then false
        when 'cheating' then false
    end as is_passed,
    decoded.grade_kind not in ('deferred', 'unrecognised') as is_counted,
    decoded.credits,
    decoded.grade_point
from decoded
inner join {{ ref('dim_student') }} as students on students.student_id = decoded.student_id
where decoded.grade_id is not null
    and decoded.term_name is not null
    and decoded.exam_type is not null
