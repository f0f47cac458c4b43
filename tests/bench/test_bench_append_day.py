"""`generate --append-day`: one more day of activity on an existing school."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from zhengai.cli import main
from school_generator import append_day, append_hour, last_day_present

from tests.bench.bench_testkit import max_ids, rows_on


def next_weekday(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7 or 7)


def test_a_weekday_adds_sessions_check_ins_and_dorm_checks_after_the_existing_ids(school: Path):
    before = max_ids(school)
    day = next_weekday(last_day_present(school), 1)   # a Tuesday
    added = append_day(school, day)
    rows = rows_on(school, day.isoformat())

    assert added == {"JW_KQ_SKJLB": len(rows["sessions"]), "JW_KQ_XSKQB": len(rows["check_ins"]),
                     "XG_CQJL": len(rows["dorm_checks"])}
    # a full teaching day of a 300-student school: every student has several sessions
    assert len(rows["sessions"]) >= 10 and len(rows["check_ins"]) >= 10 * len(rows["sessions"])
    assert len(rows["dorm_checks"]) >= 200
    assert [r[0] for r in rows["sessions"]] == list(range(before["SKJL_ID"] + 1, before["SKJL_ID"] + 1 + added["JW_KQ_SKJLB"]))
    assert [r[0] for r in rows["check_ins"]] == list(range(before["KQ_ID"] + 1, before["KQ_ID"] + 1 + added["JW_KQ_XSKQB"]))
    assert [r[0] for r in rows["dorm_checks"]] == list(range(before["JL_ID"] + 1, before["JL_ID"] + 1 + added["XG_CQJL"]))
    assert {r[3] for r in rows["check_ins"]} <= {1, 2, 3, 4, 5}
    assert all(r[4].startswith(day.isoformat()) for r in rows["check_ins"])
    assert {r[3] for r in rows["dorm_checks"]} <= {"在寝", "晚归", "请假"}


def test_appended_check_ins_reference_known_students_and_teaching_classes(school: Path):
    day = next_weekday(last_day_present(school), 2)
    append_day(school, day)
    with sqlite3.connect(school / "jw.sqlite") as jw:
        unknown_students, unknown_classes, repeated = jw.execute(
            "SELECT count(*) FILTER (WHERE r.XH_ID IS NULL), count(*) FILTER (WHERE t.JXB_ID IS NULL), "
            "count(*) - count(DISTINCT k.SKJL_ID || '/' || k.XH_ID) "
            "FROM JW_KQ_XSKQB k JOIN JW_KQ_SKJLB s USING (SKJL_ID) "
            "LEFT JOIN JW_XJGL_XSJBXXB r ON r.XH_ID = k.XH_ID LEFT JOIN JW_JXRW_JXBXXB t ON t.JXB_ID = s.JXB_ID "
            "WHERE s.SKRQ = ?", [day.isoformat()]).fetchone()
    assert (unknown_students, unknown_classes, repeated) == (0, 0, 0)


def test_the_same_day_on_the_same_school_gives_the_same_rows(school: Path, tmp_path: Path):
    twin = Path(shutil.copytree(school, tmp_path / "twin"))
    day = next_weekday(last_day_present(school), 3)
    append_day(school, day)
    append_day(twin, day)
    assert rows_on(school, day.isoformat()) == rows_on(twin, day.isoformat())


def test_days_already_present_are_refused(school: Path):
    last = last_day_present(school)
    with pytest.raises(ValueError, match="not after the last day"):
        append_day(school, last)
    day = next_weekday(last, 0)
    append_day(school, day)
    with pytest.raises(ValueError, match="not after the last day"):
        append_day(school, day)


def test_weekends_have_dorm_checks_only_and_holidays_nothing(school: Path):
    saturday = next_weekday(last_day_present(school), 5)
    added = append_day(school, saturday)
    assert added["JW_KQ_SKJLB"] == added["JW_KQ_XSKQB"] == 0 and added["XG_CQJL"] > 0
    national_day = date(saturday.year, 10, 1)
    assert append_day(school, national_day) == {"JW_KQ_SKJLB": 0, "JW_KQ_XSKQB": 0, "XG_CQJL": 0}


def test_the_manifest_records_each_appended_day(school: Path):
    counts = json.loads((school / "planted.json").read_text(encoding="utf-8"))["row_counts"]
    day = next_weekday(last_day_present(school), 0)
    added = append_day(school, day)
    manifest = json.loads((school / "planted.json").read_text(encoding="utf-8"))
    assert manifest["appended_days"] == [{"day": day.isoformat(), "rows": added}]
    assert all(manifest["row_counts"][t] == counts[t] + n for t, n in added.items())


def test_the_cli_appends_and_explains_a_refusal_in_chinese(school: Path):
    day = next_weekday(last_day_present(school), 0)
    ok = CliRunner().invoke(main, ["generate", "--out", str(school), "--append-day", day.isoformat()])
    assert ok.exit_code == 0, ok.output
    assert "已追加" in ok.output and day.isoformat() in ok.output
    again = CliRunner().invoke(main, ["generate", "--out", str(school), "--append-day", day.isoformat()])
    assert again.exit_code != 0 and "无法追加" in again.output


def test_hours_of_a_day_add_the_sessions_starting_in_each_hour_and_the_night_at_22(school: Path):
    day = next_weekday(last_day_present(school), 1)   # a Tuesday
    before = max_ids(school)
    morning = append_hour(school, day, 8)
    quiet = append_hour(school, day, 9)               # no session starts at 9
    afternoon = append_hour(school, day, 14)
    night = append_hour(school, day, 22)
    rows = rows_on(school, day.isoformat())

    assert morning["JW_KQ_SKJLB"] > 0 and morning["XG_CQJL"] == 0
    assert quiet == {"JW_KQ_SKJLB": 0, "JW_KQ_XSKQB": 0, "XG_CQJL": 0}
    assert {r[3] for r in rows["sessions"][:morning["JW_KQ_SKJLB"]]} <= {"1-2", "1-4"}
    assert {r[3] for r in rows["sessions"][morning["JW_KQ_SKJLB"]:]} <= {"5-6", "5-8"}
    assert len(rows["sessions"]) == morning["JW_KQ_SKJLB"] + afternoon["JW_KQ_SKJLB"]
    assert len(rows["check_ins"]) == morning["JW_KQ_XSKQB"] + afternoon["JW_KQ_XSKQB"] > 0
    assert len(rows["dorm_checks"]) == night["XG_CQJL"] >= 200
    # each hour's check-ins belong to that hour's sessions, ids continuing the existing ones
    periods_of = {r[0]: r[3] for r in rows["sessions"]}
    assert {periods_of[r[1]] for r in rows["check_ins"][:morning["JW_KQ_XSKQB"]]} <= {"1-2", "1-4"}
    assert {periods_of[r[1]] for r in rows["check_ins"][morning["JW_KQ_XSKQB"]:]} <= {"5-6", "5-8"}
    assert rows["check_ins"][0][0] == before["KQ_ID"] + 1

    with pytest.raises(ValueError, match="not after"):
        append_hour(school, day, 14)                  # an hour already appended
    with pytest.raises(ValueError, match="not after"):
        append_day(school, day)
