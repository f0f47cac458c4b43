"""No national id (SFZH) or phone number (SJHM) of the sources in any mart or in the snapshot.

They may sit in the warehouse's restricted layers (raw, and core if a model needs them); the
snapshot, whatever its schemas, must not hold one.

The PostgreSQL serving tables get the same scan in test_serving_postgres.py.
"""

from __future__ import annotations

import duckdb
import pytest

from tests.serving.serving_testkit import duckdb_personal_data_hits, personal_data_values


@pytest.fixture(scope="module")
def personal(synced_school) -> set[str]:
    values = personal_data_values(synced_school.sources)
    assert len(values) > 2 * 300  # every student and staff member has both
    return values


def test_the_scan_finds_personal_data_where_it_is(synced_school, personal):
    """The warehouse's raw schemas hold the sources' SFZH and SJHM: the scan must see them."""
    with duckdb.connect(str(synced_school.settings.warehouse), read_only=True) as con:
        hits = duckdb_personal_data_hits(con, personal, schemas=["raw_jw", "raw_hr"])
    assert hits["raw_jw.JW_XJGL_XSJBXXB.SFZH"] > 300
    assert hits["raw_jw.JW_XJGL_XSJBXXB.SJHM"] > 300
    assert hits["raw_hr.RS_JZGJBXX.SFZH"] > 50


def test_no_personal_data_in_the_marts(synced_school, personal):
    with duckdb.connect(str(synced_school.settings.warehouse), read_only=True) as con:
        assert duckdb_personal_data_hits(con, personal, schemas=["marts"]) == {}


def test_no_personal_data_in_the_snapshot(synced_school, personal):
    with duckdb.connect(str(synced_school.settings.snapshot), read_only=True) as con:
        schemas = {s for (s,) in con.execute("select distinct table_schema from information_schema.tables").fetchall()}
        assert {"core", "data_quality", "marts", "registry"} <= schemas
        assert duckdb_personal_data_hits(con, personal) == {}
