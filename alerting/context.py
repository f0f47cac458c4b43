"""What a reader of a digest needs to find the entity behind a warning.

A student: class, major and counsellor (a college's mail about a student is useless without
them). A teaching class: course and teacher. Read from core at dispatch time, so the digest
shows today's class and counsellor, not those of the night the warning opened.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

STUDENT_CONTEXT_SQL = """
    select student.student_number,
           coalesce(classes.class_name, student.student_affairs_class_name) as class_name,
           student.major_name, counsellor.staff_name as counsellor_name
    from core.dim_student as student
    left join core.dim_class as classes on classes.class_id = student.class_id
    left join core.dim_staff as counsellor on counsellor.staff_id = student.counsellor_staff_id
    where student.student_number in (select unnest(?::varchar[]))
"""
TEACHING_CLASS_CONTEXT_SQL = """
    select teaching_class_id, course_name, teacher_name
    from core.dim_teaching_class
    where teaching_class_id in (select unnest(?::varchar[]))
"""


def _joined(*parts: tuple[str, str | None]) -> str:
    return " · ".join(f"{label} {value.strip()}" if label else value.strip() for label, value in parts if value and value.strip())


def load_entity_context(warehouse: Path, entities: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(entity type, entity id) → e.g. '机电2401班 · 机电一体化技术 · 辅导员 王辅导' for the
    students and teaching classes among `entities`; other entity types have none."""
    students = sorted(entity_id for entity_type, entity_id in entities if entity_type == "student")
    classes = sorted(entity_id for entity_type, entity_id in entities if entity_type == "teaching_class")
    if not students and not classes:
        return {}
    context: dict[tuple[str, str], str] = {}
    try:
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            if students:
                for number, class_name, major, counsellor in connection.execute(STUDENT_CONTEXT_SQL, [students]).fetchall():
                    context[("student", number)] = _joined(("", class_name), ("", major), ("辅导员", counsellor))
            if classes:
                for class_id, course, teacher in connection.execute(TEACHING_CLASS_CONTEXT_SQL, [classes]).fetchall():
                    context[("teaching_class", class_id)] = _joined(("课程", course), ("任课教师", teacher))
    except duckdb.CatalogException as error:
        raise RuntimeError(
            f"仓库 {warehouse} 中缺少 core.dim_student / dim_class / dim_staff / dim_teaching_class，"
            f"无法为预警邮件补充班级、专业、辅导员与任课教师：请先运行 dbt build（{error}）"
        ) from error
    return {key: text for key, text in context.items() if text}
