"""The classified intermediates of the two big logs are built incrementally: a nightly build
classifies what arrived (and what was excluded or whose session or student was reloaded),
and must end where a full rebuild of the same raw data ends.

The hand-made school is built once, a day is appended to raw (as ingest would: new rows
with a later _loaded_at), the build runs again, and again with nothing new."""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter

import duckdb
import pytest

from tests.dbt_project.dbt_school import build_school, create_raw_warehouse, run_dbt_build

# The models around the two big logs. A dorm check without JL_ID fails staging's not_null
# test (an error), which would stop the build before the classification it checks here.
SELECTED = ["--select", "+fct_attendance +fct_dorm_check +dq_orphan_check_ins +dq_excluded_records"
            " +dq_duplicates_removed +dq_orphan_keys", "--indirect-selection", "cautious",
            "--exclude", "resource_type:unit_test", "not_null_stg_xg__dorm_checks_dorm_check_id"]
CHECK_INS = "intermediate.int_jw__check_ins_classified"
DORM_CHECKS = "intermediate.int_xg__dorm_checks_classified"
# what classification decides, compared between an incremental and a full build
CHECK_IN_COLUMNS = ("check_in_id, session_id, teaching_class_id, student_number, student_id, session_date,"
                    " term_name, periods, status_code, attendance_status, attendance_status_zh, recorded_at,"
                    " duplicate_copies, exclusion_reason, _loaded_at, _load_id")
DORM_COLUMNS = ("dorm_check_id, student_number, check_date, dorm_status, dorm_status_zh, recorded_by, recorded_at,"
                " duplicate_copies, exclusion_reason, _loaded_at, _load_id")


def query(path, sql):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def append(path, table: str, rows: list[dict], loaded_at: dt.datetime) -> None:
    """Rows of a later load, as ingest appends them (its _load_id and _loaded_at)."""
    with duckdb.connect(str(path)) as con:
        for row in rows:
            names = ", ".join(f'"{name}"' for name in row)
            marks = ", ".join("?" for _ in row)
            con.execute(f"insert into {table} ({names}, _load_id, _loaded_at) values ({marks}, ?, ?)",
                        [*row.values(), "day-2", loaded_at])


def balance(path) -> dict:
    """Rows in (staging, each key once, plus rows without a key) and rows out (fact + excluded)."""
    return dict(zip(["check_ins_in", "check_ins_out", "dorm_in", "dorm_out"], query(path, """
        select
            (select count(distinct check_in_id) + count(*) filter (where check_in_id is null)
             from staging.stg_jw__check_ins),
            (select count(*) from core.fct_attendance) + (select count(*) from data_quality.dq_orphan_check_ins),
            (select count(distinct dorm_check_id) + count(*) filter (where dorm_check_id is null)
             from staging.stg_xg__dorm_checks),
            (select count(*) from core.fct_dorm_check)
                + (select count(*) from data_quality.dq_excluded_records where source_table = 'raw_xg.XG_CQJL')
    """)[0]))


def keep(path, folder):
    """A copy of the warehouse at this point (same file name: views name their catalog)."""
    folder.mkdir()
    return shutil.copy(path, folder / path.name)


def rows_of(path, table, columns) -> Counter:
    return Counter(query(path, f"select {columns} from {table}"))


@pytest.fixture(scope="module")
def nightly(tmp_path_factory):
    """Warehouse paths after: the first build, the appended day, a rerun, and a full rebuild."""
    work = tmp_path_factory.mktemp("dbt_incremental")
    school = build_school()
    path = work / "warehouse.duckdb"
    create_raw_warehouse(path, school.rows, school.history)
    run_dbt_build(work, path, *SELECTED)
    first = keep(path, work / "first")

    check_ins = school.rows["raw_jw.JW_KQ_XSKQB"]
    orphan = next(row for row in check_ins if row["XH_ID"] == "X999")
    sent_twice = next(key for key, n in Counter(row["KQ_ID"] for row in check_ins).items() if n == 2)
    x002 = [row for row in check_ins if row["XH_ID"] == "X002"]
    x003 = [row for row in check_ins if row["XH_ID"] == "X003"]
    resent = x002[0]
    session = next(row for row in school.rows["raw_jw.JW_KQ_SKJLB"] if row["SKJL_ID"] == x003[0]["SKJL_ID"])
    dorm = school.rows["raw_xg.XG_CQJL"]
    dorm_resent = next(row for row in dorm if row["XH"] == "2024002")

    day = dt.datetime.now()
    append(path, "raw_jw.JW_XJGL_XSJBXXB", [dict(   # the unknown student of the check-in and dorm check enrols
        XH_ID="X999", XH="2024999", XM="late-registered", XBM=1, CSRQ="20050101", ZYH_ID="ZY01", BH_ID="BJ01",
        NJDM_ID=2024, JG_ID="JG101", XJZTDM="01", RXRQ="2024-09-01", GXSJ="2025-09-01 08:00:00")], day)
    append(path, "raw_jw.JW_KQ_SKJLB", [{**session, "XS": 3}], day)          # a session corrected: 3 periods
    append(path, "raw_jw.JW_KQ_XSKQB", [
        {**x002[-1], "KQ_ID": 880001, "KQZT": 1},                           # new check-ins
        {**x002[-1], "KQ_ID": 880002, "KQZT": 2},
        {**resent, "KQZT": 2},                                              # a key sent again: the newer wins
        next(row for row in check_ins if row["KQ_ID"] == sent_twice),       # a key already sent twice, a third time
        {**x002[-1], "KQ_ID": None},                                        # a check-in without a key
    ], day)
    append(path, "raw_xg.XG_CQJL", [
        {**dorm_resent, "JL_ID": 880101, "CQRQ": "2024-10-20"},
        {**dorm_resent, "ZT": "晚归"},
        {**dorm_resent, "JL_ID": None},
    ], day)
    # ingest's reconciliation found a check-in and a dorm check deleted in their source
    gone_check_in = next(row["KQ_ID"] for row in check_ins if row["XH_ID"] == "X001"
                         and sum(other["KQ_ID"] == row["KQ_ID"] for other in check_ins) == 1)
    gone_dorm_check = next(row["JL_ID"] for row in dorm if row["XH"] != "2024002")
    with duckdb.connect(str(path)) as con:
        con.execute("update raw_jw.JW_KQ_XSKQB set _deleted_at = ? where KQ_ID = ?", [day, gone_check_in])
        con.execute("update raw_xg.XG_CQJL set _deleted_at = ? where JL_ID = ?", [day, gone_dorm_check])
    run_dbt_build(work, path, *SELECTED)
    second = keep(path, work / "second")

    run_dbt_build(work, path, *SELECTED)                                    # nothing new
    rebuilt = keep(path, work / "rebuilt")
    run_dbt_build(work, rebuilt, *SELECTED, "--full-refresh")
    return {"first": first, "second": second, "rerun": path, "rebuilt": rebuilt, "orphan": orphan,
            "sent_twice": sent_twice, "resent": resent, "session": session, "x003": x003,
            "dorm_resent": dorm_resent, "gone_check_in": gone_check_in, "gone_dorm_check": gone_dorm_check}


def test_a_row_deleted_in_the_source_leaves_the_classified_logs_on_the_next_nightly_build(nightly):
    first, second = nightly["first"], nightly["second"]
    check_in, dorm_check = nightly["gone_check_in"], nightly["gone_dorm_check"]
    assert query(first, f"select count(*) from core.fct_attendance where check_in_id = {check_in}") == [(1,)]
    assert query(first, f"select count(*) from core.fct_dorm_check where dorm_check_id = {dorm_check}") == [(1,)]
    for table, key, value in ((CHECK_INS, "check_in_id", check_in), ("core.fct_attendance", "check_in_id", check_in),
                              (DORM_CHECKS, "dorm_check_id", dorm_check),
                              ("core.fct_dorm_check", "dorm_check_id", dorm_check)):
        assert query(second, f"select count(*) from {table} where {key} = {value}") == [(0,)], table
    # kept in raw for audit
    assert query(second, f"select count(*) from raw_jw.JW_KQ_XSKQB where KQ_ID = {check_in}"
                         " and _deleted_at is not null") == [(1,)]


def test_every_check_in_and_dorm_check_is_in_the_fact_or_excluded(nightly):
    for name in ("first", "second", "rerun", "rebuilt"):
        counts = balance(nightly[name])
        assert counts["check_ins_in"] == counts["check_ins_out"], (name, counts)
        assert counts["dorm_in"] == counts["dorm_out"], (name, counts)


def test_an_orphaned_check_in_enters_once_its_student_appears(nightly):
    kq_id = nightly["orphan"]["KQ_ID"]
    assert query(nightly["first"], f"select reason from data_quality.dq_orphan_check_ins where check_in_id = {kq_id}") == [
        ("student_not_in_register",)]
    assert query(nightly["second"], f"select student_number from core.fct_attendance where check_in_id = {kq_id}") == [
        ("2024999",)]
    # what stays out: the check-in without an id and the one whose session has no readable date
    assert query(nightly["second"], "select check_in_id, reason from data_quality.dq_orphan_check_ins "
                                    "order by reason") == [(None, "missing_check_in_id"), (90102, "session_without_date")]
    assert query(nightly["second"], "select count(*) from core.fct_dorm_check where student_number = '2024999'") == [(1,)]


def test_appended_check_ins_and_dorm_checks_are_picked_up(nightly):
    first, second = nightly["first"], nightly["second"]
    assert query(second, "select check_in_id, attendance_status from core.fct_attendance"
                         " where check_in_id in (880001, 880002) order by 1") == [(880001, "present"), (880002, "late")]
    assert query(second, "select count(*) from core.fct_dorm_check where dorm_check_id = 880101") == [(1,)]
    # a key sent again: the newer copy wins and the copies removed add up
    resent = nightly["resent"]["KQ_ID"]
    assert query(second, f"select attendance_status, duplicate_copies from {CHECK_INS} where check_in_id = {resent}"
                 ) == [("late", 1)]
    assert query(second, f"select duplicate_copies from {CHECK_INS} where check_in_id = {nightly['sent_twice']}"
                 ) == [(2,)]
    jl_id = nightly["dorm_resent"]["JL_ID"]
    assert query(second, f"select dorm_status, duplicate_copies from {DORM_CHECKS} where dorm_check_id = {jl_id}"
                 ) == [("late_return", 1)]
    assert sorted(query(second, "select record_key, duplicate_rows from data_quality.dq_duplicates_removed"
                                " where detected_by = 'data_center'")) == sorted([
        (str(resent), 1), (str(nightly["sent_twice"]), 2), (str(jl_id), 1),
        (str(nightly["session"]["SKJL_ID"]), 1),                        # the corrected session, in staging twice
        *[row for row in query(first, "select record_key, duplicate_rows from data_quality.dq_duplicates_removed"
                                      " where detected_by = 'data_center'")
          if row[0] not in (str(resent), str(nightly["sent_twice"]), str(jl_id))]])
    # a corrected session reaches its check-ins
    session_id = nightly["session"]["SKJL_ID"]
    assert query(second, f"select distinct periods from core.fct_attendance where session_id = {session_id}") == [(3,)]


def test_only_changed_rows_get_a_new_classification_time(nightly):
    first, second = nightly["first"], nightly["second"]
    (first_time,), = query(first, f"select distinct _classified_at from {CHECK_INS}")
    changed = {nightly["orphan"]["KQ_ID"], nightly["resent"]["KQ_ID"], nightly["sent_twice"], 880001, 880002, None,
               *(row["KQ_ID"] for row in nightly["x003"] if row["SKJL_ID"] == nightly["session"]["SKJL_ID"])}
    stamped = dict(Counter(query(second, f"select check_in_id, _classified_at > cast('{first_time}' as timestamp)"
                                         f" from {CHECK_INS}")))
    assert {key for (key, newer) in stamped if newer} == changed
    # the same on the fact, which the analysts' snapshot reads
    assert query(second, "select count(*) from core.fct_attendance"
                         f" where _classified_at > cast('{first_time}' as timestamp)") == [(len(changed) - 1,)]


def test_a_rerun_without_new_data_changes_nothing(nightly):
    for table in (CHECK_INS, DORM_CHECKS):
        assert rows_of(nightly["rerun"], table, "*") == rows_of(nightly["second"], table, "*"), table
    for table in ("core.fct_attendance", "core.fct_dorm_check", "data_quality.dq_orphan_check_ins",
                  "data_quality.dq_excluded_records", "data_quality.dq_duplicates_removed", "data_quality.dq_orphan_keys"):
        assert rows_of(nightly["rerun"], table, "*") == rows_of(nightly["second"], table, "*"), table


def test_the_nightly_build_ends_where_a_full_rebuild_ends(nightly):
    for table, columns in ((CHECK_INS, CHECK_IN_COLUMNS), (DORM_CHECKS, DORM_COLUMNS)):
        assert rows_of(nightly["rerun"], table, columns) == rows_of(nightly["rebuilt"], table, columns), table
    for table in ("data_quality.dq_orphan_check_ins", "data_quality.dq_excluded_records", "data_quality.dq_duplicates_removed",
                  "data_quality.dq_orphan_keys"):
        assert rows_of(nightly["rerun"], table, "*") == rows_of(nightly["rebuilt"], table, "*"), table
    # a full rebuild classifies every row again
    (rebuilt_time,), = query(nightly["rebuilt"], f"select distinct _classified_at from {CHECK_INS}")
    assert rebuilt_time > query(nightly["rerun"], f"select max(_classified_at) from {CHECK_INS}")[0][0]
