"""The whole demo school in memory (everything but the event logs), built once."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import academics, people
from .frame import Frame
from .limits import Limits


@dataclass
class School:
    frame: Frame
    departments: list[people.Department]
    majors: list[people.Major]
    classes: list[people.AdminClass]
    students: people.Students
    staff: people.Staff
    courses: list[academics.Course]
    curriculum: dict
    teaching: list[academics.TermTeaching]
    planted_college: str
    limits: Limits
    # Per-student and per-teacher tendencies that shape the event logs.
    ability: np.ndarray = None
    p_absent: np.ndarray = None
    p_leave: np.ndarray = None
    p_late: np.ndarray = None
    p_late_return: np.ndarray = None
    course_difficulty: np.ndarray = None
    teacher_rating: np.ndarray = None
    hardship: np.ndarray = None           # 家庭经济困难 level, set with the student file
    ids: dict = field(default_factory=lambda: {"KQ_ID": 0, "CJ_ID": 0, "PJ_ID": 0, "TK_ID": 0, "JL_ID": 0})

    @property
    def class_first(self) -> np.ndarray:
        return np.array([c.first for c in self.classes])

    @property
    def class_size(self) -> np.ndarray:
        return np.array([c.size for c in self.classes])

    def department(self, code: str) -> people.Department:
        return next(d for d in self.departments if d.code == code)

    def college_of_student(self) -> np.ndarray:
        return np.array([m.college for m in self.majors], dtype=object)[self.students.major]

    def next_ids(self, name: str, n: int) -> np.ndarray:
        start = self.ids[name] + 1
        self.ids[name] += n
        return np.arange(start, start + n)


def build(rng: np.random.Generator, frame: Frame, departments: list[people.Department], limits: Limits,
          n_students: int) -> School:
    people.check_catalog(departments)
    n_majors = int(np.clip(round(n_students / 150), 7, sum(map(len, people.catalog.MAJORS.values()))))
    majors = people.build_majors(n_majors)
    classes, students = people.build_students(rng, frame, majors, n_students, limits)
    college_of = np.array([m.college for m in majors], dtype=object)[students.major]
    at_end = students.status == "01"
    colleges = sorted({m.college for m in majors if m.enrolling})
    # The understaffed college is the one with most students: its shortage shows clearly.
    planted_college = max(colleges, key=lambda c: (int((at_end & (college_of == c)).sum()), c))
    counts = people.staff_counts(frame, departments, majors, classes, students, planted_college, limits)
    staff = people.build_staff(rng, frame, departments, counts)
    people.mark_major_leaders(rng, staff, majors)
    courses, curriculum = academics.build_courses(rng, departments, majors)
    parttime_share = {c: (0.35 if c == planted_college else 0.15) for c in colleges}
    teaching = academics.build_teaching(rng, frame, departments, majors, classes, students, courses, curriculum,
                                       staff, parttime_share)
    n = len(students)
    school = School(frame, departments, majors, classes, students, staff, courses, curriculum, teaching,
                    planted_college, limits)
    school.ability = rng.normal(80, 6, n)
    school.p_absent = rng.gamma(0.8, 0.005, n)
    school.p_leave = rng.gamma(2.0, 0.008, n)
    school.p_late = rng.gamma(2.0, 0.007, n)
    school.p_late_return = rng.gamma(1.0, 0.003, n)
    school.course_difficulty = rng.normal(0, 3, len(courses))
    school.teacher_rating = np.clip(rng.normal(90.5, 2.5, len(staff.rows)), 85, 97)
    return school

