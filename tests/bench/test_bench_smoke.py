"""`python -m bench` end to end at the smallest scale, so the benchmark cannot rot: a real
generated school, a full rebuild, an appended day and the nightly sync, the floor query,
the JSON and the report block; and the PostgreSQL peer's copy of the raw tables. The hour's
and the week's increments are left out: the week is the day's code on five days, and the
same-day run is proven end to end by tests/end_to_end/test_same_day.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import duckdb
import pytest

from zhengai.settings import REPO_ROOT

from bench.peer import PostgresTarget, copy_raw_to_postgres, postgres_available
from bench.report import BLOCK_START

from tests.bench.bench_testkit import SMALL_STUDENTS


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory) -> tuple[Path, dict, str]:
    base = tmp_path_factory.mktemp("bench")
    out, md = base / "bench.json", base / "BENCHMARKS.md"
    md.write_text("# Benchmarks\n\n## Ingest\n\nkept as it is\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--students", str(SMALL_STUDENTS), "--years", "1",
         "--seed", "7", "--skip-peer", "--increments", "day", "--bench-dir", str(base), "--out", str(out), "--markdown", str(md)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)   # from the checkout: bench/ is not installed
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return base, json.loads(out.read_text()), md.read_text(encoding="utf-8")


def test_the_full_rebuild_and_the_nightly_run_are_split_by_stage(bench_run):
    _, results, _ = bench_run
    scale = results["scales"][results["main"]]
    assert results["main"] == f"{SMALL_STUDENTS}x1"
    for run in (scale["full_rebuild"], scale["nightly"]):
        stages = run["stages"]
        assert stages["ingest"] > 0 and stages["dbt_build"] > 0 and stages["checks"] > 0
        assert abs(sum(stages.values()) - run["seconds"]) < 0.05
        assert run["returncode"] == 0 and run["peak_tree_rss"] >= run["max_process_rss"] > 50 * 2**20
        assert run["dbt"]["nodes"] > 0 and not run["dbt"]["failed"]
    assert scale["nightly"]["rows_appended"]["JW_KQ_XSKQB"] > 0
    assert scale["generate"]["seconds"] > 0 and scale["floor"]["seconds"] > 0


def test_the_nightly_run_loads_the_appended_day(bench_run):
    base, results, _ = bench_run
    day = results["scales"][results["main"]]["nightly"]["day"]
    with duckdb.connect(str(base / f"s{SMALL_STUDENTS}_y1" / "warehouse.duckdb"), read_only=True) as con:
        loaded = con.execute("select count(*) from raw_xg.XG_CQJL where CQRQ = ?", [day]).fetchone()[0]
    assert loaded == results["scales"][results["main"]]["nightly"]["rows_appended"]["XG_CQJL"]


def test_the_report_block_lands_next_to_the_other_sections(bench_run):
    _, results, text = bench_run
    assert "## Ingest\n\nkept as it is" in text
    block = text.split(BLOCK_START, 1)[1]
    assert "| full rebuild 300x1 |" in block and "| one day, nightly 300x1 (+" in block
    assert "### Goals" in block and results["machine"]["cpu"] in block


def test_the_peer_gets_the_same_raw_tables(bench_run):
    base, _, _ = bench_run
    pg = PostgresTarget.from_url(f"postgresql://postgres@127.0.0.1:5432/zhengai_bench_test_{uuid.uuid4().hex[:8]}")
    why_not = postgres_available(pg, need_dbt=False)   # the copy needs the server only
    if why_not:
        if os.environ.get("ZHENGAI_REQUIRE_SERVICES") == "1":
            pytest.fail(f"PostgreSQL required: {why_not}")
        pytest.skip(why_not)
    warehouse = base / f"s{SMALL_STUDENTS}_y1" / "warehouse.duckdb"
    try:
        copied = copy_raw_to_postgres(warehouse, pg, base / "pg_copy")
        with duckdb.connect(str(warehouse), read_only=True) as con:
            expected = con.execute("select count(*) from raw_jw.JW_KQ_XSKQB").fetchone()[0]
        with pg.connect() as conn, conn.cursor() as cur:
            cur.execute('select count(*), count(distinct kq_id) from raw_jw."JW_KQ_XSKQB"')
            assert cur.fetchone() == (expected, expected)
        assert copied["tables"] >= 30 and copied["rows"] > expected
    finally:
        admin = pg.connect("postgres")
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{pg.database}" with (force)')
        admin.close()
