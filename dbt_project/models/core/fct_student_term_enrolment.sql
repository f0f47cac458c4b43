-- The student layer counts a student as active in a term when 教务 lists a course enrolment
-- of theirs for it, by the enrolment's own term (XNM/XQM) and whether or not its teaching
-- class is known: that is a wider net than fct_course_enrolment.
select distinct
    students.student_number,
    enrolments.term_name
from {{ ref('stg_jw__course_enrolments') }} as enrolments
inner join {{ ref('dim_student') }} as students on students.student_id = enrolments.student_id
where enrolments.term_name is not null
