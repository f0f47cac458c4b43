"""The nightly snapshot is the previous one brought up to date: only what changed is written,
and the result is what a full copy would give. Falls back to a full copy when it must.
On a real dbt build, after hourly and nightly syncs: tests/end_to_end/test_same_day.py."""

from __future__ import annotations

import stat
from pathlib import Path

import duckdb
import pytest

from serving import snapshot as snapshot_module
from serving.snapshot import PersonalDataError, TableDoc, publish_snapshot, read_snapshot_info
from serving.snapshot import BIG_FACTS, BigFact
from tests.serving.serving_testkit import (NATIONAL_ID, PHONE, Night, build_classified_warehouse, build_small_warehouse,
                             duckdb_personal_data_hits, full_copy, snapshot_contents)

T1 = "2025-07-02 02:00:00"
T2 = "2025-07-03 02:00:00"


@pytest.fixture
def warehouse(tmp_path) -> Path:
    return build_classified_warehouse(tmp_path / "dc" / "warehouse.duckdb")


@pytest.fixture
def snapshot(tmp_path) -> Path:
    return tmp_path / "published" / "snapshot.duckdb"


def tokens(snapshot: Path) -> set[tuple]:
    with duckdb.connect(str(snapshot), read_only=True) as con:
        return set(con.execute("select * from main.snapshot_tokens").fetchall())


def nothing_left_behind(snapshot: Path) -> bool:
    return sorted(p.name for p in snapshot.parent.iterdir()) == [snapshot.name]


def test_a_night_writes_only_what_changed_and_equals_a_full_copy(warehouse, snapshot, tmp_path):
    first = publish_snapshot(warehouse, snapshot, run_id="night-0")
    assert first.mode == "full" and first.reason == "尚无上一版快照"
    assert first.classified_through == {"core.fct_attendance": snapshot_module.datetime(2025, 7, 1, 2),
                                        "core.fct_dorm_check": snapshot_module.datetime(2025, 7, 1, 2)}
    night = Night(warehouse, T1)
    night.new_check_ins(10_001, 50)
    night.leave_fact([5, 6, 7])
    night.reclassify([100, 101])
    night.new_dorm_checks(5_001, 20)
    night.rebuild_marts()
    night.regrade([3, 4, 5])

    report = publish_snapshot(warehouse, snapshot, run_id="night-1",
                              docs={"core.fct_grade": TableDoc("成绩 · grades")})

    assert report.mode == "delta" and report.reason is None
    # the facts: the keys stamped after the last snapshot out, their rows in the fact in
    assert report.deltas == {"core.fct_attendance": (5, 52), "core.fct_dorm_check": (0, 20)}
    # the other tables: a few rows changed → those rows replaced; most changed → the table
    # replaced; unchanged → kept as they are
    assert report.diffed == {"core.fct_grade": (3, 3)}
    assert sorted(report.copied) == ["marts.mart_student__indicators", "marts.mart_student__indicators_wide"]
    assert sorted(report.kept) == ["core.dim_student", "registry.quality_control_points"]
    assert snapshot_contents(snapshot) == snapshot_contents(full_copy(warehouse, tmp_path))
    assert tokens(snapshot) >= tokens(tmp_path / "reference" / "snapshot.duckdb")
    info = read_snapshot_info(snapshot)
    assert (info["run_id"], info["mode"], info["full_copy_reason"]) == ("night-1", "delta", None)
    assert info["classified_through"] == {"core.fct_attendance": snapshot_module.datetime(2025, 7, 2, 2),
                                          "core.fct_dorm_check": snapshot_module.datetime(2025, 7, 2, 2)}
    assert info["total_rows"] == sum(len(rows) for rows in snapshot_contents(snapshot).values())
    with duckdb.connect(str(snapshot), read_only=True) as con:
        assert con.execute("select comment from duckdb_tables() where table_name = 'fct_grade'").fetchone() == (
            "成绩 · grades",)
    assert not snapshot.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert nothing_left_behind(snapshot)

    # a night without changes rewrites nothing; then another night of changes
    quiet = publish_snapshot(warehouse, snapshot, run_id="night-2")
    assert quiet.mode == "delta" and quiet.copied == [], quiet.reason
    assert quiet.deltas == {"core.fct_attendance": (0, 0), "core.fct_dorm_check": (0, 0)}
    Night(warehouse, T2).leave_fact([10_001])
    assert publish_snapshot(warehouse, snapshot, run_id="night-3").deltas["core.fct_attendance"] == (1, 0)
    assert snapshot_contents(snapshot) == snapshot_contents(full_copy(warehouse, tmp_path))


def test_the_big_fact_list_is_configuration(warehouse, snapshot, tmp_path):
    only_attendance = (BigFact("core.fct_attendance", "check_in_id", "intermediate.int_jw__check_ins_classified"),)
    publish_snapshot(warehouse, snapshot, big_facts=only_attendance)
    Night(warehouse, T1).new_dorm_checks(5_001, 3)

    report = publish_snapshot(warehouse, snapshot, big_facts=only_attendance)

    # the dorm checks are an ordinary table now: compared whole, their new rows inserted
    assert report.mode == "delta" and set(report.deltas) == {"core.fct_attendance"}
    assert report.diffed == {"core.fct_dorm_check": (0, 3)}
    assert snapshot_contents(snapshot) == snapshot_contents(full_copy(warehouse, tmp_path))
    assert [fact.table for fact in BIG_FACTS] == ["core.fct_attendance", "core.fct_dorm_check"]


@pytest.mark.parametrize("case", [
    "full_refresh", "rebuilt_warehouse", "restored_warehouse", "another_warehouse", "older_snapshot",
    "unstamped_change", "free_space", "asked_for",
])
def test_a_full_copy_when_the_previous_snapshot_cannot_be_brought_up_to_date(
        warehouse, snapshot, tmp_path, monkeypatch, case):
    publish_snapshot(warehouse, snapshot, run_id="before")
    full = False
    if case == "full_refresh":
        Night(warehouse, T1).full_refresh()
        expected = "重新分类"
    elif case == "rebuilt_warehouse":  # deleted and built again: every stamp new
        warehouse.unlink()
        build_classified_warehouse(warehouse, check_ins=2000, stamp=T1)
        expected = "重新分类"
    elif case == "restored_warehouse":  # an older backup put back
        warehouse.unlink()
        build_classified_warehouse(warehouse, stamp="2025-06-01 02:00:00")
        expected = "比上一版快照旧"
    elif case == "another_warehouse":
        other = build_classified_warehouse(tmp_path / "other" / "warehouse.duckdb")
        warehouse = other
        expected = "来自另一个数据仓库"
    elif case == "older_snapshot":  # published before this version: no bookkeeping
        snapshot.chmod(0o644)
        with duckdb.connect(str(snapshot)) as con:
            con.execute("drop table main.snapshot_tables")
        expected = "格式较旧"
    elif case == "unstamped_change":  # a row rewritten without a new _classified_at
        with duckdb.connect(str(warehouse)) as con:
            con.execute("update intermediate.int_jw__check_ins_classified set exclusion_reason = 'x' "
                        "where check_in_id = 42")
        expected = "有行改变而 _classified_at 未更新"
    elif case == "free_space":
        monkeypatch.setattr(snapshot_module, "MAX_FREE_SHARE", -1.0)
        monkeypatch.setattr(snapshot_module, "MIN_FREE_BYTES", -1)
        expected = "空闲空间"
    else:
        full = True
        expected = "要求全量复制"

    report = publish_snapshot(warehouse, snapshot, run_id="after", full=full)

    assert report.mode == "full" and expected in report.reason
    info = read_snapshot_info(snapshot)
    assert (info["run_id"], info["mode"]) == ("after", "full") and expected in info["full_copy_reason"]
    assert snapshot_contents(snapshot) == snapshot_contents(full_copy(warehouse, tmp_path))
    assert nothing_left_behind(snapshot)
    # and from there the nights are deltas again
    monkeypatch.undo()
    Night(warehouse, T2).new_check_ins(20_001, 5)
    assert publish_snapshot(warehouse, snapshot, run_id="next").deltas["core.fct_attendance"] == (0, 5)


def test_a_table_with_repeated_rows_is_replaced_whole(warehouse, snapshot, tmp_path):
    """Compared row by row, copies of a row would be lost: the checksum notices, and the
    table is copied whole instead."""
    publish_snapshot(warehouse, snapshot)
    Night(warehouse, T1).repeat_grades([7, 8])

    report = publish_snapshot(warehouse, snapshot)

    assert report.mode == "delta" and "core.fct_grade" in report.copied and report.diffed == {}
    assert snapshot_contents(snapshot) == snapshot_contents(full_copy(warehouse, tmp_path))


def test_facts_without_stamps_are_copied_whole_every_time(tmp_path, snapshot):
    warehouse = build_small_warehouse(tmp_path / "warehouse.duckdb")  # no _classified_at
    publish_snapshot(warehouse, snapshot)
    report = publish_snapshot(warehouse, snapshot)
    assert report.mode == "full" and "没有 _classified_at 列" in report.reason


def test_personal_data_in_a_new_row_refuses_the_delta(warehouse, snapshot):
    publish_snapshot(warehouse, snapshot, run_id="good-night")
    Night(warehouse, T1).new_check_ins(10_001, 3, student_number=PHONE)  # a phone number as student number

    with pytest.raises(PersonalDataError) as refused:
        publish_snapshot(warehouse, snapshot, run_id="leaking-night")

    assert "core.fct_attendance.student_number（1 个不同的值）" in str(refused.value)
    assert read_snapshot_info(snapshot)["run_id"] == "good-night"  # analysts keep the last good one
    assert nothing_left_behind(snapshot)


def test_rows_published_earlier_are_checked_against_todays_personal_data(warehouse, snapshot):
    """An old row that holds a value which only today became someone's phone number: the
    snapshot's tokens cover old rows, so the delta refuses although that row did not change."""
    Night(warehouse, "2025-06-30 02:00:00").new_check_ins(9_001, 1, student_number="13700001111")
    publish_snapshot(warehouse, snapshot, run_id="good-night")  # not personal data yet
    with duckdb.connect(str(warehouse)) as con:  # a new member of staff, with that number
        con.execute("insert into raw_hr.\"RS_JZGJBXX\" values ('T002', null, '13700001111')")
    Night(warehouse, T1).new_check_ins(10_001, 3)

    with pytest.raises(PersonalDataError, match="core.fct_attendance.student_number"):
        publish_snapshot(warehouse, snapshot, run_id="next-night")
    assert read_snapshot_info(snapshot)["run_id"] == "good-night"


def test_a_delta_snapshot_holds_no_personal_data(warehouse, snapshot):
    publish_snapshot(warehouse, snapshot)
    night = Night(warehouse, T1)
    night.new_check_ins(10_001, 10)
    night.rebuild_marts()
    publish_snapshot(warehouse, snapshot)
    with duckdb.connect(str(snapshot), read_only=True) as con:
        assert duckdb_personal_data_hits(con, {NATIONAL_ID, PHONE, "13911112222"}) == {}


def test_a_failed_delta_leaves_the_published_snapshot_untouched(warehouse, snapshot, monkeypatch):
    publish_snapshot(warehouse, snapshot, run_id="good-night")
    before = snapshot_contents(snapshot)
    Night(warehouse, T1).new_check_ins(10_001, 10)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(snapshot_module, "_apply_delta", broken)
    with pytest.raises(OSError, match="disk full"):
        publish_snapshot(warehouse, snapshot, run_id="bad-night")

    assert read_snapshot_info(snapshot)["run_id"] == "good-night"
    assert snapshot_contents(snapshot) == before
    assert nothing_left_behind(snapshot)
