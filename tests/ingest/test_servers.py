"""The SQL connector against real MariaDB and PostgreSQL servers.

The hand-made school of conftest.py is copied into a scratch database on each server (in
PostgreSQL with unquoted, so lower-case, names and GXSJ as a real TIMESTAMP, as vendors do),
loaded, and must give exactly the raw tables and quarantine that the SQLite copy gives.
Server URLs: ZHENGAI_TEST_MARIADB_URL / ZHENGAI_TEST_POSTGRES_URL (an account allowed to
create a database), defaulting to the local servers. Absent servers skip the test, unless
ZHENGAI_REQUIRE_SERVICES=1 (CI), where they fail it.
"""

from __future__ import annotations

import os
import uuid

import duckdb
import pytest
import sqlalchemy as sa

import ingest
from ingest_testkit import LAYOUTS

SERVERS = {
    "mariadb": os.environ.get("ZHENGAI_TEST_MARIADB_URL",
                              "mysql+pymysql://root@localhost/?unix_socket=/run/mysqld/mysqld.sock"),
    "postgres": os.environ.get("ZHENGAI_TEST_POSTGRES_URL",
                               "postgresql+psycopg2://postgres@localhost:5432/postgres"),
}
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


def raw_tables(warehouse) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {f"{t.source}.{t.name}": con.execute(
            f'SELECT * EXCLUDE (_load_id, _loaded_at) FROM raw_{t.source}."{t.name}" ORDER BY ALL'
        ).fetchall() for t in ingest.load_config().tables(["jw", "hr", "xg"])}


def test_server_loads_the_same_warehouse_as_sqlite(server_school, school, tmp_path):
    urls, kind = server_school
    school.execute("jw", "UPDATE JW_CJ_XSCJB SET XF = NULL WHERE XF = 'abc'")
    from_sqlite, from_server = tmp_path / "sqlite.duckdb", tmp_path / f"{kind}.duckdb"
    ingest.run_ingest(from_sqlite, school.urls, school.state, run_id="r", sources=["jw", "hr", "xg"])

    first = ingest.run_ingest(from_server, urls, school.state, run_id="r1",
                              sources=["jw", "hr", "xg"])

    assert [r.error for r in first if r.status != "ok"] == []
    assert raw_tables(from_server) == raw_tables(from_sqlite)
    watermarks = {r.table_name: r.watermark_after for r in first}
    assert watermarks["JW_CJ_XSCJB"] == "2025-06-01 08:00:00"  # a TIMESTAMP read as contract text
    assert watermarks["JW_KQ_XSKQB"] == "22"

    again = ingest.run_ingest(from_server, urls, school.state, run_id="r2",
                              sources=["jw", "hr", "xg"])
    incremental = [r for r in again if r.mode in ("append", "changing")]
    assert incremental and all((r.rows_read, r.rows_loaded) == (0, 0) for r in incremental)
    assert raw_tables(from_server) == raw_tables(from_sqlite)
