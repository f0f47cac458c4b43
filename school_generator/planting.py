"""Which entities carry the planted findings, and the manifest that lists them.

Everything is chosen relative to what the generated school holds, in its last school year,
among students still in school (status 01) at the as-of date, so the findings hold at
any scale the generator accepts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from .frame import Frame, month_keys, month_label, to_day
from .school import School

NEEDED = "too few {what} to plant the findings; use more students"


@dataclass
class Plan:
    term_a: int                                   # index of the last school year's autumn term
    term_b: int                                   # ... and of its spring term
    absent: dict[int, list[tuple[int, int]]]      # term -> [(student, absent periods wanted)]
    stopped: tuple[int, int]                      # (student, term): stops coming to class
    nights_out: list[tuple[int, int, int]]        # (student, month key, nights)
    late_returns: list[tuple[int, int, int]]      # (student, month key, late returns)
    failed: dict[int, list[int]]                  # term -> students failing >= 3 courses
    fight: tuple[int, int]                        # (student, day): sanction for fighting
    cheat: tuple[int, int]                        # (student, term): cheating in an exam, sanctioned
    attendance_class: tuple[int, int, int]        # (term, teaching class, month key)
    pass_class: tuple[int, int]                   # (term, teaching class)
    low_rating_teacher: int                       # staff row
    incident: tuple[int, int]                     # (staff row, day)
    employment_major: int
    observed: dict = field(default_factory=dict)  # figures measured while generating

    @property
    def planted_students(self) -> set[int]:
        ids = {s for rows in self.absent.values() for s, _ in rows} | {self.stopped[0]}
        ids |= {s for s, _, _ in self.nights_out} | {s for s, _, _ in self.late_returns}
        ids |= {s for rows in self.failed.values() for s in rows} | {self.fight[0], self.cheat[0]}
        return ids


def choose(rng: np.random.Generator, school: School) -> Plan:
    frame, s, teaching = school.frame, school.students, school.teaching
    term_a, term_b = len(frame.terms) - 2, len(frame.terms) - 1
    ta, tb = teaching[term_a], teaching[term_b]
    eligible = np.flatnonzero(s.status == "01")
    if len(eligible) < 40:
        raise ValueError(NEEDED.format(what="students"))

    # The student who stops coming sits in the largest class, so one empty seat does not
    # sink the class's own attendance.
    sizes = np.bincount(s.klass[eligible], minlength=len(school.classes))
    big_class = int(np.argmax(sizes))
    stopped = int(rng.choice(eligible[s.klass[eligible] == big_class]))
    pool = [int(x) for x in rng.permutation(eligible) if x != stopped]
    failed, used_classes = [], set()
    for x in pool:
        if len(failed) < 4 and s.klass[x] not in used_classes:
            failed.append(x)
            used_classes.add(int(s.klass[x]))
    pool = [x for x in pool if x not in failed]
    absent, nights, late, sanctioned = pool[:4], pool[4:7], pool[7:9], pool[9:11]
    if len(failed) < 4 or len(sanctioned) < 2:
        raise ValueError(NEEDED.format(what="students"))

    y = frame.school_years[-1]
    month = {m: (y if m >= 9 else y + 1) * 12 + m - 1 for m in range(1, 13)}
    low, high = school.limits.planted_absent_periods
    targets = [int(t) for t in rng.integers(low, high, size=4)]
    few, more = school.limits.planted_late_returns

    attendance_class = _attendance_class(rng, school, ta, term_a)
    pass_class = _pass_class(rng, school, tb, term_b)
    low_rating, incident_teacher = _teachers(rng, school, ta, tb)
    incident_sessions = np.flatnonzero(school.teaching[term_b].jxb_teacher[tb.sess_jxb] == incident_teacher)
    incident_day = int(tb.sess_day[incident_sessions[len(incident_sessions) // 2]])

    return Plan(
        term_a=term_a, term_b=term_b,
        absent={term_a: [(absent[i], targets[i]) for i in range(3)], term_b: [(absent[3], targets[3])]},
        stopped=(stopped, term_b),
        nights_out=[(nights[0], month[11], 2), (nights[1], month[11], 1), (nights[2], month[4], 1)],
        late_returns=[(late[0], month[12], few), (late[1], month[3], more)],
        failed={term_a: failed},
        fight=(sanctioned[0], to_day(date(y, 11, 14))),
        cheat=(sanctioned[1], term_a),
        attendance_class=attendance_class,
        pass_class=pass_class,
        low_rating_teacher=low_rating,
        incident=(incident_teacher, incident_day),
        employment_major=_employment_major(school),
    )


def _members_all_term(school: School, tt, jxb: int) -> np.ndarray:
    c = school.classes[tt.jxb_class[jxb]]
    members = np.arange(c.first, c.first + c.size)
    return members[school.students.last_day[members] >= tt.term.end_day]


def _young_class(school: School, tt, jxb: int) -> bool:
    """Teaching classes of cohorts still in school at the as-of date."""
    return school.classes[tt.jxb_class[jxb]].cohort > school.frame.school_years[-1] - 2


def _attendance_class(rng, school: School, tt, term: int) -> tuple[int, int, int]:
    months = month_keys(tt.sess_day)
    candidates = []
    for j in range(len(tt.jxb_id)):
        if not _young_class(school, tt, j) or len(_members_all_term(school, tt, j)) < 12:
            continue
        m = months[tt.sess_jxb == j]
        values, counts = np.unique(m, return_counts=True)
        if counts.max() >= 6 and school.courses[tt.jxb_course[j]].session_periods == 2:
            candidates.append((j, int(values[np.argmax(counts)])))
    if not candidates:
        raise ValueError(NEEDED.format(what="teaching classes"))
    j, m = candidates[int(rng.integers(len(candidates)))]
    return term, j, m


def _pass_class(rng, school: School, tt, term: int) -> tuple[int, int]:
    candidates = [j for j in range(len(tt.jxb_id))
                  if _young_class(school, tt, j) and len(_members_all_term(school, tt, j)) >= 12
                  and not school.courses[tt.jxb_course[j]].text_graded]
    if not candidates:
        raise ValueError(NEEDED.format(what="teaching classes"))
    return term, int(candidates[int(rng.integers(len(candidates)))])


def _teachers(rng, school: School, ta, tb) -> tuple[int, int]:
    """A full-time teacher with many students over the year (so at least 20 ratings), and
    another one who teaches in the spring term."""
    full_time = set(school.staff.of("专任教师"))
    students = {}
    for tt in (ta, tb):
        sizes = school.class_size[tt.jxb_class]
        for t, n in zip(tt.jxb_teacher, sizes):
            students[int(t)] = students.get(int(t), 0) + int(n)
    rated = sorted(t for t, n in students.items() if t in full_time and n >= 60)
    if len(rated) < 2:
        raise ValueError(NEEDED.format(what="teachers"))
    low = int(rated[int(rng.integers(len(rated)))])
    spring = sorted({int(t) for t in tb.jxb_teacher if int(t) in full_time and int(t) != low})
    return low, int(spring[int(rng.integers(len(spring)))])


def _employment_major(school: School) -> int:
    s = school.students
    last = school.frame.school_years[-1]
    graduates = (s.status == "04") & (s.cohort == last - 2)
    counts = np.bincount(s.major[graduates], minlength=len(school.majors))
    major = int(np.argmax(counts))
    if counts[major] < 10:
        raise ValueError(NEEDED.format(what="graduates"))
    return major


# ---------------------------------------------------------------- manifest

def manifest(school: School, plan: Plan, seed: int, n_students: int, years: int, extra_teacher: dict) -> dict:
    s, frame, staff = school.students, school.frame, school.staff
    terms = frame.terms
    year = Frame.year_name(frame.school_years[-1])
    xh = lambda i: str(s.xh[i])  # noqa: E731
    gh = lambda i: staff.rows[i]["GH"]  # noqa: E731
    obs = plan.observed
    a_term, a_jxb, a_month = plan.attendance_class
    p_term, p_jxb = plan.pass_class
    major = school.majors[plan.employment_major]
    college = school.department(school.planted_college)

    absent = [{"entity_id": xh(st), "period": terms[t].name, "absent_periods": obs["absent_periods"][(st, t)]}
              for t, rows in sorted(plan.absent.items()) for st, _ in rows]
    st, t = plan.stopped
    absent.append({"entity_id": xh(st), "period": terms[t].name, "absent_periods": obs["absent_periods"][(st, t)],
                   "attendance_rate": obs["attendance_rate"][(st, t)], "stopped_coming": True})
    failed = [{"entity_id": xh(st), "period": terms[t].name, "failed_courses": obs["failed"][(st, t)],
               "gpa": obs["gpa"][(st, t)]} for t, rows in sorted(plan.failed.items()) for st in rows]
    sanctions_in_force = [terms[plan.term_a].name, terms[plan.term_b].name]
    findings = [
        {"finding": 1, "indicator_code": "STU_ABSENT_PERIODS", "entity_type": "student", "key": "XH",
         "entities": absent,
         "also": [{"indicator_code": "STU_ATTEND_RATE", "entity_type": "student", "key": "XH",
                   "entities": [{"entity_id": e["entity_id"], "period": e["period"]}
                                for e in absent if e.get("stopped_coming")]}]},
        {"finding": 2, "indicator_code": "STU_NIGHTS_OUT", "entity_type": "student", "key": "XH",
         "entities": [{"entity_id": xh(st), "period": month_label(m), "nights_out": n}
                      for st, m, n in plan.nights_out]},
        {"finding": 3, "indicator_code": "STU_LATE_RETURNS", "entity_type": "student", "key": "XH",
         "entities": [{"entity_id": xh(st), "period": month_label(m), "late_returns": n}
                      for st, m, n in plan.late_returns]},
        {"finding": 4, "indicator_code": "STU_FAILED_COURSES", "entity_type": "student", "key": "XH",
         "entities": failed,
         "also": [{"indicator_code": "STU_GPA", "entity_type": "student", "key": "XH",
                   "entities": [{"entity_id": e["entity_id"], "period": e["period"]} for e in failed]}]},
        {"finding": 5, "indicator_code": "STU_SANCTIONS", "entity_type": "student", "key": "XH",
         "entities": [{"entity_id": xh(st), "period": p, "reason": why}
                      for st, why in ((plan.fight[0], "打架斗殴"), (plan.cheat[0], "考试作弊"))
                      for p in sanctions_in_force]},
        {"finding": 6, "indicator_code": "CRS_ATTEND_RATE", "entity_type": "teaching_class", "key": "JXB_ID",
         "entities": [{"entity_id": school.teaching[a_term].jxb_id[a_jxb], "period": month_label(a_month),
                       "attendance_rate": obs["class_attendance_rate"], "periods": obs["class_periods"]}]},
        {"finding": 7, "indicator_code": "CRS_PASS_RATE", "entity_type": "teaching_class", "key": "JXB_ID",
         "entities": [{"entity_id": school.teaching[p_term].jxb_id[p_jxb], "period": terms[p_term].name,
                       "pass_rate": obs["class_pass_rate"], "students": obs["class_graded"]}]},
        {"finding": 8, "indicator_code": "TCH_EVAL_SCORE", "entity_type": "staff", "key": "GH",
         "entities": [{"entity_id": gh(plan.low_rating_teacher), "period": year,
                       "average_rating": obs["teacher_rating"], "ratings": obs["teacher_ratings"]}],
         "also": [{"indicator_code": "CRS_EVAL_SCORE", "entity_type": "teaching_class", "key": "JXB_ID",
                   "entities": obs["low_rated_classes"]}]},
        {"finding": 9, "indicator_code": "TCH_INCIDENTS", "entity_type": "staff", "key": "GH",
         "entities": [{"entity_id": gh(plan.incident[0]), "period": year, "incidents": 1}]},
        {"finding": 10, "indicator_code": "MAJ_EMPLOY_RATE", "entity_type": "major", "key": "ZYDM",
         "entities": [{"entity_id": major.code, "entity_name": major.name, "period": str(frame.school_years[-1] + 1),
                       "employment_rate": obs["employment_rate"], "graduates": obs["graduates"]}]},
        {"finding": 11, "indicator_code": "COL_STUDENT_TEACHER_RATIO", "entity_type": "college",
         "key": "department_code",
         "entities": [{"entity_id": college.code, "entity_name": college.name, "period": year,
                       "students_in_school_at_year_end": obs["college_students"],
                       "full_time_teachers": obs["college_teachers"],
                       "ratio": round(obs["college_students"] / obs["college_teachers"], 2)}]},
    ]
    data_quality = [
        {"finding": 12, "check": "state_a6_1_teacher_missing_from_hr", "sheet": "A6-1",
         "collection_year": frame.as_of.year, "entity_id": extra_teacher["GH"], "entity_name": extra_teacher["XM"]},
        {"finding": 12, "check": "duplicate_kq_id", "table": "JW_KQ_XSKQB", "KQ_ID": obs["duplicate_kq_id"]},
        {"finding": 12, "check": "orphan_xh_id", "table": "JW_KQ_XSKQB", "KQ_ID": obs["orphan_kq_id"],
         "XH_ID": obs["orphan_xh_id"]},
    ]
    return {
        "generator": "school_generator", "seed": seed, "students": n_students, "years": years,
        "school_year": year, "as_of": frame.as_of.isoformat(),
        "findings": findings, "data_quality": data_quality,
        "expected_warnings": _expected(findings),
    }


def _expected(findings: list[dict]) -> list[dict]:
    """Flat list (indicator_code, entity_id, period) of the 预警 the findings must raise,
    including those that follow from them (the student who stopped coming is also below
    90 % attendance, ...)."""
    rows = []
    for f in findings:
        for group in [f] + f.get("also", []):
            rows += [{"indicator_code": group["indicator_code"], "entity_id": e["entity_id"], "period": e["period"]}
                     for e in group["entities"]]
    return rows


def add_task_findings(manifest: dict) -> None:
    """The department the plan workbooks grade 不达标 in the last year is 预警 in December (the
    year's figure): finding 13, and one more expected warning."""
    year = max(manifest["plan"]["task_years"])
    graded = manifest["plan"]["task_years"][year]
    failing = graded["failing"]
    finding = {"finding": 13, "indicator_code": "DEP_TASK_ACHIEVEMENT", "entity_type": "department",
               "key": "department_code",
               "entities": [{"entity_id": failing, "period": f"{year}-12",
                             "achievement": graded["december"][failing]["value"], "grade": "不达标"}]}
    manifest["findings"].append(finding)
    manifest["expected_warnings"] += _expected([finding])
