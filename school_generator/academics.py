"""Teaching: courses, teaching classes, timetables and sessions held.

`build_courses` makes the course catalogue and each major's curriculum; `build_teaching`
turns it into teaching classes (one admin class taking one course with one teacher in
one term) and the sessions they hold. The term-by-term records (check-ins, grades,
ratings) are made in `records.py` from this structure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from . import catalog
from .frame import Frame, Term, to_day
from .people import AdminClass, Department, Major, Staff, Students, public_college

KIND_PUBLIC, KIND_BASIC, KIND_CORE, KIND_PRACTICE = "公共基础课", "专业基础课", "专业核心课", "实践课"

# Daily blocks: (JC text, periods, start second of day). Blocks 0-3 are daytime pairs,
# 4 is the evening pair; half-day blocks (practical training) take blocks 0+1 or 2+3.
BLOCKS = (("1-2", 2, 8 * 3600), ("3-4", 2, 10 * 3600), ("5-6", 2, 14 * 3600), ("7-8", 2, 16 * 3600),
          ("9-10", 2, 19 * 3600))
HALF_DAYS = (("1-4", 4, 8 * 3600), ("5-8", 4, 14 * 3600))
EVENING_DAYS = 4   # Monday to Thursday evenings can be used


@dataclass
class Course:
    index: int
    kch_id: str
    kch: str
    name: str
    credits: float
    periods: int
    kind: str
    text_graded: bool
    offering: str       # department_code
    session_periods: int


@dataclass
class TermTeaching:
    term: Term
    index: int
    jxb_id: list[str]
    jxb_name: list[str]
    jxb_class: np.ndarray
    jxb_course: np.ndarray
    jxb_teacher: np.ndarray
    jxb_end_day: np.ndarray      # last teaching day of the teaching class
    sess_id: np.ndarray          # SKJL_ID, increasing with time
    sess_jxb: np.ndarray
    sess_day: np.ndarray
    sess_jc: np.ndarray
    sess_periods: np.ndarray
    sess_start: np.ndarray       # second of day the session starts

    @property
    def exam_day(self) -> np.ndarray:
        return self.jxb_end_day + 4


def build_courses(rng: np.random.Generator, departments: list[Department], majors: list[Major]):
    """Course catalogue and curriculum {(major index, semester): [course index, ...]}."""
    public = public_college(departments)
    courses: list[Course] = []
    seq: dict[str, int] = {}

    def add(name, periods, kind, text_graded, offering, session_periods=catalog.SESSION_PERIODS):
        seq[offering] = seq.get(offering, 0) + 1
        kch = f"{offering}{seq[offering]:04d}"
        courses.append(Course(len(courses), f"KC{kch}", kch, name, periods / 16, periods, kind, text_graded,
                              offering, session_periods))
        return len(courses) - 1

    public_by_semester: dict[int, list[int]] = {}
    for sem, name, periods, text_graded, offering in catalog.PUBLIC_COURSES:
        public_by_semester.setdefault(sem, []).append(add(name, periods, KIND_PUBLIC, text_graded, offering or public))

    college_courses = {}
    for college in sorted({m.college for m in majors if m.enrolling}):
        basics, cores, practice = catalog.COLLEGE_COURSES[college]
        college_courses[college] = (
            [add(n, catalog.BASIC_PERIODS, KIND_BASIC, False, college) for n in basics],
            [add(n, catalog.CORE_PERIODS[i % len(catalog.CORE_PERIODS)], KIND_CORE, False, college)
             for i, n in enumerate(cores)],
            [add(n, catalog.PRACTICE_PERIODS, KIND_PRACTICE, True, college, catalog.PRACTICE_SESSION_PERIODS)
             for n in practice + catalog.PRACTICE_COMMON],
            [add(n, catalog.FINAL_TERM_PERIODS, KIND_PRACTICE, True, college, catalog.PRACTICE_SESSION_PERIODS)
             for n in catalog.FINAL_TERM_COURSES],
        )

    curriculum: dict[tuple[int, int], list[int]] = {}
    for m in majors:
        if not m.enrolling:
            continue
        basics, cores, practice, final = college_courses[m.college]
        own_cores = [cores[i] for i in rng.permutation(len(cores))[: catalog.CORE_COURSES_PER_MAJOR]]
        b = c = 0
        for sem in range(1, 7):
            n_basic, n_core, n_practice = catalog.MAJOR_PLAN[sem]
            chosen = list(public_by_semester.get(sem, []))
            chosen += basics[b:b + n_basic] + own_cores[c:c + n_core]
            chosen += practice[sem - 1:sem] if n_practice else []
            chosen += final if sem == 6 else []
            b, c = b + n_basic, c + n_core
            curriculum[(m.index, sem)] = chosen
    return courses, curriculum


def build_teaching(rng: np.random.Generator, frame: Frame, departments: list[Department], majors: list[Major],
                   classes: list[AdminClass], students: Students, courses: list[Course],
                   curriculum: dict, staff: Staff, parttime_share: dict[str, float]) -> list[TermTeaching]:
    holidays = frame.holiday_days()
    teachers = {d.code: staff.of("专任教师", d.code) for d in departments}
    parttimers = {d.code: staff.of("校外兼职", d.code) for d in departments}
    result = []
    next_session_id = 1
    load = np.zeros(len(staff.rows))
    for ti, term in enumerate(frame.terms):
        if term.number == 1:
            load[:] = 0     # teaching loads are balanced within a school year
        jxb_class, jxb_course, jxb_end = [], [], []
        for c in classes:
            sem = Frame.semester(c.cohort, term)
            members_last = students.last_day[c.first:c.first + c.size]
            if not 1 <= sem <= 6 or not (members_last >= term.start_day).any():
                continue
            end = term.teaching_end
            if sem == 6:
                end = min(end, Frame.graduation_date(c.cohort) - timedelta(days=14))
            for course in curriculum[(c.major, sem)]:
                jxb_class.append(c.index)
                jxb_course.append(course)
                jxb_end.append(to_day(end))
        jxb_class = np.array(jxb_class)
        jxb_course = np.array(jxb_course)
        jxb_end = np.array(jxb_end)
        jxb_teacher = _assign_teachers(rng, jxb_class, jxb_course, classes, courses, teachers, parttimers,
                                       parttime_share, load)
        sessions = _timetable(rng, term, jxb_class, jxb_course, jxb_end, courses, holidays)
        s_jxb, s_day, s_block, s_periods, s_start = sessions
        order = np.lexsort((s_jxb, s_start, s_day))
        n_sessions = len(order)
        jc = np.array([b[0] for b in BLOCKS + HALF_DAYS], dtype=object)
        xnm_xqm = f"{term.xnm}{int(term.xqm):02d}"
        result.append(TermTeaching(
            term=term, index=ti,
            jxb_id=[f"{xnm_xqm}{i + 1:05d}" for i in range(len(jxb_class))],
            jxb_name=[f"{courses[k].name}({classes[c].name})" for c, k in zip(jxb_class, jxb_course)],
            jxb_class=jxb_class, jxb_course=jxb_course, jxb_teacher=jxb_teacher, jxb_end_day=jxb_end,
            sess_id=np.arange(next_session_id, next_session_id + n_sessions),
            sess_jxb=s_jxb[order], sess_day=s_day[order], sess_jc=jc[s_block[order]],
            sess_periods=s_periods[order], sess_start=s_start[order],
        ))
        next_session_id += n_sessions
    return result


def _assign_teachers(rng, jxb_class, jxb_course, classes, courses, teachers, parttimers, parttime_share, load):
    """Each teaching class goes to the least-loaded teacher of the offering college; some
    practical trainings go to part-time teachers from industry (each of them teaches)."""
    assigned = np.full(len(jxb_class), -1)
    for i in np.lexsort((jxb_class, jxb_course)):
        course = courses[jxb_course[i]]
        college = course.offering
        pool = teachers[college]
        external = parttimers[college]
        if course.kind == KIND_PRACTICE and external and (
                (load[external] == 0).any() or rng.random() < parttime_share.get(college, 0)):
            pool = external
        if not pool:
            raise ValueError(f"no teacher for college {college}")
        pick = pool[int(np.argmin(load[pool]))]
        assigned[i] = pick
        load[pick] += course.periods
    return assigned


def _timetable(rng, term: Term, jxb_class, jxb_course, jxb_end, courses, holidays):
    """Weekly slots per admin class, then the dated sessions of each teaching class."""
    out_jxb, out_day, out_block, out_periods, out_start = [], [], [], [], []
    for c in np.unique(jxb_class):
        free = np.ones((5, len(BLOCKS)), dtype=bool)
        free[EVENING_DAYS:, 4] = False
        mine = np.flatnonzero(jxb_class == c)
        # Practical trainings first: they need a free half day.
        mine = mine[np.argsort([-courses[jxb_course[i]].session_periods for i in mine], kind="stable")]
        weeks_available = (int(jxb_end[mine[0]]) - term.start_day) // 7 + 1
        for i in mine:
            course = courses[jxb_course[i]]
            n = course.periods // course.session_periods
            per_week = math.ceil(n / max(1, weeks_available - 1))
            slots = _take_slots(rng, free, per_week, course.session_periods == 4)
            weeks = np.arange(weeks_available)
            days = (term.start_day + 7 * weeks[:, None] + np.array([d for d, _ in slots])[None, :]).ravel()
            blocks = np.tile([b for _, b in slots], len(weeks))
            keep = (days <= jxb_end[i]) & ~np.isin(days, holidays)
            days, blocks = days[keep], blocks[keep]
            order = np.lexsort((blocks, days))[:n]
            days, blocks = days[order], blocks[order]
            all_blocks = BLOCKS + HALF_DAYS
            out_jxb.append(np.full(len(days), i))
            out_day.append(days)
            out_block.append(blocks)
            out_periods.append(np.array([all_blocks[b][1] for b in blocks], dtype=np.int64))
            out_start.append(np.array([all_blocks[b][2] for b in blocks], dtype=np.int64))
    return tuple(np.concatenate(x) for x in (out_jxb, out_day, out_block, out_periods, out_start))


def _take_slots(rng, free: np.ndarray, k: int, half_day: bool) -> list[tuple[int, int]]:
    """k weekly slots (weekday, block index into BLOCKS + HALF_DAYS), marked as used."""
    slots = []
    for _ in range(k):
        if half_day:
            options = [(d, h) for d in range(5) for h in (0, 1) if free[d, 2 * h] and free[d, 2 * h + 1]]
        else:
            options = [(d, b) for d in range(5) for b in range(4) if free[d, b]]
            if not options:
                options = [(d, 4) for d in range(5) if free[d, 4]]
        if not options:
            raise ValueError("timetable overflow: the curriculum has more sessions than a week holds")
        d, b = options[int(rng.integers(len(options)))]
        if half_day:
            free[d, 2 * b] = free[d, 2 * b + 1] = False
            slots.append((d, len(BLOCKS) + b))
        else:
            free[d, b] = False
            slots.append((d, b))
    return slots
