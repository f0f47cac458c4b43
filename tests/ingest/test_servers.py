"""The relational connectors against real MariaDB and PostgreSQL servers.

The hand-made school of conftest.py is copied into a scratch database on each server (in
PostgreSQL with unquoted, so lower-case, names and GXSJ as a real TIMESTAMP, as vendors do),
loaded through both paths (SQLAlchemy, DuckDB's scanner), and must give exactly the raw
tables and quarantine that the SQLite copy gives. The generated school is copied too (in
PostgreSQL with quoted upper-case names, as schemas migrated from Oracle keep them) and
loaded through the scanner: every raw table must be identical to the SQLite load, and new
check-ins and an updated grade must load incrementally on the server.
Server URLs: ZHENGAI_TEST_MARIADB_URL / ZHENGAI_TEST_POSTGRES_URL (an account allowed to
create a database), defaulting to the local servers. Absent servers skip the test, unless
ZHENGAI_REQUIRE_SERVICES=1 (CI), where they fail it.
"""

from __future__ import annotations

import os
import re
import uuid

import duckdb
import pytest
import sqlalchemy as sa

import ingest
from ingest.connectors import duckdb_extensions as extensions
from bench.testbed import copy_sqlite_tables, scratch_database
from tests.ingest.ingest_testkit import (DATABASE_SOURCES, LAYOUTS, differing_raw_tables, quarantine,
                            raw_tables, sqlite_urls)

SERVERS = {
    "mariadb": os.environ.get("ZHENGAI_TEST_MARIADB_URL",
                              "mysql+pymysql://root@localhost/?unix_socket=/run/mysqld/mysqld.sock"),
    "postgres": os.environ.get("ZHENGAI_TEST_POSTGRES_URL",
                               "postgresql+psycopg2://postgres@localhost:5432/postgres"),
}
CONFIG = ingest.load_config()
SCANNER = {"mariadb": "duckdb-mysql", "postgres": "duckdb-postgres"}
# what a vendor's DDL looks like on each server
SERVER_TYPES = {
    "mariadb": {"TEXT": "VARCHAR(200)", "INTEGER": "BIGINT", "REAL": "DOUBLE", "GXSJ": "DATETIME"},
    "postgres": {"TEXT": "VARCHAR(200)", "INTEGER": "BIGINT", "REAL": "DOUBLE PRECISION",
                 "GXSJ": "TIMESTAMP"},
}


def server_or_skip(kind: str) -> sa.Engine:
    engine = sa.create_engine(SERVERS[kind], connect_args={"connect_timeout": 5},
                              isolation_level="AUTOCOMMIT")
    try:
        engine.connect().close()
    except sa.exc.OperationalError as exc:
        if os.environ.get("ZHENGAI_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{kind} server required but unreachable: {exc}")
        pytest.skip(f"{kind} server not reachable")
    return engine


@pytest.fixture(params=["mariadb", "postgres"])
def server_school(request, school):
    """(urls, kind): the hand-made school copied into a scratch database on the server."""
    kind = request.param
    admin = server_or_skip(kind)
    database = f"zhengai_ingest_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {database}"))
    url = sa.make_url(SERVERS[kind]).set(database=database)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for source, tables in LAYOUTS.items():
                for table, columns in tables.items():
                    _copy_table(conn, kind, table, columns, school.rows[source][table])
        yield {source: url.render_as_string(hide_password=False) for source in LAYOUTS}, kind
    finally:
        engine.dispose()
        with admin.connect() as conn:
            if kind == "postgres":
                conn.execute(sa.text(f"DROP DATABASE {database} WITH (FORCE)"))
            else:
                conn.execute(sa.text(f"DROP DATABASE {database}"))
        admin.dispose()


def _copy_table(conn, kind: str, table: str, columns: str, rows: list[tuple]) -> None:
    types = SERVER_TYPES[kind]
    names = [c.split()[0] for c in columns.split(", ")]
    ddl = ", ".join(f"{n} {types['GXSJ'] if n == 'GXSJ' else types[c.split()[1]]}"
                    for n, c in zip(names, columns.split(", ")))
    # PostgreSQL folds unquoted names to lower case: the connector must still find them
    conn.execute(sa.text(f"CREATE TABLE {table} ({ddl})"))
    marks = ", ".join(f":p{i}" for i in range(len(names)))
    conn.execute(sa.text(f"INSERT INTO {table} VALUES ({marks})"),
                 [{f"p{i}": _server_value(v) for i, v in enumerate(row)} for row in rows])


def _server_value(value):
    # the fixture's one unparseable REAL ('abc') cannot enter a DOUBLE column on a server
    return None if value == "abc" else value


@pytest.mark.parametrize("fast_path", ["off", "auto"])
def test_server_loads_the_same_warehouse_as_sqlite(server_school, school, tmp_path, fast_path):
    urls, kind = server_school
    config = CONFIG.with_fast_path(fast_path)
    school.execute("jw", "UPDATE JW_CJ_XSCJB SET XF = NULL WHERE XF = 'abc'")
    from_sqlite, from_server = tmp_path / "sqlite.duckdb", tmp_path / f"{kind}.duckdb"
    ingest.run_ingest(from_sqlite, school.urls, school.state, run_id="r", sources=["jw", "hr", "xg"])

    first = ingest.run_ingest(from_server, urls, school.state, run_id="r1",
                              sources=["jw", "hr", "xg"], config=config)

    assert [r.error for r in first if r.status != "ok"] == []
    assert {r.connector for r in first} == {
        "sqlalchemy" if fast_path == "off" else SCANNER[kind]}
    assert raw_tables(from_server) == raw_tables(from_sqlite)
    watermarks = {r.table_name: r.watermark_after for r in first}
    assert watermarks["JW_CJ_XSCJB"] == "2025-06-01 08:00:00"  # a TIMESTAMP read as contract text
    assert watermarks["JW_KQ_XSKQB"] == "22"

    again = ingest.run_ingest(from_server, urls, school.state, run_id="r2",
                              sources=["jw", "hr", "xg"], config=config)
    incremental = [r for r in again if r.mode in ("append", "changing")]
    assert incremental and all((r.rows_read, r.rows_loaded) == (0, 0) for r in incremental)
    assert raw_tables(from_server) == raw_tables(from_sqlite)


@pytest.fixture(scope="module")
def reference(generated_school, tmp_path_factory):
    """The generated school loaded from its SQLite files."""
    sources, _ = generated_school
    warehouse = tmp_path_factory.mktemp("reference") / "sqlite.duckdb"
    results = ingest.run_ingest(warehouse, sqlite_urls(sources), sources / "state", run_id="r",
                                sources=DATABASE_SOURCES)
    assert all(r.status == "ok" for r in results)
    return warehouse


@pytest.fixture(scope="module", params=["mariadb", "postgres"])
def generated_on_server(request, generated_school):
    """(kind, URL): the generated school's three databases copied into one scratch database."""
    kind = request.param
    server_or_skip(kind).dispose()
    sources, _ = generated_school
    with scratch_database(SERVERS[kind]) as url:
        for source in DATABASE_SOURCES:
            copy_sqlite_tables(sources / f"{source}.sqlite", url, upper_case=kind == "postgres")
        yield kind, url


def load_from(url, warehouse, fast_path, run_id="r"):
    results = ingest.run_ingest(warehouse, {s: url for s in DATABASE_SOURCES}, None,
                                run_id=run_id, sources=DATABASE_SOURCES,
                                config=CONFIG.with_fast_path(fast_path))
    assert [(r.table_name, r.error) for r in results if r.status != "ok"] == []
    return {r.table_name: r for r in results}


@pytest.mark.parametrize("fast_path", ["auto"])  # SQLAlchemy: the hand-made school above
def test_generated_school_from_the_server_is_identical_and_loads_incrementally(
        generated_on_server, reference, fast_path, tmp_path):
    kind, url = generated_on_server
    warehouse = tmp_path / f"{kind}.duckdb"

    first = load_from(url, warehouse, fast_path)

    expected_connector = SCANNER[kind] if fast_path == "auto" else "sqlalchemy"
    assert {r.connector for r in first.values()} == {expected_connector}
    assert differing_raw_tables(warehouse, reference) == {}
    assert [q[:4] for q in quarantine(warehouse)] == [q[:4] for q in quarantine(reference)]
    for result in first.values():
        assert result.rows_read == result.rows_loaded + result.rows_quarantined

    again = load_from(url, warehouse, fast_path, run_id="again")
    incremental = [r for r in again.values() if r.mode in ("append", "changing")]
    assert incremental and all((r.rows_read, r.rows_loaded) == (0, 0) for r in incremental)

    engine = sa.create_engine(url)
    # PostgreSQL copy: quoted upper-case names; MariaDB: upper-case names
    q = engine.dialect.identifier_preparer.quote_identifier
    kq, grades = q("JW_KQ_XSKQB"), q("JW_CJ_XSCJB")
    with engine.connect() as conn:
        newest = conn.execute(sa.text(f"SELECT max({q('KQ_ID')}) FROM {kq}")).scalar_one()
        grade, old_grade, old_stamp = conn.execute(sa.text(
            f"SELECT {q('CJ_ID')}, {q('CJ')}, {q('GXSJ')} FROM {grades} "
            f"ORDER BY {q('CJ_ID')} LIMIT 1")).one()
    try:
        with engine.begin() as conn:
            appended = conn.execute(sa.text(
                f"INSERT INTO {kq} SELECT {q('KQ_ID')} + :newest, {q('SKJL_ID')}, {q('XH_ID')}, "
                f"{q('KQZT')}, {q('CJSJ')} FROM {kq} WHERE {q('KQ_ID')} <= 37"),
                {"newest": newest}).rowcount
            conn.execute(sa.text(f"UPDATE {grades} SET {q('CJ')} = '61', {q('GXSJ')} = :stamp "
                                 f"WHERE {q('CJ_ID')} = :id"),
                         {"stamp": "2026-01-05 10:00:00", "id": grade})

        results = load_from(url, warehouse, fast_path, run_id="next")

        check_ins = results["JW_KQ_XSKQB"]
        assert check_ins.connector == expected_connector  # the filter runs on the server
        assert appended > 0
        assert (check_ins.rows_read, check_ins.rows_loaded) == (appended, appended)
        assert check_ins.watermark_after == str(newest + 37)
        assert results["JW_CJ_XSCJB"].rows_loaded == 1
        assert results["JW_CJ_XSCJB"].watermark_after == "2026-01-05 10:00:00"
        with duckdb.connect(str(warehouse), read_only=True) as con:
            assert con.execute('SELECT CJ, GXSJ, _load_id FROM raw_jw."JW_CJ_XSCJB" '
                               'WHERE CJ_ID = ?', [grade]).fetchall() == [
                ("61", "2026-01-05 10:00:00", "next")]
        with duckdb.connect(str(reference), read_only=True) as con:
            grades_in_reference = con.execute(
                'SELECT count(*) FROM raw_jw."JW_CJ_XSCJB"').fetchone()[0]
        assert results["JW_CJ_XSCJB"].rows_read == 1
        with duckdb.connect(str(warehouse), read_only=True) as con:
            assert con.execute('SELECT count(*) FROM raw_jw."JW_CJ_XSCJB"').fetchone()[0] == (
                grades_in_reference)
    finally:  # the server copy is shared by the module's tests: put it back
        with engine.begin() as conn:
            conn.execute(sa.text(f"DELETE FROM {kq} WHERE {q('KQ_ID')} > :newest"),
                         {"newest": newest})
            conn.execute(sa.text(f"UPDATE {grades} SET {q('CJ')} = :cj, {q('GXSJ')} = :stamp "
                                 f"WHERE {q('CJ_ID')} = :id"),
                         {"cj": old_grade, "stamp": old_stamp, "id": grade})
        engine.dispose()


def test_a_night_on_a_server_sends_its_filter_to_the_server(server_school, school, tmp_path, capfd):
    """The scanner passes the incremental query to the server as it is: the server selects
    the new rows (from its index), DuckDB never reads the whole table to filter it."""
    urls, kind = server_school
    warehouse = tmp_path / f"{kind}.duckdb"
    ingest.run_ingest(warehouse, urls, school.state, run_id="r1", sources=["jw"], config=CONFIG)
    engine = sa.create_engine(urls["jw"])
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO JW_KQ_XSKQB VALUES (:id, 1, 'X0001', 1, '2024-10-08 08:00:00')"),
                     [{"id": 100 + i} for i in range(7)])
        conn.execute(sa.text("UPDATE JW_CJ_XSCJB SET CJ = '61', GXSJ = '2025-06-05 10:00:00' "
                             "WHERE CJ_ID = 'CJ1'"))
    engine.dispose()
    debug = {"mariadb": "mysql_debug_show_queries", "postgres": "pg_debug_show_queries"}[kind]
    scanner = extensions.scanner_connection("mysql" if kind == "mariadb" else "postgres")
    capfd.readouterr()
    scanner.execute(f"SET GLOBAL {debug} = true")
    try:
        results = {r.table_name: r for r in ingest.run_ingest(
            warehouse, urls, school.state, run_id="r2", sources=["jw"], config=CONFIG)}
    finally:
        scanner.execute(f"SET GLOBAL {debug} = false")
        scanner.close()
    captured = capfd.readouterr()
    sent = (captured.out + captured.err).lower().replace('"', "").replace("`", "")

    assert results["JW_KQ_XSKQB"].connector == SCANNER[kind]
    assert (results["JW_KQ_XSKQB"].rows_read, results["JW_KQ_XSKQB"].rows_loaded) == (7, 7)
    assert (results["JW_CJ_XSCJB"].rows_read, results["JW_CJ_XSCJB"].rows_loaded) == (1, 1)
    sent = " ".join(sent.split())
    # every read of the log carries the watermark (none reads it whole: `from db.table` alone)
    assert "from jw_kq_xskqb where jw_kq_xskqb.kq_id > 22" in sent, sent
    assert not re.search(r"from (\w+\.)?jw_kq_xskqb(?! where jw_kq_xskqb\.kq_id > 22)", sent), sent
    # the grades: the look-back (3 days) before the watermark, and the rows without a stamp
    assert ("from jw_cj_xscjb where jw_cj_xscjb.gxsj > '2025-05-29 08:00:00' "
            "or jw_cj_xscjb.gxsj is null") in sent, sent
    assert not re.search(r"from (\w+\.)?jw_cj_xscjb(?! where)", sent), sent


@pytest.mark.parametrize("fast_path", ["off", "auto"])
def test_an_id_sent_again_and_a_row_deleted_on_a_server_are_found_by_the_reconciliation(
        server_school, school, tmp_path, fast_path):
    """No rowid to seek by on a server: the night reads `id > watermark`, the weekly count
    reconciliation of the id ranges finds the id sent again below it and the row deleted."""
    import dataclasses
    from datetime import datetime
    urls, kind = server_school
    config = dataclasses.replace(CONFIG.with_fast_path(fast_path), reconcile_bucket_size=10)
    warehouse = tmp_path / f"{kind}.duckdb"

    def night(run_id, started_at, **options):
        results = ingest.run_ingest(warehouse, urls, school.state, run_id=run_id, sources=["jw"],
                                    config=config, started_at=started_at, **options)
        assert [r.error for r in results if r.status != "ok"] == []
        return {r.table_name: r for r in results}["JW_KQ_XSKQB"]

    night("r1", datetime(2025, 6, 2, 2))
    engine = sa.create_engine(urls["jw"])
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO JW_KQ_XSKQB VALUES (:id, :s, 'X0001', :z, :t)"),
                     [{"id": 23, "s": 1, "z": 1, "t": "2024-10-04 08:00:00"},
                      {"id": 7, "s": 2, "z": 4, "t": "2024-10-02 08:07:00"}])
        conn.execute(sa.text("DELETE FROM JW_KQ_XSKQB WHERE KQ_ID = 12"))
        in_source = conn.execute(sa.text("SELECT count(*) FROM JW_KQ_XSKQB")).scalar_one()
    engine.dispose()

    nightly = night("r2", datetime(2025, 6, 3, 2))
    assert (nightly.rows_read, nightly.rows_loaded, nightly.rows_deleted) == (1, 1, 0)
    weekly = night("r3", datetime(2025, 6, 9, 2))
    assert (weekly.rows_read, weekly.rows_quarantined, weekly.rows_deleted) == (1, 1, 1)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT row_key, rule FROM meta.quarantine WHERE run_id = 'r3'").fetchall() == [
            ("7", "duplicate_key")]
        assert con.execute('SELECT KQ_ID FROM raw_jw."JW_KQ_XSKQB" WHERE _deleted_at IS NOT NULL'
                           ).fetchall() == [(12,)]
        live = con.execute('SELECT count(*) FROM raw_jw."JW_KQ_XSKQB" WHERE _deleted_at IS NULL'
                           ).fetchone()[0]
        held = con.execute("SELECT count(*) FROM meta.quarantine WHERE table_name = 'JW_KQ_XSKQB'"
                           ).fetchone()[0]
        runs = con.execute("SELECT sum(rows_read), sum(rows_loaded + rows_quarantined) "
                           "FROM meta.load_audit WHERE table_name = 'JW_KQ_XSKQB'").fetchone()
    assert in_source == live + held == 24  # rows in = loaded + quarantined, 12 apart as deleted
    assert runs[0] == runs[1] == in_source + 1
    again = night("r4", datetime(2025, 6, 9, 9), full_refresh=True)
    assert (again.rows_read, again.rows_quarantined, again.rows_deleted) == (0, 0, 0)
