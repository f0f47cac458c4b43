-- One row per grade record (CJ_ID) of a registered student, with a readable term and exam
-- type (other records: dq_excluded_records). CJ is text in the source: a number 0–100, a grade
-- word, or 缺考/作弊/缓考. Decoded here once for every indicator:
--   score      numeric CJ as is; 优秀 95, 良好 85, 中等 75, 及格 65, 不及格 0;
--              缺考/作弊 have no score (they fail, but inventing marks would distort averages)
--   is_passed  numeric ≥ 60; 优秀–及格 pass; 不及格, 缺考, 作弊 fail
--   is_counted false for 缓考 (deferred: not yet examined) and for unreadable CJ, which
--              are left out of every indicator (unreadable ones are flagged by a data test)
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
