"""More activity appended to an existing school: what a nightly or an hourly sync sees.

`append_day` adds, for one day after the last day present in the sources, the sessions
held (JW_KQ_SKJLB), the students' check-ins (JW_KQ_XSKQB) and the nightly dorm checks
(XG_CQJL), with ids continuing the existing ones. `append_hour` adds one hour of the same:
the sessions that start in that hour and their check-ins, or at 22:00 the night's dorm
checks; a day's hours are appended in order. The day repeats the timetable of the busiest
recent day with the same weekday (the same teaching classes, periods and students) and the
dorm roll of the last night checked; statuses are drawn afresh. Same school, same day (and
hour) → the same rows (the random stream is seeded by the school's seed, the day, the hour).

Background rates follow the full generator's averages; no caps are applied, so an
appended day can push a student over a warning line, as a real day can.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import numpy as np

from .academics import BLOCKS, HALF_DAYS
from .frame import HOLIDAYS, day_strings, timestamp_strings, to_day
from .records import ABSENT, EARLY, LATE, LEAVE, PRESENT
from .student_affairs import IN_ROOM, LATE_RETURN, LEAVE_BY_WEEKDAY, ON_LEAVE

DAY = 86400
# Mean per-session chances of the full generator's per-student tendencies
# (gamma(0.8, 0.005), gamma(2, 0.008), gamma(2, 0.007); early leave 0.003).
P_ABSENT, P_LEAVE, P_LATE, P_EARLY = 0.004, 0.016, 0.014, 0.003
P_LATE_RETURN = 0.003          # mean of gamma(1, 0.003)
DORM_CHECK_HOUR = 22
TEMPLATE_WINDOW_DAYS = 56
SESSION_START = {jc: start for jc, _, start in BLOCKS + HALF_DAYS}


def last_day_present(out_dir: Path) -> date:
    """The last day with a session or a dorm check in the sources."""
    with sqlite3.connect(Path(out_dir) / "jw.sqlite") as jw, sqlite3.connect(Path(out_dir) / "xg.sqlite") as xg:
        days = [jw.execute("SELECT max(SKRQ) FROM JW_KQ_SKJLB").fetchone()[0],
                xg.execute("SELECT max(CQRQ) FROM XG_CQJL").fetchone()[0]]
    return max(date.fromisoformat(d) for d in days if d)


def is_holiday(day: date) -> bool:
    return any(day.month == month and first <= day.day <= last for month, first, last in HOLIDAYS)


def append_day(out_dir: Path, day: date) -> dict[str, int]:
    """Append one day of sessions, check-ins and dorm checks; returns rows added per table.

    `day` must come after every day already present. Raises FileNotFoundError when
    out_dir holds no generated school."""
    out_dir, manifest = Path(out_dir), _manifest(out_dir)
    last = last_day_present(out_dir)
    if day <= last:
        raise ValueError(f"{day} is not after the last day present in the sources ({last})")
    added = _append(out_dir, np.random.default_rng([int(manifest["seed"]), day.toordinal()]), day, hour=None)
    manifest.setdefault("appended_days", []).append({"day": day.isoformat(), "rows": added})
    _save(out_dir, manifest, added)
    return added


def append_hour(out_dir: Path, day: date, hour: int) -> dict[str, int]:
    """Append one hour of `day`: the sessions starting in it and their check-ins (and at
    DORM_CHECK_HOUR the night's dorm checks); returns rows added per table.

    The hour must come after everything already present: a later day, or a later hour of
    the day whose hours are being appended."""
    if not 0 <= hour <= 23:
        raise ValueError(f"hour must be 0–23, not {hour}")
    out_dir, manifest = Path(out_dir), _manifest(out_dir)
    hours = manifest.setdefault("appended_hours", [])
    last = last_day_present(out_dir)
    same_day = [h["hour"] for h in hours if h["day"] == day.isoformat()]
    if day < last or (day == last and (not same_day or hour <= max(same_day))):
        raise ValueError(f"{day} {hour:02d}:00 is not after what the sources already hold "
                         f"(last day {last}{f', last hour {max(same_day):02d}:00' if same_day else ''})")
    added = _append(out_dir, np.random.default_rng([int(manifest["seed"]), day.toordinal(), hour]), day, hour)
    hours.append({"day": day.isoformat(), "hour": hour, "rows": added})
    _save(out_dir, manifest, added)
    return added


def _manifest(out_dir: Path) -> dict:
    path = Path(out_dir) / "planted.json"
    if not path.exists():
        raise FileNotFoundError(f"no generated school in {out_dir} (planted.json missing)")
    return json.loads(path.read_text(encoding="utf-8"))


def _save(out_dir: Path, manifest: dict, added: dict[str, int]) -> None:
    counts = manifest.setdefault("row_counts", {})
    for table, n in added.items():
        counts[table] = counts.get(table, 0) + n
    (out_dir / "planted.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")


def _append(out_dir: Path, rng: np.random.Generator, day: date, hour: int | None) -> dict[str, int]:
    """Teaching of the day (or of the sessions starting in `hour`) and the night's dorm checks
    (with the whole day, or at DORM_CHECK_HOUR)."""
    added = {"JW_KQ_SKJLB": 0, "JW_KQ_XSKQB": 0, "XG_CQJL": 0}
    if is_holiday(day):
        return added
    if day.weekday() < 5:
        with sqlite3.connect(out_dir / "jw.sqlite") as jw:
            added.update(_append_teaching(jw, rng, day, hour))
    if hour is None or hour == DORM_CHECK_HOUR:
        with sqlite3.connect(out_dir / "xg.sqlite") as xg:
            added["XG_CQJL"] = _append_dorm_checks(xg, rng, day)
    return added


def _template_day(jw: sqlite3.Connection, day: date) -> str | None:
    """The busiest day with the same weekday as `day` in the last TEMPLATE_WINDOW_DAYS days
    with sessions: a full teaching day, not one of the term's last, half-empty days."""
    sqlite_weekday = str((day.weekday() + 1) % 7)          # SQLite %w: Sunday = 0
    row = jw.execute(
        "SELECT SKRQ FROM JW_KQ_SKJLB WHERE strftime('%w', SKRQ) = ? "
        "AND SKRQ >= date((SELECT max(SKRQ) FROM JW_KQ_SKJLB), ?) "
        "GROUP BY SKRQ ORDER BY count(*) DESC, SKRQ DESC LIMIT 1",
        [sqlite_weekday, f"-{TEMPLATE_WINDOW_DAYS} days"]).fetchone()
    return row[0] if row else None


def _append_teaching(jw: sqlite3.Connection, rng: np.random.Generator, day: date, hour: int | None) -> dict[str, int]:
    template = _template_day(jw, day)
    if template is None:
        return {}
    sessions = jw.execute("SELECT SKJL_ID, JXB_ID, JC, XS FROM JW_KQ_SKJLB WHERE SKRQ = ? ORDER BY SKJL_ID",
                          [template]).fetchall()
    if hour is not None:
        sessions = [row for row in sessions if SESSION_START[row[2]] // 3600 == hour]
    if not sessions:
        return {}
    first_session = jw.execute("SELECT max(SKJL_ID) FROM JW_KQ_SKJLB").fetchone()[0] + 1
    new_session = {old: first_session + i for i, (old, *_) in enumerate(sessions)}
    start_of = {old: SESSION_START[jc] for old, _, jc, _ in sessions}
    day_text = day.isoformat()
    jw.executemany("INSERT INTO JW_KQ_SKJLB VALUES (?, ?, ?, ?, ?)",
                   [(new_session[old], jxb, day_text, jc, xs) for old, jxb, jc, xs in sessions])

    # The template's students, each once per session, only those in the register (the
    # planted orphan check-in is not repeated).
    members = [row for row in jw.execute(
        "SELECT DISTINCT k.SKJL_ID, k.XH_ID FROM JW_KQ_XSKQB k "
        "JOIN JW_XJGL_XSJBXXB s ON s.XH_ID = k.XH_ID "
        "WHERE k.SKJL_ID BETWEEN ? AND ? ORDER BY k.SKJL_ID, k.XH_ID",
        [sessions[0][0], sessions[-1][0]]).fetchall() if row[0] in start_of]
    n = len(members)
    u = rng.random(n)
    cuts = np.cumsum([P_ABSENT, P_LEAVE, P_LATE, P_EARLY])
    status = np.array([ABSENT, LEAVE, LATE, EARLY, PRESENT])[np.searchsorted(cuts, u, side="right")]
    offset = np.select([status == LATE, status == EARLY, status == PRESENT],
                       [rng.integers(180, 1200, n), rng.integers(-600, 0, n), rng.integers(-600, 120, n)], 0)
    start = np.array([start_of[old] for old, _ in members], dtype=np.int64)
    recorded = timestamp_strings(to_day(day) * DAY + start + offset)
    first_check_in = jw.execute("SELECT max(KQ_ID) FROM JW_KQ_XSKQB").fetchone()[0] + 1
    jw.executemany("INSERT INTO JW_KQ_XSKQB VALUES (?, ?, ?, ?, ?)",
                   [(first_check_in + i, new_session[old], xh_id, int(st), at)
                    for i, ((old, xh_id), st, at) in enumerate(zip(members, status, recorded))])
    return {"JW_KQ_SKJLB": len(sessions), "JW_KQ_XSKQB": n}


def _append_dorm_checks(xg: sqlite3.Connection, rng: np.random.Generator, day: date) -> int:
    last_night = xg.execute("SELECT max(CQRQ) FROM XG_CQJL").fetchone()[0]
    roll = xg.execute("SELECT DISTINCT XH, JLR FROM XG_CQJL WHERE CQRQ = ? ORDER BY XH",
                      [last_night]).fetchall()
    n = len(roll)
    u = rng.random(n)
    p_leave = LEAVE_BY_WEEKDAY[day.weekday()]
    status = np.where(u < p_leave, ON_LEAVE, np.where(u < p_leave + P_LATE_RETURN, LATE_RETURN, IN_ROOM))
    check_time = np.where(status == LATE_RETURN, rng.integers(23 * 3600 + 300, 23 * 3600 + 3300, n),
                          rng.integers(22 * 3600 + 1800, 23 * 3600, n))
    recorded = timestamp_strings(to_day(day) * DAY + check_time)
    first_id = xg.execute("SELECT max(JL_ID) FROM XG_CQJL").fetchone()[0] + 1
    day_text = day_strings([to_day(day)])[0]
    xg.executemany("INSERT INTO XG_CQJL VALUES (?, ?, ?, ?, ?, ?)",
                   [(first_id + i, xh, day_text, str(st), keeper, at)
                    for i, ((xh, keeper), st, at) in enumerate(zip(roll, status, recorded))])
    return n
