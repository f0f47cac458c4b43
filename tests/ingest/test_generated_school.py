"""Ingest of a school written by the synthetic generator (300 students)."""

from __future__ import annotations

import duckdb

import ingest
from tests.ingest.ingest_testkit import sqlite_urls


def test_generated_school_loads_completely(generated_school, tmp_path):
    sources, manifest = generated_school
    urls = sqlite_urls(sources)
    warehouse = tmp_path / "warehouse.duckdb"

    results = ingest.run_ingest(warehouse, urls, sources / "state", run_id="first")

    assert [(r.table_name, r.error) for r in results if r.status != "ok"] == []
    read = {r.table_name: r.rows_read for r in results if r.source not in ("state", "plan")}
    assert read == manifest["row_counts"]
    assert all(r.rows_read == r.rows_loaded + r.rows_quarantined for r in results)
    duplicate = next(f for f in manifest["data_quality"] if f["check"] == "duplicate_kq_id")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT table_name, row_key, rule FROM meta.quarantine").fetchall() == [
            ("JW_KQ_XSKQB", str(duplicate["KQ_ID"]), "duplicate_key")]
        assert con.execute('SELECT count(*) FROM raw_jw."JW_KQ_XSKQB"').fetchone()[0] == (
            manifest["row_counts"]["JW_KQ_XSKQB"] - 1)
        assert con.execute("SELECT count(*) FROM raw_state.a6_1").fetchone()[0] > 0
        # every row read is accounted for in the audit too
        assert con.execute("SELECT count(*) FROM meta.load_audit WHERE run_id = 'first' AND "
                           "rows_read <> rows_loaded + rows_quarantined").fetchone()[0] == 0

    again = ingest.run_ingest(warehouse, urls, sources / "state", run_id="again")
    assert [r for r in again if r.status != "ok"] == []
    incremental = [r for r in again if r.mode in ("append", "changing")]
    assert incremental and all((r.rows_read, r.rows_loaded) == (0, 0) for r in incremental)
