"""Each kind of bad source data, one test each, on the hand-made sources of ingest_testkit:
the bad row lands in meta.quarantine with its table, key, column, value and a Chinese reason
(or, for a deletion, is marked in raw and counted), the load audit counts it, and over two
runs every source row is either loaded or quarantined: rows in = loaded + quarantined
(+ deleted). ingest/README.md's table of bad inputs points here."""

from __future__ import annotations

import dataclasses
from datetime import datetime
import sqlite3

import duckdb
import pytest

import ingest
from tests.ingest.ingest_testkit import T0

CONFIG = ingest.load_config()


def run(school, warehouse, run_id, sources=("jw",), **options):
    results = ingest.run_ingest(warehouse, school.urls, school.state, run_id=run_id,
                                sources=list(sources), **options)
    return {r.table_name: r for r in results}


def query(warehouse, sql, params=None):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def quarantined(warehouse, table, run_id=None):
    """(row_key, rule, column_name, value, reason) of a table's quarantined rows."""
    return query(warehouse, "SELECT row_key, rule, column_name, value, reason FROM meta.quarantine "
                            "WHERE table_name = ? AND (? IS NULL OR run_id = ?) ORDER BY row_key",
                 [table, run_id, run_id])


def audit(warehouse, table):
    """(run_id, read, loaded, quarantined, future-dated, deleted, corrected) per run."""
    return query(warehouse, "SELECT run_id, rows_read, rows_loaded, rows_quarantined, "
                            "rows_future_dated, rows_deleted, rows_corrected FROM meta.load_audit "
                            "WHERE table_name = ? AND status = 'ok' ORDER BY started_at", [table])


def assert_balanced(warehouse, table):
    """Every run: read = loaded + quarantined; over the runs the same holds for the sums."""
    runs = audit(warehouse, table)
    assert runs
    for run_id, read, loaded, quarantined_, *_ in runs:
        assert read == loaded + quarantined_, run_id
    assert sum(r[1] for r in runs) == sum(r[2] + r[3] for r in runs)


def assert_every_source_row_accounted(warehouse, school, source, table, key):
    """Each key of the source is in raw (not deleted) or in meta.quarantine; raw holds no
    live key the source has not."""
    with sqlite3.connect(school.db(source)) as db:
        in_source = {str(k) for (k,) in db.execute(f"SELECT {key} FROM {table}").fetchall()}
    present = "_deleted_at IS NULL" if CONFIG.sources[source].table(table).reconcile else "true"
    live = {str(k) for (k,) in query(
        warehouse, f'SELECT {key} FROM raw_{source}."{table}" WHERE {present}')}
    held = {k for (k,) in query(warehouse, "SELECT row_key FROM meta.quarantine "
                                           "WHERE table_name = ?", [table])}
    assert in_source <= live | held, in_source - live - held
    assert live <= in_source, live - in_source


# --- 1. dates and timestamps -------------------------------------------------------------

def test_impossible_dates_and_timestamps_are_quarantined_with_column_value_and_reason(
        school, warehouse):
    school.execute("jw", "INSERT INTO JW_KQ_SKJLB VALUES (?, 'JXB1', ?, '1-2', 2)",
                   [(4, "2099-13-45"), (5, "0000-00-00"), (6, "2024-02-30"), (7, "2024-10-08")])
    school.execute("jw", "INSERT INTO JW_KQ_XSKQB VALUES (?, 1, 'X0001', 1, ?)",
                   [(30, "2024-02-30 08:00:00"), (31, "2024-10-08 25:00:00"),
                    (32, "2024-10-08 08:00:00")])
    # a birth date the contract says is written YYYYMMDD: another layout is not guessed at
    school.execute("jw", "UPDATE JW_XJGL_XSJBXXB SET CSRQ = '2006-01-01' WHERE XH_ID = 'S1'")
    school.execute("jw", "UPDATE JW_XJGL_XSJBXXB SET CSRQ = '20060230' WHERE XH_ID = 'S2'")

    first = run(school, warehouse, "r1")

    sessions = quarantined(warehouse, "JW_KQ_SKJLB")
    assert [(k, rule, column, value) for k, rule, column, value, _ in sessions] == [
        ("4", "bad_type", "SKRQ", "2099-13-45"), ("5", "bad_type", "SKRQ", "0000-00-00"),
        ("6", "bad_type", "SKRQ", "2024-02-30")]
    assert sessions[0][4] == "格式不符：SKRQ 的值“2099-13-45”不是有效的日期（YYYY-MM-DD）"
    assert (first["JW_KQ_SKJLB"].rows_read, first["JW_KQ_SKJLB"].rows_loaded,
            first["JW_KQ_SKJLB"].rows_quarantined) == (7, 4, 3)
    check_ins = {(k, column, value) for k, rule, column, value, _ in
                 quarantined(warehouse, "JW_KQ_XSKQB") if rule == "bad_type"}
    assert check_ins == {("30", "CJSJ", "2024-02-30 08:00:00"),
                         ("31", "CJSJ", "2024-10-08 25:00:00")}
    register = [(k, column, value, reason) for k, rule, column, value, reason in
                quarantined(warehouse, "JW_XJGL_XSJBXXB") if column == "CSRQ"]
    assert register == [
        ("S1", "CSRQ", "2006-01-01", "格式不符：CSRQ 的值“2006-01-01”不是有效的日期（格式 %Y%m%d）"),
        ("S2", "CSRQ", "20060230", "格式不符：CSRQ 的值“20060230”不是有效的日期（格式 %Y%m%d）")]

    # the night after: one more bad date and a good one; nothing counted twice
    school.execute("jw", "INSERT INTO JW_KQ_SKJLB VALUES (?, 'JXB1', ?, '1-2', 2)",
                   [(8, "2024/10/09"), (9, "2024-10-32")])
    second = run(school, warehouse, "r2")
    assert (second["JW_KQ_SKJLB"].rows_read, second["JW_KQ_SKJLB"].rows_loaded,
            second["JW_KQ_SKJLB"].rows_quarantined) == (2, 1, 1)
    # a date in another layout the contract reads (2024/10/09) is kept as YYYY-MM-DD
    assert query(warehouse, 'SELECT SKRQ FROM raw_jw."JW_KQ_SKJLB" WHERE SKJL_ID = 8') == [
        ("2024-10-09",)]
    for table, key in [("JW_KQ_SKJLB", "SKJL_ID"), ("JW_KQ_XSKQB", "KQ_ID")]:
        assert_balanced(warehouse, table)
        assert_every_source_row_accounted(warehouse, school, "jw", table, key)


# --- 2. rows stamped in the future --------------------------------------------------------

def test_a_future_stamp_is_quarantined_and_never_moves_the_watermark(school, warehouse):
    night = datetime(2025, 6, 2, 2, 0)
    school.execute("xg", "INSERT INTO XG_BYQX VALUES (?, 2025, '签约就业', '某公司', '是', 4000, "
                         "'浙江', ?)", [("X0003", "2099-01-01 00:00:00"),
                                       ("X0004", "2025-06-02 02:05:00")])  # within the tolerance
    first = run(school, warehouse, "r1", sources=["xg"], started_at=night)["XG_BYQX"]

    assert (first.rows_read, first.rows_loaded, first.rows_quarantined,
            first.rows_future_dated) == (3, 2, 1, 1)
    assert first.watermark_after == "2025-06-02 02:05:00"
    [(key, rule, column, value, reason)] = quarantined(warehouse, "XG_BYQX")
    assert (key, rule, column, value) == ("X0003|2025", "future_dated", "GXSJ", "2099-01-01 00:00:00")
    assert reason.startswith("时间晚于本次运行：GXSJ 的时间 2099-01-01 00:00:00 晚于本次运行开始时间")

    # a real change after it is still read (the watermark did not jump to 2099)
    school.execute("xg", "UPDATE XG_BYQX SET QXLX = '升学', GXSJ = '2025-06-02 20:00:00' "
                         "WHERE XH = 'X0002'")
    second = run(school, warehouse, "r2", sources=["xg"], started_at=datetime(2025, 6, 3, 2, 0))
    second = second["XG_BYQX"]
    assert (second.rows_loaded, second.rows_future_dated) == (1, 1)  # read again, still future
    assert query(warehouse, "SELECT QXLX FROM raw_xg.XG_BYQX WHERE XH = 'X0002'") == [("升学",)]
    assert second.watermark_after == "2025-06-02 20:00:00"

    # once corrected it loads (its time may also simply come)
    school.execute("xg", "UPDATE XG_BYQX SET GXSJ = '2025-06-03 09:00:00' WHERE XH = 'X0003'")
    third = run(school, warehouse, "r3", sources=["xg"],
                started_at=datetime(2025, 6, 4, 2, 0))["XG_BYQX"]
    assert (third.rows_read, third.rows_loaded, third.rows_future_dated) == (1, 1, 0)
    assert audit(warehouse, "XG_BYQX")[-1][4] == 0
    assert_balanced(warehouse, "XG_BYQX")
    assert_every_source_row_accounted(warehouse, school, "xg", "XG_BYQX", "XH || '|' || BYNF")


def test_a_future_row_loads_when_its_time_comes(school, warehouse):
    school.execute("xg", "INSERT INTO XG_WJCF VALUES ('CF2', 'X0001', '2025-06-05', '旷课', '警告', "
                         "'院发〔2025〕2号', NULL, '2025-06-05 10:00:00')")
    early = run(school, warehouse, "r1", sources=["xg"], started_at=datetime(2025, 6, 2))["XG_WJCF"]
    assert (early.rows_quarantined, early.rows_future_dated, early.watermark_after) == (1, 1, T0)
    later = run(school, warehouse, "r2", sources=["xg"], started_at=datetime(2025, 6, 6))["XG_WJCF"]
    assert (later.rows_read, later.rows_loaded, later.rows_future_dated) == (1, 1, 0)
    assert later.watermark_after == "2025-06-05 10:00:00"
    assert_balanced(warehouse, "XG_WJCF")


# --- 3. rows deleted in the source ---------------------------------------------------------

def deleted(warehouse, source, table, key):
    return query(warehouse, f'SELECT {key} FROM raw_{source}."{table}" '
                            f'WHERE _deleted_at IS NOT NULL ORDER BY 1')


def test_a_deleted_grade_is_marked_on_full_refresh_and_counted(school, warehouse):
    monday = datetime(2025, 6, 2, 2, 0)
    run(school, warehouse, "r1", started_at=monday)
    school.execute("jw", "DELETE FROM JW_CJ_XSCJB WHERE CJ_ID = 'CJ2'")

    nightly = run(school, warehouse, "r2", started_at=datetime(2025, 6, 3, 2, 0))
    assert nightly["JW_CJ_XSCJB"].rows_deleted == 0  # reconciled weekly: not due yet
    assert deleted(warehouse, "jw", "JW_CJ_XSCJB", "CJ_ID") == []

    refresh = run(school, warehouse, "r3", started_at=datetime(2025, 6, 3, 9, 0), full_refresh=True)
    assert refresh["JW_CJ_XSCJB"].rows_deleted == 1
    assert deleted(warehouse, "jw", "JW_CJ_XSCJB", "CJ_ID") == [("CJ2",)]
    # kept for audit, with the time it was found gone; the audit row of the run counts it
    assert audit(warehouse, "JW_CJ_XSCJB")[-1][5] == 1
    assert query(warehouse, "SELECT rows_deleted, source_keys FROM meta.reconciliations "
                            "WHERE table_name = 'JW_CJ_XSCJB'") == [(1, 3)]
    assert_balanced(warehouse, "JW_CJ_XSCJB")
    assert_every_source_row_accounted(warehouse, school, "jw", "JW_CJ_XSCJB", "CJ_ID")


@pytest.mark.parametrize("source, table, key, where", [
    ("xg", "XG_WJCF", "CF_ID", "CF_ID = 'CF1'"),                    # discipline
    ("xg", "XG_BYQX", "XH", "XH = 'X0002'"),                          # destinations
    ("jw", "JW_XJGL_XSJBXXB", "XH_ID", "XH_ID = 'S3'"),              # the student register
    ("hr", "RS_JZGJBXX", "GH", "GH = 'T002'"),                        # the staff register
    ("xg", "XG_XSXX", "XH", "XH = 'X0005'"),                          # 学工's student register
])
def test_rows_deleted_in_the_source_are_marked_when_the_weekly_reconciliation_is_due(
        school, warehouse, source, table, key, where):
    run(school, warehouse, "r1", sources=[source], started_at=datetime(2025, 6, 2))
    school.execute(source, f"DELETE FROM {table} WHERE {where}")
    later = run(school, warehouse, "r2", sources=[source], started_at=datetime(2025, 6, 9, 1))
    assert later[table].rows_deleted == 1
    assert len(deleted(warehouse, source, table, key)) == 1
    assert_balanced(warehouse, table)
    assert_every_source_row_accounted(warehouse, school, source, table, key)


def test_a_row_back_in_the_source_is_no_longer_marked_deleted(school, warehouse):
    run(school, warehouse, "r1", sources=["xg"], started_at=datetime(2025, 6, 2))
    school.execute("xg", "DELETE FROM XG_WJCF WHERE CF_ID = 'CF1'")
    run(school, warehouse, "r2", sources=["xg"], started_at=datetime(2025, 6, 3), full_refresh=True)
    assert deleted(warehouse, "xg", "XG_WJCF", "CF_ID") == [("CF1",)]
    school.execute("xg", "INSERT INTO XG_WJCF VALUES ('CF1', 'X0000', '2024-11-01', '旷课', '警告', "
                         f"'院发〔2024〕1号', NULL, '{T0}')")
    run(school, warehouse, "r3", sources=["xg"], started_at=datetime(2025, 6, 4), full_refresh=True)
    assert deleted(warehouse, "xg", "XG_WJCF", "CF_ID") == []
    assert query(warehouse, "SELECT rows_restored FROM meta.reconciliations "
                            "WHERE table_name = 'XG_WJCF'") == [(1,)]


# --- 4. ids an append-only log sends again --------------------------------------------------

def resend_check_in(school):
    """The night after: a new check-in, and check-in 7 sent again with another status."""
    school.execute("jw", "INSERT INTO JW_KQ_XSKQB VALUES (?, ?, ?, ?, ?)",
                   [(23, 1, "X0001", 1, "2024-10-04 08:00:00"),
                    (7, 2, "X0001", 4, "2024-10-02 08:07:00")])


def test_an_id_sent_again_below_the_watermark_is_quarantined_not_lost(school, warehouse):
    first = run(school, warehouse, "r1")["JW_KQ_XSKQB"]
    before = query(warehouse, 'SELECT KQZT FROM raw_jw."JW_KQ_XSKQB" WHERE KQ_ID = 7')
    resend_check_in(school)
    second = run(school, warehouse, "r2")["JW_KQ_XSKQB"]

    assert (second.rows_read, second.rows_loaded, second.rows_quarantined) == (2, 1, 1)
    [(key, rule, column, value, reason)] = quarantined(warehouse, "JW_KQ_XSKQB", "r2")
    assert (key, rule, column, value) == ("7", "duplicate_key", None, None)
    assert reason == "键重复：该编号已在之前的加载中入库，重新发送的这一行未采用（该日志不接受更正）"
    assert query(warehouse, 'SELECT KQZT FROM raw_jw."JW_KQ_XSKQB" WHERE KQ_ID = 7') == before
    # across the runs every row the log holds is loaded or quarantined
    raw_rows = query(warehouse, 'SELECT count(*) FROM raw_jw."JW_KQ_XSKQB"')[0][0]
    held = query(warehouse, "SELECT count(*) FROM meta.quarantine WHERE table_name = 'JW_KQ_XSKQB'")
    assert school.count("jw", "JW_KQ_XSKQB") == raw_rows + held[0][0] == 25
    assert first.rows_read + second.rows_read == 25
    assert_balanced(warehouse, "JW_KQ_XSKQB")


def test_a_log_that_allows_corrections_loads_the_id_sent_again_in_place(school, warehouse):
    check_ins = CONFIG.sources["jw"].table("JW_KQ_XSKQB")
    config = CONFIG.with_tables(dataclasses.replace(check_ins, corrections=True))
    run(school, warehouse, "r1", config=config)
    resend_check_in(school)
    second = run(school, warehouse, "r2", config=config)["JW_KQ_XSKQB"]

    assert (second.rows_read, second.rows_loaded, second.rows_quarantined,
            second.rows_corrected) == (2, 2, 0, 1)
    assert query(warehouse, 'SELECT SKJL_ID, KQZT FROM raw_jw."JW_KQ_XSKQB" WHERE KQ_ID = 7') == [
        (2, 4)]
    assert audit(warehouse, "JW_KQ_XSKQB")[-1][6] == 1
    raw_rows = query(warehouse, 'SELECT count(*) FROM raw_jw."JW_KQ_XSKQB"')[0][0]
    held = query(warehouse, "SELECT count(*) FROM meta.quarantine WHERE table_name = 'JW_KQ_XSKQB'")
    # rows in = loaded + quarantined, the correction replacing the row it corrects
    assert school.count("jw", "JW_KQ_XSKQB") == raw_rows + held[0][0] + second.rows_corrected
    assert_balanced(warehouse, "JW_KQ_XSKQB")


# An append log on a server or in CSV exports is read by `id > watermark`: an id sent again
# below it, or a row deleted, is found by the count reconciliation of its id ranges (weekly and
# on a full refresh), the same on every connector. CSV exports stand for the servers here
# (test_servers.py runs the same on PostgreSQL and MariaDB).

BUCKETS_OF_TEN = dataclasses.replace(CONFIG, reconcile_bucket_size=10)
MONDAY = datetime(2025, 6, 2, 2, 0)


def export_csv(school, folder, source="jw"):
    """Every table of the SQLite source written as the CSV export a school would send."""
    import csv
    folder.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(school.db(source)) as db:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            cursor = db.execute(f"SELECT * FROM {table} ORDER BY rowid")
            with open(folder / f"{table}.csv", "w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow([c[0] for c in cursor.description])
                writer.writerows(["" if v is None else v for v in row] for row in cursor)
    return {**school.urls, source: f"csv://{folder}"}


def run_csv(school, folder, warehouse, run_id, started_at, config=BUCKETS_OF_TEN, **options):
    urls = export_csv(school, folder)
    results = ingest.run_ingest(warehouse, urls, school.state, run_id=run_id, sources=["jw"],
                                config=config, started_at=started_at, **options)
    assert [(r.table_name, r.error) for r in results if r.status != "ok"] == []
    return {r.table_name: r for r in results}


def held_by_warehouse(warehouse, table, key):
    """Rows of the source the warehouse accounts for: live in raw, quarantined, replaced by a
    correction, and (apart) marked deleted."""
    [(live, gone)] = query(warehouse, f'SELECT count(*) FILTER (_deleted_at IS NULL), '
                                      f'count(*) FILTER (_deleted_at IS NOT NULL) FROM raw_jw."{table}"')
    [(held,)] = query(warehouse, "SELECT count(*) FROM meta.quarantine WHERE table_name = ?", [table])
    [(corrected,)] = query(warehouse, "SELECT count(*) FROM meta.corrections WHERE table_name = ?",
                           [table])
    return live, held, corrected, gone


def test_an_id_sent_again_below_the_watermark_of_an_export_is_quarantined_at_the_reconciliation(
        school, warehouse, tmp_path):
    exports = tmp_path / "exports"
    first = run_csv(school, exports, warehouse, "r1", MONDAY)["JW_KQ_XSKQB"]
    assert first.connector == "csv"
    # a first load has nothing to compare: the reconciliation counts the rows the log held
    assert query(warehouse, "SELECT rows_deleted, source_keys FROM meta.reconciliations WHERE "
                            "table_name = 'JW_KQ_XSKQB'") == [(0, school.count("jw", "JW_KQ_XSKQB"))]
    resend_check_in(school)  # check-in 7 sent again, and a new check-in 23
    school.execute("jw", "DELETE FROM JW_KQ_XSKQB WHERE KQ_ID = 12")

    # the next night reads past the watermark only: 23, not 7 (no rowid in a CSV file)
    nightly = run_csv(school, exports, warehouse, "r2", datetime(2025, 6, 3, 2, 0))["JW_KQ_XSKQB"]
    assert (nightly.rows_read, nightly.rows_loaded, nightly.rows_deleted) == (1, 1, 0)
    assert quarantined(warehouse, "JW_KQ_XSKQB", "r2") == []

    # a week on, the reconciliation: ids 0–9 and 10–19 count differently from the warehouse,
    # are read again, and only what the warehouse did not hold is handled
    weekly = run_csv(school, exports, warehouse, "r3", datetime(2025, 6, 9, 2, 0))["JW_KQ_XSKQB"]
    assert (weekly.rows_read, weekly.rows_loaded, weekly.rows_quarantined,
            weekly.rows_deleted) == (1, 0, 1, 1)
    [(key, rule, column, value, reason)] = quarantined(warehouse, "JW_KQ_XSKQB", "r3")
    assert (key, rule, column, value) == ("7", "duplicate_key", None, None)
    assert reason == "键重复：该编号已在之前的加载中入库，重新发送的这一行未采用（该日志不接受更正）"
    assert query(warehouse, 'SELECT KQZT FROM raw_jw."JW_KQ_XSKQB" WHERE KQ_ID = 7') == [(3,)]
    assert deleted(warehouse, "jw", "JW_KQ_XSKQB", "KQ_ID") == [(12,)]
    assert audit(warehouse, "JW_KQ_XSKQB")[-1][5] == 1
    assert query(warehouse, "SELECT rows_deleted, source_keys FROM meta.reconciliations "
                            "WHERE table_name = 'JW_KQ_XSKQB'") == [(1, 24)]

    # rows in = loaded + quarantined (+ deleted), over the runs and in what the warehouse holds
    live, held, corrected, gone = held_by_warehouse(warehouse, "JW_KQ_XSKQB", "KQ_ID")
    assert (live, held, corrected, gone) == (20, 4, 0, 1)
    assert school.count("jw", "JW_KQ_XSKQB") == live + held + corrected == 24
    runs = audit(warehouse, "JW_KQ_XSKQB")
    assert sum(r[1] for r in runs) == sum(r[2] + r[3] for r in runs) == 24 + 1  # 12, deleted
    assert sum(r[5] for r in runs) == 1
    assert_balanced(warehouse, "JW_KQ_XSKQB")
    assert_every_source_row_accounted(warehouse, school, "jw", "JW_KQ_XSKQB", "KQ_ID")

    # reconciled again with nothing changed: nothing read, nothing counted twice
    again = run_csv(school, exports, warehouse, "r4", datetime(2025, 6, 9, 9, 0),
                    full_refresh=True)["JW_KQ_XSKQB"]
    assert (again.rows_read, again.rows_quarantined, again.rows_deleted) == (0, 0, 0)
    assert held_by_warehouse(warehouse, "JW_KQ_XSKQB", "KQ_ID") == (20, 4, 0, 1)


def test_an_export_log_that_allows_corrections_loads_the_id_sent_again_at_the_reconciliation(
        school, warehouse, tmp_path):
    check_ins = CONFIG.sources["jw"].table("JW_KQ_XSKQB")
    config = BUCKETS_OF_TEN.with_tables(dataclasses.replace(check_ins, corrections=True))
    exports = tmp_path / "exports"
    run_csv(school, exports, warehouse, "r1", MONDAY, config)
    resend_check_in(school)
    refresh = run_csv(school, exports, warehouse, "r2", datetime(2025, 6, 3, 2, 0), config,
                      full_refresh=True)["JW_KQ_XSKQB"]

    assert (refresh.rows_read, refresh.rows_loaded, refresh.rows_quarantined,
            refresh.rows_corrected, refresh.rows_deleted) == (2, 2, 0, 1, 0)
    assert query(warehouse, 'SELECT SKJL_ID, KQZT FROM raw_jw."JW_KQ_XSKQB" WHERE KQ_ID = 7') == [
        (2, 4)]
    # the replaced row is kept, and counted as a row of the source the warehouse holds
    assert query(warehouse, "SELECT row_key, run_id, raw_values->>'KQZT' FROM meta.corrections") == [
        ("7", "r2", "3")]
    live, held, corrected, gone = held_by_warehouse(warehouse, "JW_KQ_XSKQB", "KQ_ID")
    assert school.count("jw", "JW_KQ_XSKQB") == live + held + corrected == 25
    assert_balanced(warehouse, "JW_KQ_XSKQB")

    # the next reconciliation finds every range balanced: the earlier row is not taken for new
    again = run_csv(school, exports, warehouse, "r3", datetime(2025, 6, 3, 9, 0), config,
                    full_refresh=True)["JW_KQ_XSKQB"]
    assert (again.rows_read, again.rows_corrected) == (0, 0)
    assert query(warehouse, 'SELECT KQZT FROM raw_jw."JW_KQ_XSKQB" WHERE KQ_ID = 7') == [(4,)]


@pytest.mark.parametrize("source, table, key, where", [
    ("jw", "JW_KQ_XSKQB", "KQ_ID", "KQ_ID = 14"),    # check-ins
    ("xg", "XG_CQJL", "JL_ID", "JL_ID = 3"),         # dorm checks
])
def test_a_row_deleted_from_a_big_log_is_marked_when_the_weekly_reconciliation_is_due(
        school, warehouse, source, table, key, where):
    run(school, warehouse, "r1", sources=[source], started_at=MONDAY, config=BUCKETS_OF_TEN)
    school.execute(source, f"DELETE FROM {table} WHERE {where}")
    nightly = run(school, warehouse, "r2", sources=[source], started_at=datetime(2025, 6, 3, 2),
                  config=BUCKETS_OF_TEN)
    assert nightly[table].rows_deleted == 0  # not due yet
    weekly = run(school, warehouse, "r3", sources=[source], started_at=datetime(2025, 6, 9, 2),
                 config=BUCKETS_OF_TEN)
    assert (weekly[table].rows_read, weekly[table].rows_deleted) == (0, 1)
    [(gone,)] = deleted(warehouse, source, table, key)
    assert f"{key} = {gone}" == where
    assert_balanced(warehouse, table)
    assert_every_source_row_accounted(warehouse, school, source, table, key)


# --- 5. values outside their range, grade words outside the known set -----------------------

def test_scores_and_grade_points_out_of_range_and_unknown_grade_words_are_quarantined(
        school, warehouse):
    run(school, warehouse, "r1")
    school.execute("jw", "INSERT INTO JW_CJ_XSCJB VALUES (?, 'S4', 'JXB2', 'K2', 2024, '3', ?, 3.5, "
                         "?, '正常考试', ?)",
                   [("CJ5", "-5", 1.0, "2025-06-01 09:00:00"), ("CJ6", "150", 4.0, "2025-06-01 09:00:00"),
                    ("CJ7", "88", -1.0, "2025-06-01 09:00:00"), ("CJ8", "很好", 4.0, "2025-06-01 09:00:00"),
                    ("CJ9", " 中等 ", 2.5, "2025-06-01 09:00:00"), ("CJ10", "100", 5.0, "2025-06-01 09:00:00")])
    school.execute("jw", "INSERT INTO JW_PJ_XSPFB VALUES ('PJ3', 'JXB1', 'T001', 'S1', 999, ?)", [T0])
    school.execute("jw", "INSERT INTO JW_KQ_SKJLB VALUES (4, 'JXB1', '2024-10-08', '1-2', -2)")
    school.execute("hr", "INSERT INTO RS_PXJL VALUES ('PX2', 'T002', '校本培训', '校本', '2024-07-01', "
                         "'2024-07-02', -8)")
    second = run(school, warehouse, "r2", sources=["jw", "hr"])

    grades = [row[:4] for row in quarantined(warehouse, "JW_CJ_XSCJB", "r2")]
    assert grades == [("CJ5", "out_of_range", "CJ", "-5"), ("CJ6", "out_of_range", "CJ", "150"),
                      ("CJ7", "out_of_range", "JD", "-1.0"), ("CJ8", "code_not_allowed", "CJ", "很好")]
    reasons = {k: reason for k, _, _, _, reason in quarantined(warehouse, "JW_CJ_XSCJB", "r2")}
    assert reasons["CJ6"] == "数值超出范围：CJ 的值 150 超出约定范围 0–100"
    assert reasons["CJ8"].startswith("代码不在允许范围：CJ 的值“很好”不在约定的取值 优秀、良好")
    assert (second["JW_CJ_XSCJB"].rows_loaded, second["JW_CJ_XSCJB"].rows_quarantined) == (2, 4)
    assert query(warehouse, "SELECT CJ FROM raw_jw.JW_CJ_XSCJB WHERE CJ_ID IN ('CJ9', 'CJ10') "
                            "ORDER BY CJ_ID") == [("100",), ("中等",)]
    assert [row[1:4] for row in quarantined(warehouse, "JW_PJ_XSPFB", "r2")] == [
        ("out_of_range", "ZF", "999.0")]
    assert [row[1:4] for row in quarantined(warehouse, "JW_KQ_SKJLB", "r2")] == [
        ("out_of_range", "XS", "-2")]
    assert [row[1:4] for row in quarantined(warehouse, "RS_PXJL", "r2")] == [
        ("out_of_range", "XS", "-8.0")]
    for source, table, key in [("jw", "JW_CJ_XSCJB", "CJ_ID"), ("jw", "JW_PJ_XSPFB", "PJ_ID"),
                               ("jw", "JW_KQ_SKJLB", "SKJL_ID"), ("hr", "RS_PXJL", "PX_ID")]:
        assert_balanced(warehouse, table)
        assert_every_source_row_accounted(warehouse, school, source, table, key)


# --- 6. secrets, connection URLs, unreadable workbooks ---------------------------------------

PASSWORD = "Zh3ngai-S3cret"


@pytest.mark.parametrize("url", [
    f"postgresql://zhengai:{PASSWORD}@127.0.0.1:1/school",          # nothing listens on port 1
    f"mysql://zhengai:{PASSWORD}@127.0.0.1:1/school",
    f"postgresql+psycopg2://zhengai:{PASSWORD}%40x@127.0.0.1:1/school",  # an encoded @ in it
    f"postgres//zhengai:{PASSWORD}@127.0.0.1:1/school",              # a URL that does not parse
])
def test_a_failing_connection_never_shows_its_password(school, warehouse, caplog, url):
    caplog.set_level("DEBUG")
    results = ingest.run_ingest(warehouse, {**school.urls, "hr": url}, school.state, run_id="r1",
                                sources=["hr", "xg"])

    failed = [r for r in results if r.source == "hr"]
    assert failed and all(r.status == "failed" for r in failed)
    assert all(r.status == "ok" for r in results if r.source == "xg")  # the others still load
    errors = " ".join(query(warehouse, "SELECT string_agg(error, ' ') FROM meta.load_audit")[0])
    shown = errors + caplog.text + " ".join(str(r.error) for r in failed)
    assert PASSWORD not in shown and "S3cret" not in shown
    # the scanner repeats the connection string it was given: shown with *** for the password
    assert "***" in caplog.text or "无法识别" in errors


def test_plain_database_urls_mean_the_shipped_drivers():
    from ingest.connectors.urls import database_url
    assert database_url("jw", "postgresql://u:p@h/db").drivername == "postgresql+psycopg2"
    assert database_url("jw", "mysql://u:p@h/db").drivername == "mysql+pymysql"
    assert database_url("jw", "mariadb://u:p@h/db").drivername == "mariadb+pymysql"


def test_a_url_naming_a_driver_that_is_not_installed_says_what_to_write(school, warehouse):
    url = f"oracle+cx_oracle://zhengai:{PASSWORD}@db:1521/?service_name=JW"
    results = ingest.run_ingest(warehouse, {"hr": url}, school.state, run_id="r1", sources=["hr"])
    [error] = {r.error for r in results}
    assert error.startswith("数据源 hr 的连接地址 oracle+cx_oracle://zhengai:***@db:1521/")
    assert "未安装" in error and "postgresql+psycopg2://" in error and PASSWORD not in error


@pytest.mark.parametrize("content, reason", [
    (b"ID,NAME\n1,x\n", "不是有效的 .xlsx 文件"),        # a CSV renamed .xlsx
    (None, "文件不完整"),                                   # a workbook cut short
])
def test_a_workbook_that_cannot_be_opened_is_named_with_its_path_and_reason(
        school, warehouse, content, reason):
    path = school.state / "2024.xlsx"
    whole = (school.state / "2025.xlsx").read_bytes()
    path.write_bytes(content if content is not None else whole[: len(whole) * 2 // 3])

    results = ingest.run_ingest(warehouse, school.urls, school.state, run_id="r1",
                                sources=["state", "xg"])

    state = [r for r in results if r.source == "state"]
    assert all(r.status == "failed" for r in state)
    assert all(r.error.startswith(f"工作簿 {path} 无法打开：") and reason in r.error for r in state)
    assert all(r.status == "ok" for r in results if r.source == "xg")


# --- what was already handled ----------------------------------------------------------------

def test_a_row_without_its_key_is_quarantined_once_across_runs(school, warehouse):
    school.execute("xg", "INSERT INTO XG_WJCF VALUES (NULL, 'X0001', '2024-11-02', '旷课', '警告', "
                         f"'院发〔2024〕2号', NULL, '{T0}')")
    run(school, warehouse, "r1", sources=["xg"], started_at=datetime(2025, 6, 2))
    run(school, warehouse, "r2", sources=["xg"], started_at=datetime(2025, 6, 3))  # re-read, not re-counted

    assert [row[:4] for row in quarantined(warehouse, "XG_WJCF")] == [("", "null_key", "CF_ID", None)]
    assert quarantined(warehouse, "XG_WJCF")[0][4] == "键为空：键列 CF_ID 为空，无法识别该行"
    assert [r[1:4] for r in audit(warehouse, "XG_WJCF")] == [(2, 1, 1), (0, 0, 0)]
    assert_balanced(warehouse, "XG_WJCF")


def test_a_renamed_source_column_fails_that_table_only_and_keeps_its_data(school, warehouse):
    run(school, warehouse, "r1", sources=["xg"])
    school.execute("xg", "ALTER TABLE XG_BYQX RENAME COLUMN QXLX TO QXLB")
    results = run(school, warehouse, "r2", sources=["xg"])
    assert results["XG_BYQX"].status == "failed" and "QXLX" in results["XG_BYQX"].error
    assert query(warehouse, "SELECT count(*) FROM raw_xg.XG_BYQX") == [(1,)]
    assert all(r.status == "ok" for name, r in results.items() if name != "XG_BYQX")


def test_a_missing_sheet_fails_that_table_only(school, warehouse):
    from tests.ingest.ingest_testkit import state_sheets, write_workbook
    sheets = state_sheets(2025)
    del sheets["A6-3"]
    write_workbook(school.state / "2025.xlsx", sheets)
    results = run(school, warehouse, "r1", sources=["state"])
    assert results["a6_3"].status == "failed" and "A6-3" in results["a6_3"].error
    assert all(r.status == "ok" for name, r in results.items() if name != "a6_3")
