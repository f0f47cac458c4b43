"""学工 records: student file, nightly dorm checks, discipline, awards, destinations and
the graduate follow-up survey."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from . import identity
from .frame import day_strings, month_keys, timestamp_strings, to_day, weekday
from .planting import Plan
from .records import keep_within
from .school import School

DAY = 86400
IN_ROOM, LATE_RETURN, NIGHT_OUT, ON_LEAVE = "在寝", "晚归", "夜不归宿", "请假"
BUILDINGS_PER_GENDER = 4
ROOM_BEDS = 6
# Chance of being away on leave on a given night, Monday .. Sunday (weekends at home).
LEAVE_BY_WEEKDAY = np.array([0.01, 0.01, 0.01, 0.01, 0.25, 0.30, 0.08])


def dorm_rooms(school: School) -> tuple[np.ndarray, np.ndarray]:
    """Building and room of every student: men and women in separate buildings."""
    s = school.students
    building = np.where(s.female, BUILDINGS_PER_GENDER, 0) + (s.cohort % BUILDINGS_PER_GENDER)
    room = np.zeros(len(s), dtype=int)
    for b in np.unique(building):
        mine = np.flatnonzero(building == b)
        slot = np.arange(len(mine)) // ROOM_BEDS
        room[mine] = (slot // 30 + 1) * 100 + slot % 30 + 1
    return building, room


def counsellors_of_classes(school: School) -> list[str]:
    staff = school.staff
    result = []
    seen: dict[str, int] = {}
    for c in school.classes:
        college = school.majors[c.major].college
        pool = staff.of("辅导员", college)
        k = seen.get(college, 0)
        seen[college] = k + 1
        result.append(staff.rows[pool[(k // 5) % len(pool)]]["GH"])
    return result


def write_student_file(rng: np.random.Generator, school: School, writer) -> None:
    s = school.students
    building, room = dorm_rooms(school)
    counsellor = counsellors_of_classes(school)
    hardship = rng.choice(["无", "一般", "困难", "特别困难"], size=len(s), p=[0.75, 0.12, 0.09, 0.04])
    school.hardship = hardship
    changed = timestamp_strings(s.status_day * DAY + 9 * 3600 + np.arange(len(s)) % 28800)
    writer.write("XG_XSXX", zip(s.xh.tolist(), s.name.tolist(), (school.classes[k].name for k in s.klass),
                                (counsellor[k] for k in s.klass), (f"{b + 1}号楼" for b in building),
                                (str(r) for r in room), hardship.tolist(), changed))


def write_dorm_checks(rng: np.random.Generator, school: School, term_index: int, plan: Plan, writer) -> None:
    s, frame = school.students, school.frame
    term = frame.terms[term_index]
    nights = np.arange(term.start_day, term.end_day + 1)
    nights = nights[~np.isin(nights, frame.holiday_days())]
    semester = 2 * (term.xnm - s.cohort) + term.number
    boarders = np.flatnonzero((semester >= 1) & (semester <= 6) & (s.last_day >= term.start_day))
    present = s.last_day[boarders][None, :] >= nights[:, None]
    night_i, board_i = np.nonzero(present)
    night, student = nights[night_i], boarders[board_i]
    n = len(night)
    u = rng.random(n)
    p_leave = LEAVE_BY_WEEKDAY[weekday(night)]
    status = np.where(u < p_leave, 2, np.where(u < p_leave + school.p_late_return[student], 1, 0))
    locked = np.zeros(n, dtype=bool)
    month = month_keys(night)
    codes = {IN_ROOM: 0, LATE_RETURN: 1, ON_LEAVE: 2, NIGHT_OUT: 3}
    for planted, code in ((plan.nights_out, NIGHT_OUT), (plan.late_returns, LATE_RETURN)):
        for st, m, k in planted:
            rows = np.flatnonzero((student == st) & (month == m) & (weekday(night) < 4))
            if len(rows):
                chosen = rng.choice(rows, size=k, replace=False)
                status[chosen] = codes[code]
                locked[chosen] = True
    # Background late returns stay within the monthly cap per student.
    key = student.astype(np.int64) * 10_000 + (month - month.min())
    keys, key_index = np.unique(key, return_inverse=True)
    allowed = np.maximum(0, school.limits.max_late_returns - np.bincount(key_index, weights=(status == 1) & locked))
    late = np.flatnonzero((status == 1) & ~locked)
    status[keep_within(late, key_index, np.ones(n), allowed)] = 0

    for st, m, _ in plan.nights_out:
        mine = (student == st) & (month == m)
        if mine.any():
            plan.observed.setdefault("nights_out", {})[st] = int((status[mine] == 3).sum())
    building, _ = dorm_rooms(school)
    keepers = [school.staff.rows[i]["XM"] for i in school.staff.of("工勤")]
    keeper = np.array([keepers[b % len(keepers)] for b in range(2 * BUILDINGS_PER_GENDER)], dtype=object)
    labels = np.array([IN_ROOM, LATE_RETURN, ON_LEAVE, NIGHT_OUT], dtype=object)
    check_time = np.select([status == 1, status == 3], [rng.integers(23 * 3600 + 300, 23 * 3600 + 3300, n),
                                                         rng.integers(23 * 3600 + 1800, 23 * 3600 + 3000, n)],
                           rng.integers(22 * 3600 + 1800, 23 * 3600, n))
    ids = school.next_ids("JL_ID", n)
    chunk = 500_000
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        writer.write("XG_CQJL", zip(ids[a:b].tolist(), s.xh[student[a:b]].tolist(),
                                    day_strings(night[a:b]).tolist(), labels[status[a:b]].tolist(),
                                    keeper[building[student[a:b]]].tolist(),
                                    timestamp_strings(night[a:b] * DAY + check_time[a:b])))


def write_discipline(rng: np.random.Generator, school: School, plan: Plan, writer) -> None:
    """Older sanctions, all lifted before the covered years, and the two planted ones in force."""
    s, frame = school.students, school.frame
    y = frame.first_year - 1
    pool = np.flatnonzero((s.cohort >= y - 2) & (s.cohort <= y) & ~np.isin(np.arange(len(s)),
                                                                           list(plan.planted_students)))
    chosen = np.sort(rng.choice(pool, size=max(1, len(pool) // 200), replace=False))
    kinds = rng.choice(["旷课", "夜不归宿", "考试作弊", "打架斗殴", "其他"], size=len(chosen),
                       p=[0.35, 0.2, 0.2, 0.15, 0.1])
    levels = rng.choice(["警告", "严重警告", "记过"], size=len(chosen), p=[0.6, 0.3, 0.1])
    start = to_day(date(y, 10, 1))
    day = start + rng.integers(0, 90, len(chosen))
    lifted = np.minimum(day + rng.integers(180, 240, len(chosen)), to_day(date(y + 1, 8, 20)))
    rows = []
    for i, (st, kind, level, d, l) in enumerate(zip(chosen, kinds, levels, day, lifted)):
        rows.append((int(d), s.xh[st], kind, level, f"校学〔{y}〕{i + 1}号", day_strings([l])[0], int(l)))
    y_last = frame.school_years[-1]
    fight_student, fight_day = plan.fight
    cheat_student = plan.cheat[0]
    cheat_day = plan.observed["cheat_day"] + 3
    rows.append((fight_day, s.xh[fight_student], "打架斗殴", "严重警告", f"校学〔{y_last}〕21号", None, fight_day + 2))
    rows.append((cheat_day, s.xh[cheat_student], "考试作弊", "警告", f"校学〔{y_last + 1}〕3号", None, cheat_day + 1))
    ids = range(1, len(rows) + 1)
    writer.write("XG_WJCF", ((f"CF{i:06d}", xh, day_strings([d])[0], kind, level, doc, lifted,
                              timestamp_strings([changed * DAY + 10 * 3600])[0])
                             for i, (d, xh, kind, level, doc, lifted, changed) in zip(ids, rows)))


AWARDS = (  # name, kind, level, amount, share of the eligible students
    ("国家奖学金", "奖学金", "国家级", 8000.0, 0.003),
    ("学校一等奖学金", "奖学金", "校级", 1500.0, 0.02),
    ("学校二等奖学金", "奖学金", "校级", 1000.0, 0.04),
    ("学校三等奖学金", "奖学金", "校级", 500.0, 0.06),
    ("三好学生", "荣誉称号", "校级", None, 0.03),
    ("优秀学生干部", "荣誉称号", "校级", None, 0.02),
)
GRANTS = {"特别困难": ("国家助学金一等", 4400.0), "困难": ("国家助学金二等", 3300.0), "一般": ("国家助学金三等", 2200.0)}


def write_awards(rng: np.random.Generator, school: School, writer) -> None:
    s = school.students
    rows = []
    for y in school.frame.school_years:
        award_day = to_day(date(y, 11, 20))
        # Merit awards reward last year's results: second- and third-year students.
        eligible = np.flatnonzero((s.cohort >= y - 2) & (s.cohort <= y - 1) & (s.last_day >= award_day))
        merit = eligible[np.argsort(-(school.ability[eligible] + rng.normal(0, 3, len(eligible))), kind="stable")]
        taken = 0
        for name, kind, level, amount, share in AWARDS:
            k = max(1, int(round(share * len(eligible)))) if kind == "奖学金" else int(round(share * len(eligible)))
            if kind == "奖学金":
                winners, taken = merit[taken:taken + k], taken + k
            else:
                winners = rng.choice(eligible, size=k, replace=False)
            rows += [(award_day, st, name, kind, level, amount) for st in winners]
        needy = np.flatnonzero((s.cohort >= y - 2) & (s.cohort <= y) & (s.last_day >= award_day - 25)
                               & (school.hardship != "无"))
        inspiring = needy[np.isin(needy, eligible)]
        inspiring = inspiring[np.argsort(-school.ability[inspiring], kind="stable")][: int(0.03 * len(eligible))]
        rows += [(award_day, st, "国家励志奖学金", "奖学金", "国家级", 5000.0) for st in inspiring]
        rows += [(award_day - 25, st, GRANTS[school.hardship[st]][0], "助学金", "国家级",
                  GRANTS[school.hardship[st]][1]) for st in needy]
    rows.sort(key=lambda r: (r[0], r[1]))
    writer.write("XG_JZXJ", ((f"JX{i:07d}", s.xh[st], name, kind, level, amount, day_strings([d])[0])
                             for i, (d, st, name, kind, level, amount) in enumerate(rows, start=1)))


DESTINATIONS = ("签约就业", "灵活就业", "升学", "参军入伍", "自主创业", "待就业")
DESTINATION_P = (0.56, 0.18, 0.13, 0.02, 0.02, 0.09)
WORKING = {"签约就业", "灵活就业", "自主创业"}


def write_destinations(rng: np.random.Generator, school: School, plan: Plan, writer) -> list[dict]:
    """Destinations of every graduating cohort up to the as-of date, and the survey one year on.
    Returns the destination rows (the state workbook reports them per major)."""
    s, frame, lim = school.students, school.frame, school.limits
    planted_year = frame.school_years[-1] + 1
    rows = []
    for year in range(frame.first_year, planted_year + 1):
        graduates = np.flatnonzero((s.status == "04") & (s.cohort == year - 3))
        kind = np.array(DESTINATIONS, dtype=object)[rng.choice(len(DESTINATIONS), size=len(graduates),
                                                              p=DESTINATION_P)]
        matched = rng.random(len(graduates)) < 0.8
        for m in np.unique(s.major[graduates]):
            mine = np.flatnonzero(s.major[graduates] == m)
            if year == planted_year and m == plan.employment_major:
                jobless = rng.choice(mine, size=int(lim.planted_jobless_share * len(mine)) + 1, replace=False)
                kind[jobless] = "待就业"
                rate = 100 * (1 - np.count_nonzero(kind[mine] == "待就业") / len(mine))
                plan.observed.update(employment_rate=round(rate, 2), graduates=len(mine))
                continue
            jobless = mine[kind[mine] == "待就业"]
            kind[jobless[int(lim.max_unemployed_share * len(mine)):]] = "灵活就业"
            working = mine[np.isin(kind[mine], list(WORKING))]
            short = int(np.ceil(lim.min_matched_share * len(working))) - int(matched[working].sum())
            if short > 0:
                matched[working[~matched[working]][:short]] = True
        employers = identity.company_names(rng, len(graduates))
        pay = np.clip(np.round(rng.normal(4300, 700, len(graduates)), -2), 2800, 9000)
        home = rng.random(len(graduates)) < 0.78
        away = identity.PROVINCES[1:]
        for i, st in enumerate(graduates):
            works = kind[i] in WORKING
            province = identity.HOME_PROVINCE if home[i] else away[i % len(away)]
            rows.append({"XH": s.xh[st], "BYNF": year, "QXLX": kind[i], "DWMC": employers[i] if works else None,
                         "SFDK": ("是" if matched[i] else "否") if works else None,
                         "YX": float(pay[i]) if works else None, "JYSF": province if works else None,
                         "GXSJ": f"{date(year, 8, 1 + i % 28).isoformat()} 16:{i % 60:02d}:00",
                         "major": int(s.major[st])})
    writer.write("XG_BYQX", rows)
    _write_survey(rng, school, [r for r in rows if r["BYNF"] < frame.as_of.year], writer)
    return rows


def _write_survey(rng: np.random.Generator, school: School, destinations: list[dict], writer) -> None:
    answered = [r for r in destinations if rng.random() < 0.75]
    n = len(answered)
    graduate = rng.choice([5, 4, 3, 2, 1], size=n, p=[0.45, 0.47, 0.06, 0.015, 0.005])
    employer = rng.choice([5, 4, 3, 2, 1], size=n, p=[0.5, 0.44, 0.05, 0.008, 0.002])
    has_employer = np.array([r["QXLX"] in ("签约就业", "灵活就业") for r in answered]) & (rng.random(n) < 0.7)
    keys = np.array([r["major"] * 10_000 + r["BYNF"] for r in answered])
    for k in np.unique(keys):
        for score, asked in ((graduate, np.ones(n, dtype=bool)), (employer, has_employer)):
            mine = np.flatnonzero((keys == k) & asked)
            low = mine[score[mine] < 4]
            allowed = int((1 - school.limits.min_satisfied_share) * len(mine))
            score[low[allowed:]] = 4
    writer.write("XG_GZDC", ((f"DC{i + 1:06d}", r["XH"], r["BYNF"], int(graduate[i]),
                              int(employer[i]) if has_employer[i] else None,
                              (date(r["BYNF"] + 1, 6, 1) + timedelta(days=i % 75)).isoformat())
                             for i, r in enumerate(answered)))
