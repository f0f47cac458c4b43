"""A load killed with SIGKILL part-way leaves the warehouse as it was; the next run completes it.

The school's check-in log is loaded up to half of its ids; the other half is then appended
and a second load, in a child process, is killed: once while it reads the source and
stages chunks of rows (seen by its progress bar), once inside its warehouse transaction,
every row inserted and set aside (the child's test script pauses just before the commit).
Each time the warehouse must be exactly as before; the next run then loads exactly the
appended rows.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
import re
import select
import signal
import sqlite3
import subprocess
import sys
import time

import duckdb
import pytest

import ingest
from tests.ingest.ingest_testkit import copy_school

REPO = Path(__file__).resolve().parents[2]
CONFIG = ingest.load_config()

CHILD = r"""
import dataclasses, sys, time
from pathlib import Path
import ingest
from ingest import loader as warehouse_module

warehouse, url, pause = sys.argv[1:4]
config = ingest.load_config()
jw = config.sources["jw"]
config = dataclasses.replace(
    config, batch_size=500,
    sources={"jw": dataclasses.replace(jw, tables=(jw.table("JW_KQ_XSKQB"),))})
# rows are staged every 2 000: a kill while reading hits a half-written stage
warehouse_module.CHUNK_ROWS = 2000
if pause == "in-transaction":
    real_quarantine = warehouse_module.Warehouse._quarantine
    def quarantine_then_wait(self, *args, **kwargs):
        quarantined = real_quarantine(self, *args, **kwargs)
        print("all rows inserted and set aside, not committed", file=sys.stderr, flush=True)
        time.sleep(120)
        return quarantined
    warehouse_module.Warehouse._quarantine = quarantine_then_wait
ingest.run_ingest(Path(warehouse), {"jw": url}, Path("state"), run_id="killed",
                  sources=["jw"], progress=True, config=config)
"""


def warehouse_state(warehouse: Path) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            "check_ins": con.execute(
                'SELECT count(*), sum(KQ_ID), max(KQ_ID), count(DISTINCT _load_id) '
                'FROM raw_jw."JW_KQ_XSKQB"').fetchone(),
            "watermarks": con.execute("SELECT * FROM meta.watermarks ORDER BY ALL").fetchall(),
            "audit": con.execute("SELECT count(*) FROM meta.load_audit").fetchone(),
            "quarantine": con.execute("SELECT count(*) FROM meta.quarantine").fetchone(),
        }


def kill_when(warehouse: Path, url: str, pause: str, sign: str) -> str:
    """Run the child load, SIGKILL it as soon as its stderr matches `sign`; its stderr."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(warehouse), url, pause],
                             cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen, deadline = b"", time.monotonic() + 120
    try:
        while not re.search(sign, seen.decode(errors="replace")):
            if child.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the child ended or stalled before '{sign}': {seen.decode()[-2000:]}")
            ready, _, _ = select.select([child.stderr], [], [], 0.5)
            if ready:
                seen += os.read(child.stderr.fileno(), 65536)
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stderr.close()
    return seen.decode(errors="replace")


@pytest.fixture
def half_loaded(generated_school, tmp_path):
    """(warehouse, jw url, rows appended): the check-in log loaded up to half its ids, then
    the other half appended to the source."""
    school = copy_school(generated_school[0], tmp_path / "school")
    jw = school / "jw.sqlite"
    with sqlite3.connect(jw) as db:
        middle = db.execute("SELECT (min(KQ_ID) + max(KQ_ID)) / 2 FROM JW_KQ_XSKQB").fetchone()[0]
        db.execute("CREATE TABLE KQ_LATER AS SELECT * FROM JW_KQ_XSKQB WHERE KQ_ID > ?", [middle])
        db.execute("DELETE FROM JW_KQ_XSKQB WHERE KQ_ID > ?", [middle])
    warehouse, url = tmp_path / "warehouse.duckdb", f"sqlite:///{jw}"
    first = ingest.run_ingest(warehouse, {"jw": url}, school / "state", run_id="first",
                              sources=["jw"])
    assert all(r.status == "ok" for r in first)
    with sqlite3.connect(jw) as db:
        appended = db.execute("INSERT INTO JW_KQ_XSKQB SELECT * FROM KQ_LATER").rowcount
        db.execute("DROP TABLE KQ_LATER")
    assert appended > 20 * 500  # many batches: the read is long enough to be killed in
    return warehouse, url, appended


@pytest.mark.parametrize("pause, sign", [
    ("none", r"jw\.JW_KQ_XSKQB: +[1-9]\d%"),       # its progress bar, 10-99 %
    ("in-transaction", "not committed"),         # every row inserted, just before the commit
])
def test_a_killed_load_leaves_the_warehouse_unchanged_and_the_rerun_completes_it(
        half_loaded, pause, sign):
    warehouse, url, appended = half_loaded
    before = warehouse_state(warehouse)

    output = kill_when(warehouse, url, pause, sign)

    assert "jw.JW_KQ_XSKQB" in output
    assert warehouse_state(warehouse) == before  # DuckDB recovered to the last commit
    stage = warehouse.parent / f".{warehouse.name}.ingest-stage"
    assert list(stage.glob("*/*.parquet"))  # the killed load's staged rows, left behind
    count_before, _, newest_before, _ = before["check_ins"]

    rerun = {r.table_name: r for r in ingest.run_ingest(
        warehouse, {"jw": url}, Path("state"), run_id="rerun", sources=["jw"])}

    check_ins = rerun["JW_KQ_XSKQB"]
    assert check_ins.status == "ok"
    assert not list(stage.glob("*/*.parquet"))  # cleared by the next run
    assert check_ins.watermark_before == str(newest_before)
    assert check_ins.rows_read == check_ins.rows_loaded + check_ins.rows_quarantined == appended
    after = warehouse_state(warehouse)
    assert after["check_ins"][0] == count_before + check_ins.rows_loaded
    assert all(r.rows_loaded == 0 for r in rerun.values()
               if r.mode in ("append", "changing") and r.table_name != "JW_KQ_XSKQB")

    # and running the same batch again changes nothing
    again = ingest.run_ingest(warehouse, {"jw": url}, Path("state"), run_id="again",
                              sources=["jw"], config=dataclasses.replace(CONFIG))
    assert {r.table_name: r.rows_loaded for r in again if r.mode == "append"} == {
        "JW_KQ_SKJLB": 0, "JW_KQ_XSKQB": 0}
    assert warehouse_state(warehouse)["check_ins"] == after["check_ins"]
