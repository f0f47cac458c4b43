"""A night's read is proportional to the new rows: what SQL reaches the source, and how
many rows it returns, on SQLite (seek by rowid) and in the warehouse (look-back rows)."""

from __future__ import annotations

import json
import logging
import sqlite3

import duckdb
import pytest
import sqlalchemy as sa

import ingest
from ingest import loader as warehouse_module
from tests.ingest.ingest_testkit import raw_tables

CONFIG = ingest.load_config()
APPEND_TABLES = {t.name for t in CONFIG.tables(["jw", "hr", "xg"]) if t.mode == "append"}


@pytest.fixture
def statements():
    """Every SQL statement SQLAlchemy sends to a source, in order."""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    yield sent
    sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)


def run(school, warehouse, run_id, **kwargs):
    results = ingest.run_ingest(warehouse, school.urls, school.state, run_id=run_id,
                                sources=["jw", "hr", "xg"], **kwargs)
    assert [(r.table_name, r.error) for r in results if r.status != "ok"] == []
    return {r.table_name: r for r in results}


def positions(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {table: json.loads(position) for table, position in con.execute(
            "SELECT table_name, read_position FROM meta.watermarks "
            "WHERE read_position IS NOT NULL").fetchall()}


def plain(statement, table):
    """The statement without quotes and table prefixes."""
    return statement.replace('"', "").replace(f"{table}.", "")


def reads_of(statements, table):
    """The statements that read rows of `table` (not the look-ups of its position)."""
    return [s for s in statements if f"FROM {table}" in plain(s, table)
            and "ORDER BY" not in s and "rowid =" not in plain(s, table)]


def query_plan(school, source, statement, *params):
    with sqlite3.connect(school.db(source)) as db:
        return " ".join(row[-1] for row in db.execute(f"EXPLAIN QUERY PLAN {statement}", params))


def append_check_ins(school, first_id, count):
    school.execute("jw", "INSERT INTO JW_KQ_XSKQB VALUES (?, 1, 'X0001', 1, '2024-10-08 08:00:00')",
                   [(first_id + i,) for i in range(count)])


@pytest.mark.parametrize("fast_path", ["auto", "off"])
def test_a_night_on_sqlite_seeks_past_the_last_row_read(school, warehouse, statements, fast_path):
    config = CONFIG.with_fast_path(fast_path)
    run(school, warehouse, "run-1", config=config)
    # every append-mode log remembers where it ended: largest rowid, and the id there
    stored = positions(warehouse)
    assert set(stored) == APPEND_TABLES
    assert stored["JW_KQ_XSKQB"] == {"rowid": 23, "value": 22, "watermark": "22"}
    append_check_ins(school, 100, 7)
    statements.clear()

    results = run(school, warehouse, "run-2", config=config)

    check_ins = results["JW_KQ_XSKQB"]
    assert check_ins.connector == "sqlalchemy"  # SQLite increments: SQLite's own WHERE
    assert (check_ins.rows_read, check_ins.rows_loaded) == (7, 7)
    [read] = reads_of(statements, "JW_KQ_XSKQB")
    # every row added since, also an id sent again below the watermark (quarantined)
    assert "WHERE rowid > ?" in plain(read, "JW_KQ_XSKQB")
    # SQLite answers it by a seek on the rowid, not a scan of the log
    plan = query_plan(school, "jw", read, 23)
    assert "SEARCH" in plan and "rowid>?" in plan.replace(" ", "") and "SCAN" not in plan
    assert positions(warehouse)["JW_KQ_XSKQB"] == {"rowid": 30, "value": 106, "watermark": "106"}
    # a night without new rows reads none and leaves the position
    statements.clear()
    results = run(school, warehouse, "run-3", config=config)
    assert all(results[t].rows_read == 0 for t in APPEND_TABLES)
    assert positions(warehouse)["JW_KQ_XSKQB"]["rowid"] == 30


def test_the_seek_gives_the_warehouse_a_full_read_gives(school, warehouse, tmp_path):
    run(school, warehouse, "run-1")
    append_check_ins(school, 100, 5)
    school.execute("xg", "INSERT INTO XG_CQJL VALUES (11, 'X0001', '2024-10-02', '晚归', '宿管', "
                         "'2024-10-02 23:10:00')")
    run(school, warehouse, "run-2")

    reference = tmp_path / "reference.duckdb"  # the same sources loaded in one go
    run(school, reference, "run-1")
    assert raw_tables(warehouse) == raw_tables(reference)


@pytest.mark.parametrize("rewrite", ["rebuilt", "last_row_deleted"])
def test_a_rewritten_table_is_read_whole(school, warehouse, statements, caplog, rewrite):
    run(school, warehouse, "run-1")
    if rewrite == "rebuilt":  # the vendor rebuilt the log: same rows, other rowids
        school.execute("jw", "CREATE TABLE KQ_COPY AS SELECT * FROM JW_KQ_XSKQB ORDER BY KQ_ID DESC")
        school.execute("jw", "DROP TABLE JW_KQ_XSKQB")
        school.execute("jw", "ALTER TABLE KQ_COPY RENAME TO JW_KQ_XSKQB")
    else:  # the last row deleted: SQLite gives its rowid to the next row inserted
        school.execute("jw", "DELETE FROM JW_KQ_XSKQB WHERE KQ_ID = 22")
    append_check_ins(school, 100, 4)
    statements.clear()

    with caplog.at_level(logging.WARNING, logger="ingest.connectors.database"):
        results = run(school, warehouse, "run-2")

    check_ins = results["JW_KQ_XSKQB"]
    assert (check_ins.rows_read, check_ins.rows_loaded) == (4, 4)
    [read] = reads_of(statements, "JW_KQ_XSKQB")
    assert plain(read, "JW_KQ_XSKQB").endswith("WHERE KQ_ID > ?")
    assert "JW_KQ_XSKQB: the table was rewritten since the last read" in caplog.text
    # and the next night seeks again
    append_check_ins(school, 200, 2)
    statements.clear()
    assert run(school, warehouse, "run-3")["JW_KQ_XSKQB"].rows_read == 2
    [read] = reads_of(statements, "JW_KQ_XSKQB")
    assert "rowid > ?" in read


def test_a_watermark_set_back_by_hand_reads_from_there(school, warehouse, statements):
    run(school, warehouse, "run-1")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("UPDATE meta.watermarks SET watermark = '15' WHERE table_name = 'JW_KQ_XSKQB'")
    statements.clear()

    result = run(school, warehouse, "run-2")["JW_KQ_XSKQB"]

    # the stored position vouches for ids up to 22 only: the rows after 15 are read again
    assert result.rows_read == 7  # ids 16-22
    [read] = reads_of(statements, "JW_KQ_XSKQB")
    assert plain(read, "JW_KQ_XSKQB").endswith("WHERE KQ_ID > ?")


def test_a_position_is_stored_only_with_its_load(school, warehouse, monkeypatch):
    """A load that fails keeps the previous watermark and position together."""
    run(school, warehouse, "run-1")
    before = positions(warehouse)
    append_check_ins(school, 100, 3)
    real_merge = warehouse_module.Warehouse._merge

    def merge_then_fail(self, table, *args, **kwargs):
        if table.name == "JW_KQ_XSKQB":
            raise OSError("disk full")
        return real_merge(self, table, *args, **kwargs)

    monkeypatch.setattr(warehouse_module.Warehouse, "_merge", merge_then_fail)
    results = ingest.run_ingest(warehouse, school.urls, school.state, run_id="run-2", sources=["jw"])
    assert {r.table_name: r.status for r in results}["JW_KQ_XSKQB"] == "failed"
    assert positions(warehouse) == before


@pytest.mark.parametrize("literal_positions", [10_000, 0])
def test_look_back_rows_seen_before_are_dropped_however_many(school, warehouse, monkeypatch,
                                                             literal_positions):
    """The look-back re-reads the rows of its last days every night: all of them are set
    aside in the warehouse, as a literal list or (many) by an anti join."""
    monkeypatch.setattr(warehouse_module, "LITERAL_POSITIONS", literal_positions)
    school.execute("jw", "INSERT INTO JW_XK_XSXKB VALUES (?, ?, 2024, '3', '2025-06-01 07:00:00')",
                   [(f"JXB{i % 40}", f"S{i}") for i in range(10, 1210)])
    first = run(school, warehouse, "run-1")["JW_XK_XSXKB"]
    assert first.rows_loaded == 1205
    school.execute("jw", "UPDATE JW_XK_XSXKB SET XNM = 2025, GXSJ = '2025-06-02 09:00:00' "
                         "WHERE XH_ID = 'S11'")

    again = run(school, warehouse, "run-2")["JW_XK_XSXKB"]

    # the look-back read 1 206 rows; the 1 205 seen before are dropped, the new version loads
    assert (again.rows_read, again.rows_loaded, again.rows_quarantined) == (1, 1, 0)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute('SELECT count(*), count(*) FILTER (WHERE XNM = 2025) '
                           'FROM raw_jw."JW_XK_XSXKB"').fetchone() == (1205, 1)
    nothing = run(school, warehouse, "run-3")["JW_XK_XSXKB"]
    assert (nothing.rows_read, nothing.rows_loaded) == (0, 0)


def test_staged_rows_do_not_keep_the_scanners_batches_alive(tmp_path):
    """The stage copies each chunk: the keys it keeps are one contiguous column, not views
    into every Arrow batch the scanner handed over (which would keep whole tables in memory)."""
    import polars as pl
    import pyarrow as pa

    table = CONFIG.sources["jw"].table("JW_KQ_XSKQB")
    stage = warehouse_module.Stage(table, tmp_path)
    for start in range(0, 50, 10):
        batch = pa.table({"KQ_ID": list(range(start, start + 10)), "SKJL_ID": [1] * 10,
                          "XH_ID": ["X"] * 10, "KQZT": [1] * 10, "CJSJ": ["t"] * 10})
        stage.add(pl.from_arrow(batch))
    stage.close()
    [keys] = stage._keys
    assert keys.n_chunks() == 1 and keys.height == 50
    assert stage.rows == 50


def test_a_snapshot_table_writes_only_its_changed_rows(school, warehouse):
    """A snapshot table is read whole every night, but only what changed is written: the
    raw table holds exactly the rows read, the unchanged ones from the load that brought them."""
    school.execute("jw", "INSERT INTO JW_PJ_XSPFB VALUES (?, 'JXB1', 'T001', 'S1', 80.0, ?)",
                   [(f"PJ{i}", "2025-06-01 08:00:00") for i in range(3, 9)])
    run(school, warehouse, "run-1")
    school.execute("jw", "UPDATE JW_PJ_XSPFB SET ZF = 99.5 WHERE PJ_ID = 'PJ3'")
    school.execute("jw", "DELETE FROM JW_PJ_XSPFB WHERE PJ_ID = 'PJ4'")
    school.execute("jw", "INSERT INTO JW_PJ_XSPFB VALUES ('PJ9', 'JXB2', 'T002', NULL, 70.0, NULL)")

    result = run(school, warehouse, "run-2")["JW_PJ_XSPFB"]

    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (8, 8, 0)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        loads = dict(con.execute('SELECT PJ_ID, _load_id FROM raw_jw."JW_PJ_XSPFB"').fetchall())
    assert loads == {"PJ1": "run-1", "PJ2": "run-1", "PJ3": "run-2", "PJ5": "run-1", "PJ6": "run-1",
                     "PJ7": "run-1", "PJ8": "run-1", "PJ9": "run-2"}
    with sqlite3.connect(school.db("jw")) as db:
        source = sorted(db.execute("SELECT * FROM JW_PJ_XSPFB").fetchall())
    assert raw_tables(warehouse)["jw.JW_PJ_XSPFB"] == source
