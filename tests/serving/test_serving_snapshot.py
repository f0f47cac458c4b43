"""The analysts' snapshot: what it holds, what it withholds, and that readers never meet the writer."""

from __future__ import annotations

import stat
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.definitions import build_definitions
from serving.snapshot import PersonalDataError, TableDoc, publish_snapshot, read_snapshot_info
from zhengai.settings import Settings
from tests.serving.serving_testkit import NATIONAL_ID, PHONE, build_small_warehouse, duckdb_personal_data_hits


@pytest.fixture
def warehouse(tmp_path) -> Path:
    return build_small_warehouse(tmp_path / "warehouse.duckdb")


def tables_of(snapshot: Path) -> dict[str, list[str]]:
    with duckdb.connect(str(snapshot), read_only=True) as con:
        rows = con.execute(
            "select table_schema || '.' || table_name, column_name from information_schema.columns "
            "order by table_schema, table_name, ordinal_position"
        ).fetchall()
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(table, []).append(column)
    return tables


def test_snapshot_holds_core_marts_registry_without_personal_columns(warehouse, tmp_path):
    snapshot = tmp_path / "published" / "snapshot.duckdb"
    docs = {"core.dim_student": TableDoc("学生维度 · students", {"student_name": "姓名 · name", "national_id": "身份证号"})}
    report = publish_snapshot(warehouse, snapshot, run_id="run-1", docs=docs)

    tables = tables_of(snapshot)
    assert set(tables) == {
        "core.dim_student", "core.fct_attendance", "marts.mart_quality__status", "marts.mart_student__indicators",
        "marts.mart_student__indicators_wide", "registry.quality_control_points", "main.snapshot_info",
        "main.snapshot_tables", "main.snapshot_tokens",  # the snapshot's own bookkeeping
    }  # no raw, staging or meta
    assert tables["core.dim_student"] == ["student_number", "student_name"]
    assert report.withheld_columns == ["core.dim_student.national_id"]
    with duckdb.connect(str(snapshot), read_only=True) as con:
        # the wide view became a table that answers without the warehouse
        assert con.execute("select stu_gpa from marts.mart_student__indicators_wide").fetchall() == [(2.5,)]
        assert con.execute("select table_type from information_schema.tables where table_name = "
                           "'mart_student__indicators_wide'").fetchone() == ("BASE TABLE",)
        assert duckdb_personal_data_hits(con, {NATIONAL_ID, PHONE}) == {}
        # the dbt documentation travels with the tables, for SQL clients and BI tools
        assert con.execute("select comment from duckdb_tables() where table_name = 'dim_student'").fetchone() == (
            "学生维度 · students",)
        assert dict(con.execute("select column_name, comment from duckdb_columns() "
                                "where table_name = 'dim_student'").fetchall()) == {
            "student_number": None, "student_name": "姓名 · name"}
    info = read_snapshot_info(snapshot)
    assert info["run_id"] == "run-1" and info["tables"] == 6 and info["total_rows"] == 6
    assert info["mode"] == "full" and info["full_copy_reason"] == "尚无上一版快照"
    assert info["warehouse"] == str(warehouse.resolve())
    assert info["withheld_columns"] == ["core.dim_student.national_id"]
    assert not snapshot.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert sorted(p.name for p in snapshot.parent.iterdir()) == ["snapshot.duckdb"]  # nothing left behind


def test_a_personal_value_under_any_name_stops_the_snapshot(warehouse, tmp_path):
    snapshot = tmp_path / "snapshot.duckdb"
    publish_snapshot(warehouse, snapshot, run_id="good-run")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table core.fct_counselling (student_number varchar, remark varchar, contact bigint)")
        con.execute(f"insert into core.fct_counselling values ('2024001', '家长电话 {PHONE}，已联系', {PHONE})")

    with pytest.raises(PersonalDataError) as refused:
        publish_snapshot(warehouse, snapshot, run_id="leaking-run")

    assert "core.fct_counselling.remark" in str(refused.value)
    assert "core.fct_counselling.contact" in str(refused.value)
    assert "student_number" not in str(refused.value)

    assert read_snapshot_info(snapshot)["run_id"] == "good-run"  # analysts keep the last good one
    assert sorted(p.name for p in tmp_path.iterdir() if "snapshot" in p.name) == ["snapshot.duckdb"]


def test_the_snapshot_is_an_asset_after_the_whole_build(tmp_path):
    definitions = build_definitions(Settings.from_env({"ZHENGAI_DATA_DIR": str(tmp_path)}))
    graph = definitions.resolve_asset_graph()
    snapshot_key = dg.AssetKey(["serving", "analyst_snapshot"])
    parents = graph.get(snapshot_key).parent_keys
    assert dg.AssetKey(["marts", "mart_quality__status"]) in parents
    assert dg.AssetKey(["core", "dim_student"]) in parents
    assert {key.path[0] for key in parents} == {"core", "data_quality", "marts", "registry"}
    assert snapshot_key in definitions.resolve_job_def("nightly_sync").asset_layer.selected_asset_keys


def test_default_snapshot_sits_beside_the_warehouse(tmp_path):
    settings = Settings.from_env({"ZHENGAI_WAREHOUSE": str(tmp_path / "w" / "warehouse.duckdb")})
    assert settings.snapshot == tmp_path / "w" / "snapshot.duckdb"
    assert Settings.from_env({"ZHENGAI_SNAPSHOT": "/srv/a.duckdb"}).snapshot == Path("/srv/a.duckdb")


def test_an_analyst_reads_the_snapshot_through_a_full_sync(synced_school):
    """A read-only connection held open across a whole `zhengai sync`: both succeed."""
    watch, settings = synced_school.reader, synced_school.settings
    assert synced_school.summary.succeeded
    assert watch.returncode == 0 and watch.error is None, watch.error
    queries = watch.queries
    during = [q for q in queries if watch.sync_started <= q["at"] <= watch.sync_finished]
    assert len(during) >= 20, "the analyst should have been querying all through the sync"
    assert queries[-1]["at"] > watch.sync_finished  # and after the snapshot was replaced
    # every answer came from the snapshot the analyst opened, unchanged, and none waited
    assert {q["answer"][0] for q in queries} == {"yesterday"}
    assert len({tuple(q["answer"]) for q in queries}) == 1
    assert max(q["seconds"] for q in queries) < 5

    today = read_snapshot_info(settings.snapshot)  # a new connection sees today's snapshot
    assert settings.snapshot.stat().st_ino != watch.inode_before
    assert today["run_id"] not in (None, "yesterday") and today["published_at"] > watch.yesterday["published_at"]
    with duckdb.connect(str(settings.snapshot), read_only=True) as con:
        assert con.execute("select count(*) from marts.mart_quality__status").fetchone()[0] > 1000
        # the nightly run documents the snapshot from the dbt project
        (comment,) = con.execute("select comment from duckdb_tables() where table_name = 'mart_quality__status'").fetchone()
        assert comment.startswith("质控点状态")
    assert not [p for p in settings.snapshot.parent.iterdir() if p.name.endswith(".building")]
