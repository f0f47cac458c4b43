-- The 教务 register decides who is a student. Resolved once here (the latest load of each
-- student number), so dim_student and the classification of the big logs agree on it.
select *
from {{ latest_per_key(ref('stg_jw__student_register'), 'student_number', where='student_number is not null') }}
    as latest
