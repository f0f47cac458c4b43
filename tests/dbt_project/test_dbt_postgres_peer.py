"""The benchmark's peer: the same dbt project builds on PostgreSQL (target `postgres`) and
gives the same marts as the warehouse (DuckDB).

The hand-made school (dbt_school.build_school) is written to a raw DuckDB file, copied into a
scratch PostgreSQL database the way the benchmark copies it (bench.peer.
copy_raw_to_postgres: raw_* and meta, columns lower case) together with the register history
the snapshots start from, and `dbt build --target postgres` runs there: seeds, snapshots,
models, data tests and unit tests must all pass, and every row of every layer mart and of
mart_quality__status must equal the DuckDB build's (the folder's session fixture `warehouse`,
which the rest of the folder builds anyway: taking it as an argument puts this module in the
folder's xdist group, so the DuckDB school is built once).

Server: ZHENGAI_TEST_POSTGRES_URL (an account allowed to create a database), defaulting to
the local server. No server or no dbt-postgres skips the tests, unless
ZHENGAI_REQUIRE_SERVICES=1 (CI), where it fails them.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import duckdb
import pytest

from tests.dbt_project.dbt_school import (AS_OF_DATE, DBT_PROJECT_DIR, SNAPSHOT_COLUMNS, build_school,
                                          create_raw_warehouse, load_plan_workbooks)
from bench.peer import PostgresTarget, copy_raw_to_postgres, postgres_available
from serving.publish import postgres_type

SERVER_URL = os.environ.get("ZHENGAI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
LAYER_MARTS = ["mart_school__indicators", "mart_major__indicators", "mart_course__indicators",
               "mart_teacher__indicators", "mart_student__indicators", "mart_task__indicators"]
KEY = ("indicator_code", "entity_id", "period")


def scratch_target() -> PostgresTarget:
    """The server of ZHENGAI_TEST_POSTGRES_URL (a SQLAlchemy URL is fine), with a database of
    this run's own."""
    parts = urlsplit(SERVER_URL)
    url = urlunsplit(("postgresql", parts.netloc, f"/zhengai_dbt_peer_{uuid.uuid4().hex[:10]}", "", ""))
    return PostgresTarget.from_url(url)


def copy_snapshot_history(raw: Path, pg: PostgresTarget) -> None:
    """The register versions of earlier runs (snapshots.*) that the DuckDB build starts from."""
    with duckdb.connect(str(raw), read_only=True) as con, pg.connect() as conn, conn.cursor() as cur:
        cur.execute('create schema if not exists "snapshots"')
        for qualified, columns in SNAPSHOT_COLUMNS.items():
            ddl = ", ".join(f"{name} {postgres_type(kind)}" for name, kind in columns)
            cur.execute(f"create table {qualified} ({ddl})")
            rows = con.execute(f"select {', '.join(name for name, _ in columns)} from {qualified}").fetchall()
            if rows:
                cur.executemany(f"insert into {qualified} values ({', '.join(['%s'] * len(columns))})", rows)


@pytest.fixture(scope="module")
def peer(tmp_path_factory):
    """(connection, run_results) of `dbt build --target postgres` over the hand-made school."""
    pg = scratch_target()
    why_not = postgres_available(pg)
    if why_not:
        if os.environ.get("ZHENGAI_REQUIRE_SERVICES") == "1":
            pytest.fail(f"PostgreSQL peer required: {why_not}")
        pytest.skip(why_not)
    work_dir = tmp_path_factory.mktemp("dbt_postgres_peer")
    raw = work_dir / "raw.duckdb"
    school = build_school()
    create_raw_warehouse(raw, school.rows, school.history)
    load_plan_workbooks(raw, school, work_dir / "plan")
    conn = None
    try:
        copy_raw_to_postgres(raw, pg, work_dir / "pg_copy")
        copy_snapshot_history(raw, pg)
        command = [str(Path(sys.executable).with_name("dbt")), "build", "--target", "postgres", "--no-use-colors",
                   "--vars", json.dumps({"as_of_month": AS_OF_DATE[:7]}),
                   "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
                   "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs")]
        env = {**os.environ, **pg.dbt_env(), "ZHENGAI_WAREHOUSE": str(raw), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        results = json.loads((work_dir / "target" / "run_results.json").read_text()) \
            if (work_dir / "target" / "run_results.json").exists() else {"results": []}
        assert done.returncode == 0, f"dbt build --target postgres failed:\n{done.stdout[-6000:]}\n{done.stderr[-2000:]}"
        conn = pg.connect()
        yield conn, results
    finally:
        if conn is not None:
            conn.close()
        admin = pg.connect("postgres")
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{pg.database}" with (force)')
        admin.close()


# tables keyed otherwise than (indicator_code, entity_id, period)
KEYS = {"mart_task__board": ("calendar_year", "task_id", "month"),
        "mart_quality__own_target_achievement": ("layer", "entity_id", "period")}


def rows_by_key(rows, names, key=KEY) -> dict[tuple, dict]:
    return {tuple(row[k] for k in key): row for row in (dict(zip(names, values)) for values in rows)}


def read_duckdb(con, table: str) -> dict[tuple, dict]:
    cursor = con.execute(f"select * from marts.{table}")
    return rows_by_key(cursor.fetchall(), [c[0] for c in cursor.description], KEYS.get(table, KEY))


def read_postgres(conn, table: str) -> dict[tuple, dict]:
    with conn.cursor() as cur:
        cur.execute(f"select * from marts.{table}")
        return rows_by_key(cur.fetchall(), [c[0] for c in cur.description], KEYS.get(table, KEY))


def same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def test_every_node_ends_as_on_duckdb(peer, dbt_build_dir):
    """Every seed, snapshot, model, data test and unit test of the DuckDB build ran on
    PostgreSQL too, with the same outcome (a data test that warns on one warns on both)."""
    _, results = peer
    found = {r["unique_id"]: r["status"] for r in results["results"]}
    duck = json.loads((dbt_build_dir / "target" / "run_results.json").read_text())["results"]
    expected = {r["unique_id"]: r["status"] for r in duck}
    assert {uid.split(".")[0] for uid in found} >= {"seed", "snapshot", "model", "test", "unit_test"}
    assert not {uid: status for uid, status in found.items() if status not in ("success", "pass", "warn")}
    assert {uid: found.get(uid) for uid in expected if found.get(uid) != expected[uid]} == {}


@pytest.mark.parametrize("table", [*LAYER_MARTS, "mart_quality__status", *KEYS])
def test_marts_equal_the_warehouse(peer, warehouse, table):
    conn, _ = peer
    expected, found = read_duckdb(warehouse, table), read_postgres(conn, table)
    assert expected, f"{table} is empty in the warehouse"
    assert sorted(found) == sorted(expected)
    differing = [(key, column, value, found[key][column])
                 for key, row in expected.items() for column, value in row.items()
                 if not same(value, found[key][column])]
    assert not differing[:10]
    assert list(next(iter(found.values()))) == list(next(iter(expected.values())))   # same columns, same order


@pytest.mark.parametrize(("code", "entity", "period", "value", "status"), [
    ("CRS_ATTEND_RATE", "JXB_C1", "2024-10", 100 * 45 / 55, "预警"),
    ("COL_STUDENT_TEACHER_RATIO", "102", "2024-2025", 5.5, "达成目标"),   # 11 / 2: no integer division
    ("MAJ_DROPOUT_RATE", "530302", "2024-2025", 10, "预警"),
    ("SCH_SENIOR_TITLE_RATE", "4132012345", "2024-2025", 50, "达成目标"),  # from the snapshot history
])
def test_worked_examples_on_postgres(peer, indicators, code, entity, period, value, status):
    conn, _ = peer
    row = read_postgres(conn, "mart_quality__status")[(code, entity, period)]
    assert row["value"] == pytest.approx(value) and row["status"] == status
    assert same(row["value"], indicators[(code, entity, period)]["value"])
