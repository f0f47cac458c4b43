"""Organisations, majors, administrative classes, students and staff."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from . import catalog, identity
from .frame import YEARS_OF_STUDY, Frame, to_date, to_day
from .limits import SEEDS, Limits

DEPARTMENTS_CSV = SEEDS / "departments.csv"

# Staffing rules of the demo school.
STUDENTS_PER_COUNSELLOR = 200
PUBLIC_PERIODS_PER_TEACHER = 480   # yearly load used to size the public-course college
PARTTIME_SHARE = 0.12              # part-time teachers per full-time teacher
CLASS_SIZE = 40


@dataclass
class Department:
    code: str
    hr_code: str
    name: str
    kind: str          # college / office
    jg_id: str
    email: str


@dataclass
class Major:
    index: int
    zyh_id: str
    code: str
    name: str
    college: str       # department_code
    first_year: int
    enrolling: bool


@dataclass
class AdminClass:
    index: int
    bh_id: str
    name: str
    major: int
    cohort: int
    first: int         # students of the class are first .. first + size - 1
    size: int


@dataclass
class Students:
    """Column arrays, one entry per student, sorted by cohort, major, class."""
    xh: np.ndarray
    xh_id: np.ndarray
    name: np.ndarray
    female: np.ndarray
    birth_day: np.ndarray
    sfzh: np.ndarray
    phone: np.ndarray
    cohort: np.ndarray
    major: np.ndarray
    klass: np.ndarray
    entry_day: np.ndarray
    last_day: np.ndarray      # last day in school (graduation or the day before leaving)
    status: np.ndarray        # XJZTDM as of the as-of date
    status_day: np.ndarray    # day of the last register change
    left_day: np.ndarray      # day the student left (休学/退学/保留学籍), else -1

    def __len__(self) -> int:
        return len(self.xh)


@dataclass
class Staff:
    """One dict per staff member: the RS_JZGJBXX columns plus `college` (department_code),
    `industry_months` (for state sheet A6-1) and `employer` (part-time teachers)."""
    rows: list[dict] = field(default_factory=list)

    def of(self, category: str, college: str | None = None) -> list[int]:
        return [i for i, r in enumerate(self.rows)
                if r["RYLB"] == category and r["ZT"] == "在职" and (college is None or r["college"] == college)]


def load_departments(path: Path = DEPARTMENTS_CSV) -> list[Department]:
    with open(path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [Department(r["department_code"], r["hr_code"], r["name_zh"], r["kind"], f"{i + 1:03d}", r["email"])
            for i, r in enumerate(rows)]


def public_college(departments: list[Department]) -> str:
    colleges = [d.code for d in departments if d.kind == "college" and d.code not in catalog.MAJORS]
    if len(colleges) != 1:
        raise ValueError(f"expected exactly one college without majors (public courses), found {colleges}")
    return colleges[0]


def check_catalog(departments: list[Department]) -> None:
    colleges = {d.code for d in departments if d.kind == "college"}
    used = set(catalog.MAJORS) | set(catalog.COLLEGE_COURSES) | {
        c for *_, c in catalog.PUBLIC_COURSES if c is not None}
    missing = used - colleges
    if missing:
        raise ValueError(f"catalog refers to colleges missing from departments.csv: {sorted(missing)}")


def build_majors(n_majors: int) -> list[Major]:
    """Take majors round-robin over the colleges so every college gets some."""
    per_college = [[(code, *m) for m in majors] for code, majors in catalog.MAJORS.items()]
    order = [m for rank in range(max(map(len, per_college))) for col in per_college
             if rank < len(col) for m in [col[rank]]]
    chosen = sorted(order[:n_majors], key=lambda m: (m[0], m[1]))
    majors = [Major(i, f"{i + 1:04d}", code_, name, col, year, True)
              for i, (col, code_, name, year) in enumerate(chosen)]
    for col, stopped in catalog.STOPPED_MAJORS.items():
        for code_, name, year in stopped:
            i = len(majors)
            majors.append(Major(i, f"{i + 1:04d}", code_, name, col, year, False))
    return majors


def _split(total: int, weights: np.ndarray) -> np.ndarray:
    """Largest-remainder split of `total` by weights."""
    raw = total * weights / weights.sum()
    counts = np.floor(raw).astype(int)
    counts[np.argsort(-(raw - counts), kind="stable")[: total - counts.sum()]] += 1
    return counts


def build_students(rng: np.random.Generator, frame: Frame, majors: list[Major], n_students: int,
                   limits: Limits):
    enrolling = [m for m in majors if m.enrolling]
    weights = rng.gamma(8.0, 1.0, size=len(enrolling))
    per_cohort = n_students / YEARS_OF_STUDY
    classes: list[AdminClass] = []
    cohort_l, major_l, class_l = [], [], []
    for cohort in frame.cohorts:
        size = int(round(per_cohort * (1 + 0.03 * (cohort - (frame.school_years[-1] - 1)))))
        for m, n in zip(enrolling, _split(size, weights)):
            k = max(1, int(round(n / CLASS_SIZE)))
            for no, class_size in enumerate(_split(int(n), np.ones(k)), start=1):
                ci = len(classes)
                classes.append(AdminClass(ci, f"{cohort}{m.index + 1:02d}{no:02d}", f"{m.name}{cohort}级{no}班",
                                          m.index, cohort, len(cohort_l), int(class_size)))
                cohort_l += [cohort] * class_size
                major_l += [m.index] * class_size
                class_l += [ci] * class_size
    cohort = np.array(cohort_l)
    major = np.array(major_l)
    klass = np.array(class_l)
    n = len(cohort)

    female_share = np.array([catalog.FEMALE_SHARE.get(m.college, catalog.DEFAULT_FEMALE_SHARE) for m in majors])
    female = rng.random(n) < female_share[major]
    entry = np.array([to_day(Frame.entry_date(c)) for c in frame.cohorts])[cohort - frame.cohorts[0]]
    birth = entry - np.round(rng.normal(18.3, 0.7, n) * 365.25).astype(int)

    # Student numbers: cohort, college, major number within the college, class, seat.
    seq_in_college = {}
    for m in enrolling:
        seq_in_college[m.index] = sum(1 for o in enrolling if o.college == m.college and o.index <= m.index)
    xh = []
    for c in classes:
        m = majors[c.major]
        no = int(c.bh_id[-2:])
        xh += [f"{c.cohort}{m.college}{seq_in_college[m.index]}{no:02d}{seat:02d}" for seat in range(1, c.size + 1)]

    grad = np.array([to_day(Frame.graduation_date(c)) for c in frame.cohorts])[cohort - frame.cohorts[0]]
    students = Students(
        xh=np.array(xh, dtype=object),
        xh_id=np.array(identity.hex_ids(rng, n, 12), dtype=object),
        name=np.array(identity.person_names(rng, female), dtype=object),
        female=female,
        birth_day=birth,
        sfzh=np.array(identity.id_numbers(rng, birth, female), dtype=object),
        phone=np.array(identity.phone_numbers(rng, n), dtype=object),
        cohort=cohort, major=major, klass=klass, entry_day=entry,
        last_day=grad.copy(), status=np.full(n, "01", dtype=object),
        status_day=entry.copy(), left_day=np.full(n, -1),
    )
    _plant_leavers(rng, frame, students, limits.max_dropout_share)
    as_of = to_day(frame.as_of)
    graduated = (students.left_day < 0) & (grad <= as_of)
    students.status[graduated] = "04"
    students.status_day[graduated] = grad[graduated]
    still_in = students.status == "01"
    # Registers get touched now and then (address, phone): a recent update day.
    students.status_day[still_in] = as_of - rng.integers(10, 330, size=int(still_in.sum()))
    return classes, students


def _plant_leavers(rng: np.random.Generator, frame: Frame, s: Students, max_dropout_share: float) -> None:
    """Some students suspend (休学 02), drop out (退学 03) or keep their place while away
    (保留学籍 05) during each school year; dropouts stay within max_dropout_share of a major."""
    kinds = (("03", 0.012), ("02", 0.008), ("05", 0.002))
    for y in frame.school_years:
        start, end = to_day(date(y, 9, 20)), to_day(date(y + 1, 6, 10))
        in_school = (s.cohort >= y - YEARS_OF_STUDY + 1) & (s.cohort <= y) & (s.left_day < 0)
        for m in np.unique(s.major[in_school]):
            pool = np.flatnonzero(in_school & (s.major == m))
            counts = [min(rng.binomial(len(pool), p), int(max_dropout_share * len(pool)) if code == "03" else len(pool))
                      for code, p in kinds]
            chosen = rng.choice(pool, size=min(sum(counts), len(pool)), replace=False)
            codes = np.repeat([c for c, _ in kinds], counts)[: len(chosen)]
            days = rng.integers(start, end, size=len(chosen))
            s.left_day[chosen] = days
            s.last_day[chosen] = days - 1
            s.status[chosen] = codes
            s.status_day[chosen] = days


def students_at_year_start(frame: Frame, s: Students, y: int) -> np.ndarray:
    """Mask of students in school on the first day of school year y."""
    day = to_day(frame.year_start(y))
    return (s.cohort >= y - YEARS_OF_STUDY + 1) & (s.cohort <= y) & ((s.left_day < 0) | (s.left_day > day))


# ---------------------------------------------------------------- staff

TITLE_BY_LEVEL = {"正高": "教授", "副高": "副教授", "中级": "讲师", "初级": "助教", "无": None}
SUPPORT_TITLE = {"正高": "正高级实验师", "副高": "高级实验师", "中级": "实验师", "初级": "助理实验师", "无": None}
INDUSTRY_TITLES = ("工程师", "高级工程师", "技师", "高级技师", "经济师", "主管护师", "设计师")
EDUCATION = (("博士研究生", "博士"), ("硕士研究生", "硕士"), ("大学本科", "学士"), ("大学专科及以下", "无"))


def staff_counts(frame: Frame, departments: list[Department], majors: list[Major], classes: list[AdminClass],
                 s: Students, planted_college: str, limits: Limits) -> dict[str, dict[str, int]]:
    """Head counts per category and department_code. Colleges get enough full-time teachers
    for their students, except the planted one, which is short of them."""
    colleges = [d.code for d in departments if d.kind == "college"]
    offices = [d.code for d in departments if d.kind == "office"]
    college_of = np.array([m.college for m in majors], dtype=object)[s.major]
    most = {c: max(int((students_at_year_start(frame, s, y) & (college_of == c)).sum()) for y in frame.school_years)
            for c in colleges}
    in_school_end = s.status == "01"
    counts = {k: {} for k in ("专任教师", "校外兼职", "辅导员", "教辅", "行政管理", "工勤")}
    for c in colleges:
        if most[c] == 0:
            continue
        if c == planted_college:
            at_end = int((in_school_end & (college_of == c)).sum())
            n = max(1, int(at_end // limits.planted_students_per_teacher))
            if at_end / n <= limits.min_students_per_teacher:
                raise ValueError("too few students to plant an understaffed college; use more students")
            counts["专任教师"][c] = n
            counts["校外兼职"][c] = max(1, int(round(2 * PARTTIME_SHARE * most[c] / limits.students_per_teacher)))
        else:
            counts["专任教师"][c] = math.ceil(most[c] / limits.students_per_teacher)
            counts["校外兼职"][c] = max(1, int(round(PARTTIME_SHARE * counts["专任教师"][c])))
        counts["辅导员"][c] = math.ceil(most[c] / STUDENTS_PER_COUNSELLOR)
        counts["教辅"][c] = 1 + most[c] // 400
        counts["行政管理"][c] = 2
    public = public_college(departments)
    periods = {}
    for y in frame.school_years:
        total = 0
        for c in classes:
            for sem in (2 * (y - c.cohort) + 1, 2 * (y - c.cohort) + 2):
                total += sum(p for k, _, p, _, off in catalog.PUBLIC_COURSES if k == sem and off is None)
        periods[y] = total
    counts["专任教师"][public] = max(2, math.ceil(max(periods.values()) / PUBLIC_PERIODS_PER_TEACHER))
    counts["行政管理"][public] = 1
    n_students = len(s) * YEARS_OF_STUDY / len(frame.cohorts)
    for o in offices:
        counts["行政管理"][o] = max(3, int(round(n_students / 600)))
        counts["工勤"][o] = max(1, int(round(n_students / 1500)))
    return counts


def build_staff(rng: np.random.Generator, frame: Frame, departments: list[Department],
                counts: dict[str, dict[str, int]]) -> Staff:
    by_code = {d.code: d for d in departments}
    # Work e-mails use the school's domain, taken from the registry of departments.
    domain = next(d.email for d in departments if d.email).split("@", 1)[1]
    specs = []      # (category, department_code, in service)
    for category, per_dept in counts.items():
        for code, n in per_dept.items():
            specs += [(category, code, True)] * n
    # A few full-time teachers who retired or left before the covered years.
    for code, n in counts["专任教师"].items():
        specs += [("专任教师", code, False)] * max(1, n // 30)
    n = len(specs)
    female = rng.random(n) < 0.52
    age = np.clip(rng.normal(40, 8.5, n), 25, 59).astype(int)
    category = np.array([c for c, _, _ in specs], dtype=object)
    age[category == "辅导员"] = np.clip(rng.normal(31, 4, int((category == "辅导员").sum())), 25, 45).astype(int)
    in_service = np.array([s for _, _, s in specs])
    age[~in_service] = rng.integers(56, 63, size=int((~in_service).sum()))
    as_of = frame.as_of
    birth = np.array([to_day(date(as_of.year - a, 1, 1)) for a in age]) + rng.integers(0, 365, n)
    hire_age = np.clip(rng.normal(27, 2.5, n), 22, age - 1).astype(int)
    hire_year = np.minimum(as_of.year - age + hire_age, frame.first_year - 1)
    names = identity.person_names(rng, female)
    ids = identity.id_numbers(rng, birth, female)
    phones = identity.phone_numbers(rng, n)
    level_draw = rng.choice(5, size=n, p=[0.07, 0.26, 0.45, 0.18, 0.04])
    edu_draw = rng.choice(4, size=n, p=[0.06, 0.52, 0.40, 0.02])
    key_teacher = rng.random(n) < 0.2
    seq_by_year: dict[int, int] = {}
    parttime_seq = 0
    rows = []
    for i, (cat, code, active) in enumerate(specs):
        dept = by_code[code]
        if cat == "校外兼职":
            parttime_seq += 1
            gh = f"W{parttime_seq:05d}"
        else:
            seq_by_year[int(hire_year[i])] = seq_by_year.get(int(hire_year[i]), 0) + 1
            gh = f"{hire_year[i]}{seq_by_year[int(hire_year[i])]:04d}"
        level = ("正高", "副高", "中级", "初级", "无")[level_draw[i]]
        edu, degree = EDUCATION[edu_draw[i]]
        if cat in ("辅导员", "行政管理"):
            edu, degree = EDUCATION[min(max(edu_draw[i], 1), 2)]
        if cat == "工勤":
            level, edu, degree = "无", "大学专科及以下", "无"
        if cat == "专任教师":
            title = TITLE_BY_LEVEL[level]
        elif cat == "教辅":
            title = SUPPORT_TITLE[level]
        elif cat == "校外兼职":
            level = ("副高", "中级", "中级", "初级")[i % 4]
            title = INDUSTRY_TITLES[i % len(INDUSTRY_TITLES)]
        else:
            title = {"正高": "研究员", "副高": "副研究员", "中级": "助理研究员", "初级": "研究实习员", "无": None}[level]
        hired = date(int(hire_year[i]), 7, 1) + timedelta(days=int(rng.integers(0, 60)))
        if active:
            status, changed = "在职", to_date(to_day(as_of) - int(rng.integers(5, 700)))
        else:
            status = "退休" if age[i] >= 60 else "离职"
            changed = date(frame.first_year - 1, 7, 1) - timedelta(days=int(rng.integers(0, 400)))
        rows.append({
            "GH": gh, "XM": names[i], "XB": "女" if female[i] else "男", "CSRQ": to_date(birth[i]).isoformat(),
            "SFZH": ids[i], "SJHM": phones[i], "DZYX": None if cat == "校外兼职" else f"{gh}@{domain}",
            "BMDM": dept.hr_code, "RYLB": cat, "ZC": title, "ZCJB": level, "XL": edu, "XW": degree,
            "SFSS": "否", "SFGG": "是" if cat == "专任教师" and key_teacher[i] else "否", "SFZYDTR": "否",
            "RZRQ": hired.isoformat(), "ZT": status,
            "GXSJ": f"{changed.isoformat()} {9 + i % 8:02d}:{(i * 7) % 60:02d}:00",
            "college": code, "industry_months": 0, "employer": None,
        })
    staff = Staff(rows)
    _dual_qualified(rng, staff, departments)
    for i in staff.of("校外兼职"):
        staff.rows[i]["employer"] = identity.company_names(rng, 1)[0]
    return staff


def _dual_qualified(rng: np.random.Generator, staff: Staff, departments: list[Department]) -> None:
    """About 60 % of a college's teachers are 双师型 (fewer where public courses are taught);
    dual-qualified teachers have years in industry."""
    public = public_college(departments)
    for d in departments:
        teachers = staff.of("专任教师", d.code)
        if not teachers:
            continue
        share = 0.4 if d.code == public else 0.6
        dual = rng.permutation(teachers)[: int(round(share * len(teachers)))]
        for i in teachers:
            staff.rows[i]["industry_months"] = int(rng.integers(0, 18))
        for i in dual:
            staff.rows[i]["SFSS"] = "是"
            staff.rows[i]["industry_months"] = int(rng.integers(12, 121))


def mark_major_leaders(rng: np.random.Generator, staff: Staff, majors: list[Major]) -> None:
    """One 专业带头人 per enrolling major, a senior teacher of the major's college."""
    taken = set()
    for m in majors:
        if not m.enrolling:
            continue
        pool = [i for i in staff.of("专任教师", m.college) if i not in taken]
        senior = [i for i in pool if staff.rows[i]["ZCJB"] in ("正高", "副高")] or pool
        if senior:
            i = int(rng.choice(senior))
            taken.add(i)
            staff.rows[i]["SFZYDTR"] = "是"

