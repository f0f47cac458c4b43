"""The academic event logs of one term: enrolments, sessions, check-ins, grades, student
ratings and supervisors' visits.

Background data are random but capped so that no student or class crosses a warning line
by chance; the planted findings are written as "locked" rows that the caps leave alone.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from .academics import TermTeaching
from .frame import Frame, day_strings, month_keys, timestamp_strings, to_day
from .planting import Plan
from .school import School

PRESENT, LATE, EARLY, ABSENT, LEAVE = 1, 2, 3, 4, 5
MISSED, CHEATED, DEFERRED = -1, -2, -3          # special exam outcomes, stored in the score column
SPECIAL_TEXT = {MISSED: "缺考", CHEATED: "作弊", DEFERRED: "缓考"}
LEVELS = ((90, "优秀", 4.5), (80, "良好", 3.5), (70, "中等", 2.5), (60, "及格", 1.5), (-10**6, "不及格", 0.0))

P_EARLY_LEAVE = 0.003
P_MISSED_EXAM = P_DEFERRED_EXAM = 0.002
CHUNK = 500_000
DAY = 86400


def _members(school: School, item_class: np.ndarray, min_last_day) -> tuple[np.ndarray, np.ndarray]:
    """(item, student) rows: the members of each item's admin class still in school on the
    item's day. Items are teaching classes or sessions."""
    sizes = school.class_size[item_class]
    starts = np.cumsum(sizes) - sizes
    row = np.repeat(np.arange(len(item_class)), sizes)
    student = school.class_first[item_class][row] + np.arange(sizes.sum()) - starts[row]
    keep = school.students.last_day[student] >= np.broadcast_to(min_last_day, item_class.shape)[row]
    return row[keep], student[keep]


def _group_cumsum(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Running sum of values within runs of equal keys (keys must be sorted)."""
    total = np.cumsum(values)
    first = np.r_[True, keys[1:] != keys[:-1]]
    base = np.maximum.accumulate(np.where(first, total - values, 0))
    return total - base


def keep_within(rows: np.ndarray, keys: np.ndarray, weights: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Of `rows` (in order), those whose running weight per key stays within allowed[key];
    returns the rows beyond the allowance."""
    order = np.argsort(keys[rows], kind="stable")
    r = rows[order]
    running = _group_cumsum(keys[r], weights[r])
    return r[running > allowed[keys[r]]]


def write_term(rng: np.random.Generator, school: School, tt: TermTeaching, plan: Plan, writer) -> None:
    _write_teaching(school, tt, writer)
    _write_checkins(rng, school, tt, plan, writer)
    _write_grades(rng, school, tt, plan, writer)
    _write_ratings(rng, school, tt, plan, writer)
    _write_visits(rng, school, tt, writer)
    if tt.index == plan.term_b:
        teacher, day = plan.incident
        writer.write("JW_JXSG_JLB", [("SG000001", school.staff.rows[teacher]["GH"], day_strings([day])[0], "一般",
                                      "上课迟到15分钟，未按规定办理调课手续")])


def _write_teaching(school: School, tt: TermTeaching, writer) -> None:
    term, s, staff = tt.term, school.students, school.staff
    changed = timestamp_strings((term.start_day - 20) * DAY + 9 * 3600 + np.arange(len(tt.jxb_id)) * 7)
    writer.write("JW_JXRW_JXBXXB", (
        (tt.jxb_id[j], tt.jxb_name[j], school.courses[k].kch_id, term.xnm, term.xqm, staff.rows[t]["GH"],
         float(school.courses[k].periods), school.department(school.courses[k].offering).jg_id, changed[j])
        for j, (k, t) in enumerate(zip(tt.jxb_course, tt.jxb_teacher))))
    jxb, student = _members(school, tt.jxb_class, term.start_day)
    chosen = timestamp_strings((term.start_day - 10) * DAY + 8 * 3600 + (student % 36000))
    writer.write("JW_XK_XSXKB", zip((tt.jxb_id[j] for j in jxb), s.xh_id[student].tolist(),
                                    [term.xnm] * len(jxb), [term.xqm] * len(jxb), chosen))
    writer.write("JW_KQ_SKJLB", zip(tt.sess_id.tolist(), (tt.jxb_id[j] for j in tt.sess_jxb),
                                    day_strings(tt.sess_day).tolist(), tt.sess_jc.tolist(),
                                    tt.sess_periods.tolist()))


# ---------------------------------------------------------------- check-ins

def _write_checkins(rng, school: School, tt: TermTeaching, plan: Plan, writer) -> None:
    s, lim = school.students, school.limits
    sess_jxb, sess_day = tt.sess_jxb, tt.sess_day
    sess, student = _members(school, tt.jxb_class[sess_jxb], sess_day)
    n = len(sess)
    periods = tt.sess_periods[sess]
    u = rng.random(n)
    cut1 = school.p_absent[student]
    cut2 = cut1 + school.p_leave[student]
    cut3 = cut2 + school.p_late[student]
    status = np.select([u < cut1, u < cut2, u < cut3, u < cut3 + P_EARLY_LEAVE], [ABSENT, LEAVE, LATE, EARLY],
                       PRESENT)
    locked = np.zeros(n, dtype=bool)

    def lock_absent(rows):
        status[rows] = ABSENT
        locked[rows] = True

    for st, target in plan.absent.get(tt.index, []):
        rows = rng.permutation(np.flatnonzero(student == st))
        lock_absent(rows[: int(np.searchsorted(np.cumsum(periods[rows]), target)) + 1])
    st, term_index = plan.stopped
    if term_index == tt.index:
        rows = np.flatnonzero(student == st)
        remaining = 1 - (np.cumsum(periods[rows]) - periods[rows]) / periods[rows].sum()
        lock_absent(rows[np.searchsorted(-remaining, -lim.planted_absent_share):])
    months = month_keys(sess_day)
    class_month_key = tt.sess_jxb[sess] * 100_000 + (months[sess] - months.min())
    planted_key = -1
    a_term, a_jxb, a_month = plan.attendance_class
    if a_term == tt.index:
        planted_key = a_jxb * 100_000 + (a_month - months.min())
        lock_absent(_class_month_absences(rng, school, tt, student, periods,
                                          np.flatnonzero(class_month_key == planted_key), plan))

    # Cap 1: every student's unexcused absences in the term.
    counted = status != LEAVE
    total = np.bincount(student, weights=periods * counted, minlength=len(s))
    locked_abs = np.bincount(student, weights=periods * (locked & (status == ABSENT)), minlength=len(s))
    limit = np.minimum(lim.max_absent_periods, np.floor(lim.max_absent_share * total))
    allowed = np.maximum(0, limit - locked_abs)
    free_absent = np.flatnonzero((status == ABSENT) & ~locked)
    status[keep_within(free_absent, student, periods, allowed)] = PRESENT

    # Cap 2: every teaching class's attendance in each month.
    keys, key_index = np.unique(class_month_key, return_inverse=True)
    counted = status != LEAVE
    month_total = np.bincount(key_index, weights=periods * counted)
    month_locked = np.bincount(key_index, weights=periods * (locked & (status == ABSENT)))
    allowed = np.maximum(0, np.floor(lim.max_class_absent_share * month_total) - month_locked)
    if planted_key >= 0:
        allowed[keys == planted_key] = np.inf
    free_absent = np.flatnonzero((status == ABSENT) & ~locked)
    status[keep_within(free_absent, key_index, periods, allowed)] = PRESENT

    _observe_attendance(school, tt, plan, student, status, periods, class_month_key, planted_key)

    offset = np.select([status == LATE, status == EARLY, status == PRESENT],
                       [rng.integers(180, 1200, n), rng.integers(-600, 0, n), rng.integers(-600, 120, n)], 0)
    seconds = sess_day[sess] * DAY + tt.sess_start[sess] + offset
    kq_id = school.next_ids("KQ_ID", n)
    for a in range(0, n, CHUNK):
        b = min(n, a + CHUNK)
        writer.write("JW_KQ_XSKQB", zip(kq_id[a:b].tolist(), tt.sess_id[sess[a:b]].tolist(),
                                        s.xh_id[student[a:b]].tolist(), status[a:b].tolist(),
                                        timestamp_strings(seconds[a:b])))
    if tt.index == len(school.teaching) - 1:
        _write_bad_checkins(rng, school, tt, plan, writer, kq_id, sess, student, status, seconds)


def _class_month_absences(rng, school: School, tt: TermTeaching, student, periods, in_month, plan) -> np.ndarray:
    """Check-ins to turn into absences so the planted class falls below the warning value in
    its month: round-robin over its (unplanted, whole-term) students in random order, at most
    two sessions each (4 periods, within the per-student cap), until the planted share of the
    month's periods are absences."""
    whole_term = school.students.last_day[student[in_month]] >= tt.term.end_day
    not_planted = ~np.isin(student[in_month], list(plan.planted_students))
    candidates = rng.permutation(in_month[whole_term & not_planted])
    by_student = candidates[np.argsort(student[candidates], kind="stable")]
    turn = _group_cumsum(student[by_student], np.ones(len(by_student)))
    student_rank = rng.permutation(len(school.students))[student[by_student]]
    order = np.lexsort((student_rank, turn))
    queue = by_student[order][turn[order] <= 2]
    need = school.limits.planted_class_absent_share * periods[in_month].sum()
    return queue[: int(np.searchsorted(np.cumsum(periods[queue]), need, side="right")) + 1]


def _observe_attendance(school, tt, plan, student, status, periods, class_month_key, planted_key) -> None:
    absent = (status == ABSENT) * periods
    counted = (status != LEAVE) * periods
    obs = plan.observed
    for st, _ in plan.absent.get(tt.index, []) + ([plan.stopped] if plan.stopped[1] == tt.index else []):
        mine = student == st
        obs.setdefault("absent_periods", {})[(st, tt.index)] = int(absent[mine].sum())
        rate = 100 * (1 - absent[mine].sum() / counted[mine].sum())
        obs.setdefault("attendance_rate", {})[(st, tt.index)] = round(float(rate), 2)
    if planted_key >= 0:
        mine = class_month_key == planted_key
        obs["class_attendance_rate"] = round(float(100 * (1 - absent[mine].sum() / counted[mine].sum())), 2)
        obs["class_periods"] = int(counted[mine].sum())
        if (obs["class_attendance_rate"] >= school.limits.warning["CRS_ATTEND_RATE"]
                or obs["class_periods"] < school.limits.min_denominator["CRS_ATTEND_RATE"]):
            raise AssertionError("planted class attendance did not come out below the warning value")


def _write_bad_checkins(rng, school, tt, plan, writer, kq_id, sess, student, status, seconds) -> None:
    """Data-quality findings: one check-in delivered twice, one for an unknown student."""
    present = np.flatnonzero(status == PRESENT)
    dup = int(present[len(present) // 2])
    orphan_xh_id = "".join(rng.choice(list("0123456789ABCDEF"), size=12))
    while orphan_xh_id in set(school.students.xh_id):
        orphan_xh_id = "".join(rng.choice(list("0123456789ABCDEF"), size=12))
    last = len(sess) - 1
    orphan_kq = int(school.next_ids("KQ_ID", 1)[0])
    writer.write("JW_KQ_XSKQB", [
        (int(kq_id[dup]), int(tt.sess_id[sess[dup]]), school.students.xh_id[student[dup]], PRESENT,
         timestamp_strings(seconds[dup:dup + 1])[0]),
        (orphan_kq, int(tt.sess_id[sess[last]]), orphan_xh_id, PRESENT, timestamp_strings(seconds[last:last + 1])[0]),
    ])
    plan.observed.update(duplicate_kq_id=int(kq_id[dup]), orphan_kq_id=orphan_kq, orphan_xh_id=orphan_xh_id)


# ---------------------------------------------------------------- grades

def grade_points(score: np.ndarray, text_graded: np.ndarray) -> np.ndarray:
    numeric = np.where(score >= 60, np.round((score - 50) / 10, 1), 0.0)
    level = np.select([score >= lo for lo, _, _ in LEVELS[:-1]], [p for _, _, p in LEVELS[:-1]], 0.0)
    points = np.where(text_graded, level, numeric)
    return np.where(score == DEFERRED, np.nan, points)


def _grade_text(score: int, text_graded: bool) -> str:
    if score < 0:
        return SPECIAL_TEXT[score]
    if text_graded:
        return next(name for lo, name, _ in LEVELS if score >= lo)
    return str(score)


def _gpa(student, points, credits, n_students):
    valid = ~np.isnan(points)
    num = np.bincount(student[valid], weights=(points * credits)[valid], minlength=n_students)
    den = np.bincount(student[valid], weights=credits[valid], minlength=n_students)
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / den, den


def _write_grades(rng, school: School, tt: TermTeaching, plan: Plan, writer) -> None:
    s, courses, term, lim = school.students, school.courses, tt.term, school.limits
    jxb, student = _members(school, tt.jxb_class, tt.exam_day)
    course = tt.jxb_course[jxb]
    n = len(jxb)
    text = np.array([c.text_graded for c in courses])[course]
    credits = np.array([c.credits for c in courses])[course]
    score = np.clip(np.round(school.ability[student] + school.course_difficulty[course] + rng.normal(0, 7, n)),
                    0, 100).astype(int)
    u = rng.random(n)
    score[u < P_MISSED_EXAM] = MISSED
    score[(u >= P_MISSED_EXAM) & (u < P_MISSED_EXAM + P_DEFERRED_EXAM)] = DEFERRED
    locked = np.zeros(n, dtype=bool)

    for st in plan.failed.get(tt.index, []):
        rows = rng.permutation(np.flatnonzero(student == st))
        # Failed courses plus bare passes elsewhere: their GPA stays low.
        n_fail = int(rng.integers(lim.planted_fails[0], lim.planted_fails[1] + 1))
        score[rows[:n_fail]] = rng.integers(30, 56, n_fail)
        score[rows[n_fail:]] = rng.integers(60, 65, len(rows) - n_fail)
        locked[rows] = True
    cheat_student, cheat_term = plan.cheat
    if cheat_term == tt.index:
        rows = np.flatnonzero((student == cheat_student) & ~text)
        score[rows[0]] = CHEATED
        locked[rows[0]] = True
        plan.observed["cheat_day"] = int(tt.exam_day[jxb[rows[0]]])
    p_term, p_jxb = plan.pass_class
    if p_term == tt.index:
        rows = np.flatnonzero((jxb == p_jxb) & ~np.isin(student, list(plan.planted_students)))
        k = int(lim.planted_fail_share * np.count_nonzero(jxb == p_jxb)) + 1
        chosen = rng.choice(rows, size=k, replace=False)
        score[chosen] = rng.integers(35, 56, k)
        locked[chosen] = True

    fail = lambda: (score < 60) & (score != DEFERRED)  # noqa: E731
    # Cap 1: failed courses per student and term.
    locked_fails = np.bincount(student, weights=fail() & locked, minlength=len(s))
    allowed = np.maximum(0, lim.max_fails - locked_fails)
    extra = keep_within(np.flatnonzero(fail() & ~locked), student, np.ones(n), allowed)
    score[extra] = rng.integers(60, 66, len(extra))
    # Cap 2: a minimum term GPA; raise the student's free grades step by step.
    for _ in range(60):
        gpa, _ = _gpa(student, grade_points(score, text), credits, len(s))
        raise_rows = (gpa[student] < lim.min_gpa) & ~locked & (score >= 0)
        if not raise_rows.any():
            break
        score[raise_rows] = np.minimum(100, score[raise_rows] + 3)
    # Cap 3: a minimum pass rate for every teaching class.
    graded = score != DEFERRED
    size = np.bincount(jxb, weights=graded, minlength=len(tt.jxb_id))
    allowed = np.floor((1 - lim.min_class_pass) * size) - np.bincount(jxb, weights=fail() & locked,
                                                                   minlength=len(tt.jxb_id))
    if p_term == tt.index:
        allowed[p_jxb] = np.inf
    extra = keep_within(np.flatnonzero(fail() & ~locked), jxb, np.ones(n), np.maximum(0, allowed))
    score[extra] = rng.integers(60, 66, len(extra))

    points = grade_points(score, text)
    _observe_grades(school, tt, plan, jxb, student, score, points, credits, fail())

    exam_days = tt.exam_day[jxb]
    changed = timestamp_strings((exam_days + 3) * DAY + 10 * 3600 + (jxb * 37) % 20000)
    cj_text = [_grade_text(int(x), bool(t)) for x, t in zip(score, text)]
    kch_id = np.array([c.kch_id for c in courses], dtype=object)[course]
    jxb_ids = np.array(tt.jxb_id, dtype=object)[jxb]
    xh_id = s.xh_id[student]
    cj_id = school.next_ids("CJ_ID", n)
    writer.write("JW_CJ_XSCJB", zip(
        (f"{i:010d}" for i in cj_id), xh_id.tolist(), jxb_ids.tolist(), kch_id.tolist(), [term.xnm] * n,
        [term.xqm] * n, cj_text, credits.tolist(), [None if np.isnan(p) else float(p) for p in points],
        ["正常考试"] * n, changed))

    # Make-up exams (补考) for most failures and every deferred exam.
    makeup = np.flatnonzero(((fail() & (score != CHEATED)) & (rng.random(n) < 0.9)) | (score == DEFERRED))
    passed = rng.random(len(makeup)) < 0.75
    new_score = np.where(score[makeup] == DEFERRED,
                         np.clip(np.round(school.ability[student[makeup]] + rng.normal(0, 7, len(makeup))), 40, 100),
                         np.where(passed, rng.integers(60, 73, len(makeup)), rng.integers(35, 60, len(makeup))))
    new_score = new_score.astype(int)
    if term.number == 1:
        day = to_day(school.frame.terms[tt.index + 1].start) + 5
    else:
        day = to_day(date(term.xnm + 1, 8, 26))
    makeup_day = np.full(len(makeup), day)
    # Graduating classes sit their make-ups before graduation.
    cohort = np.array([school.classes[c].cohort for c in tt.jxb_class[jxb[makeup]]], dtype=int)
    final = np.array([Frame.semester(int(c), term) == 6 for c in cohort], dtype=bool)
    makeup_day[final] = [to_day(Frame.graduation_date(int(c))) - 10 for c in cohort[final]]
    m_points = grade_points(new_score, text[makeup])
    cj_id = school.next_ids("CJ_ID", len(makeup))
    writer.write("JW_CJ_XSCJB", zip(
        (f"{i:010d}" for i in cj_id), xh_id[makeup].tolist(), jxb_ids[makeup].tolist(), kch_id[makeup].tolist(),
        [term.xnm] * len(makeup), [term.xqm] * len(makeup),
        [_grade_text(int(x), bool(t)) for x, t in zip(new_score, text[makeup])], credits[makeup].tolist(),
        [float(p) for p in m_points], ["补考"] * len(makeup),
        timestamp_strings(makeup_day * DAY + 15 * 3600 + makeup % 7200)))


def _observe_grades(school, tt, plan, jxb, student, score, points, credits, fails) -> None:
    obs = plan.observed
    gpa, _ = _gpa(student, points, credits, len(school.students))
    for st in plan.failed.get(tt.index, []):
        obs.setdefault("failed", {})[(st, tt.index)] = int(fails[student == st].sum())
        obs.setdefault("gpa", {})[(st, tt.index)] = round(float(gpa[st]), 3)
        if obs["failed"][(st, tt.index)] <= school.limits.max_fails or gpa[st] >= school.limits.planted_gpa:
            raise AssertionError("planted failing student did not come out as planned")
    p_term, p_jxb = plan.pass_class
    if p_term == tt.index:
        mine = (jxb == p_jxb) & (score != DEFERRED)
        obs["class_graded"] = int(mine.sum())
        obs["class_pass_rate"] = round(float(100 * (1 - fails[mine].sum() / mine.sum())), 2)
        if (obs["class_pass_rate"] >= school.limits.warning["CRS_PASS_RATE"]
                or obs["class_graded"] < school.limits.min_denominator["CRS_PASS_RATE"]):
            raise AssertionError("planted class pass rate did not come out below the warning value")


# ---------------------------------------------------------------- ratings and visits

def _write_ratings(rng, school: School, tt: TermTeaching, plan: Plan, writer) -> None:
    s, term, lim = school.students, tt.term, school.limits
    jxb, student = _members(school, tt.jxb_class, tt.jxb_end_day - 10)
    take = rng.random(len(jxb)) < 0.9
    jxb, student = jxb[take], student[take]
    n = len(jxb)
    teacher = tt.jxb_teacher[jxb]
    low_teacher = plan.low_rating_teacher
    last_year = term.xnm == school.frame.school_years[-1]
    mean = school.teacher_rating[teacher].copy()
    if last_year:
        mean[teacher == low_teacher] = lim.planted_rating
    class_offset = rng.normal(0, 1.5, len(tt.jxb_id))
    score = np.clip(mean + class_offset[jxb] + rng.normal(0, 4.5, n), 40, 100)
    for _ in range(3):
        count = np.bincount(jxb, minlength=len(tt.jxb_id))
        avg = np.bincount(jxb, weights=score, minlength=len(tt.jxb_id)) / np.maximum(count, 1)
        low_class = (tt.jxb_teacher == low_teacher) & last_year
        shift = np.where(low_class, np.minimum(0, lim.planted_class_rating - avg),
                         np.maximum(0, lim.min_class_rating + 0.5 - avg))
        score = np.clip(score + shift[jxb], 40, 100)
    score = np.round(score, 1)
    if last_year:
        obs = plan.observed
        mine = teacher == low_teacher
        obs["teacher_rating_sum"] = obs.get("teacher_rating_sum", 0.0) + float(score[mine].sum())
        obs["teacher_ratings"] = obs.get("teacher_ratings", 0) + int(mine.sum())
        obs["teacher_rating"] = round(obs["teacher_rating_sum"] / max(1, obs["teacher_ratings"]), 2)
        count = np.bincount(jxb[mine], minlength=len(tt.jxb_id))
        obs.setdefault("low_rated_classes", []).extend(
            {"entity_id": tt.jxb_id[j], "period": term.name} for j in np.flatnonzero(count >= 10))
    anonymous = rng.random(n) < 0.15
    xh_id = np.where(anonymous, None, s.xh_id[student])
    window_start = tt.jxb_end_day[jxb] - 20
    seconds = (window_start + rng.integers(0, 14, n)) * DAY + rng.integers(8 * 3600, 23 * 3600, n)
    pj_id = school.next_ids("PJ_ID", n)
    order = np.argsort(seconds, kind="stable")
    gh = np.array([r["GH"] for r in school.staff.rows], dtype=object)
    jxb_ids = np.array(tt.jxb_id, dtype=object)
    writer.write("JW_PJ_XSPFB", zip(
        (f"PJ{i:09d}" for i in pj_id), jxb_ids[jxb[order]].tolist(), gh[teacher[order]].tolist(),
        xh_id[order].tolist(), score[order].tolist(), timestamp_strings(seconds[order])))


def _write_visits(rng, school: School, tt: TermTeaching, writer) -> None:
    """Supervisors (senior teachers) visit every teacher once or twice a term."""
    staff = school.staff
    supervisors = [i for i in staff.of("专任教师") if staff.rows[i]["ZCJB"] in ("正高", "副高")]
    by_jxb = np.argsort(tt.sess_jxb, kind="stable")
    bounds = np.searchsorted(tt.sess_jxb[by_jxb], np.arange(len(tt.jxb_id) + 1))
    rows = []
    for t in np.unique(tt.jxb_teacher):
        mine = np.flatnonzero(tt.jxb_teacher == t)
        for _ in range(1 + int(rng.random() < 0.4)):
            j = int(rng.choice(mine))
            days = tt.sess_day[by_jxb[bounds[j]:bounds[j + 1]]]
            if not len(days):
                continue
            who = [i for i in supervisors if i != t]
            rows.append((int(days[int(rng.integers(len(days)))]), tt.jxb_id[j], staff.rows[t]["GH"],
                         float(np.round(np.clip(rng.normal(86, 5), 72, 99), 1)),
                         staff.rows[int(rng.choice(who))]["XM"]))
    rows.sort(key=lambda r: r[0])
    ids = school.next_ids("TK_ID", len(rows))
    writer.write("JW_DD_TKJLB", ((f"TK{i:07d}", j, gh, day_strings([d])[0], pf, who)
                                 for i, (d, j, gh, pf, who) in zip(ids, rows)))
