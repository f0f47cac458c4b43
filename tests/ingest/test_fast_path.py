"""The fast path (DuckDB's scanners from the extension wheels) gives exactly the warehouse the
SQLAlchemy path gives, and falls back to SQLAlchemy when it cannot be used."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import duckdb
import pytest

import ingest
from ingest.connectors import duckdb_extensions as extensions
from tests.ingest.ingest_testkit import differing_raw_tables, quarantine, raw_tables, sqlite_urls

CONFIG = ingest.load_config()


def load(urls, state, warehouse, fast_path, run_id="r"):
    results = ingest.run_ingest(warehouse, urls, state, run_id=run_id,
                                sources=["jw", "hr", "xg"], config=CONFIG.with_fast_path(fast_path))
    assert [(r.table_name, r.error) for r in results if r.status != "ok"] == []
    return {r.table_name: r for r in results}


def watermarks(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("SELECT source, table_name, watermark FROM meta.watermarks "
                           "ORDER BY ALL").fetchall()


def test_scanner_and_sqlalchemy_give_identical_raw_tables(generated_school, tmp_path):
    sources, _ = generated_school
    fast = load(sqlite_urls(sources), sources / "state", tmp_path / "fast.duckdb", "auto")
    slow = load(sqlite_urls(sources), sources / "state", tmp_path / "slow.duckdb", "off")

    assert {r.connector for r in fast.values()} == {"duckdb-sqlite"}
    assert {r.connector for r in slow.values()} == {"sqlalchemy"}
    assert differing_raw_tables(tmp_path / "fast.duckdb", tmp_path / "slow.duckdb") == {}
    assert quarantine(tmp_path / "fast.duckdb") == quarantine(tmp_path / "slow.duckdb")
    assert watermarks(tmp_path / "fast.duckdb") == watermarks(tmp_path / "slow.duckdb")
    for name, result in fast.items():
        assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (
            slow[name].rows_read, slow[name].rows_loaded, slow[name].rows_quarantined), name


def as_text(records):
    return [(*record[:5], {k: None if v is None else str(v)
                           for k, v in json.loads(record[5]).items()}) for record in records]


def test_a_value_of_another_type_than_declared_is_quarantined_not_fatal(school, tmp_path):
    """SQLite keeps 'abc' in a REAL column: the typed scan stops, the table is read as text
    and the contract quarantines that one value, as the SQLAlchemy path does."""
    fast = load(school.urls, school.state, tmp_path / "fast.duckdb", "auto")
    slow = load(school.urls, school.state, tmp_path / "slow.duckdb", "off")

    assert fast["JW_CJ_XSCJB"].connector == "duckdb-sqlite (text)"
    assert fast["JW_KQ_XSKQB"].connector == "duckdb-sqlite"
    assert slow["JW_CJ_XSCJB"].connector == "sqlalchemy"
    assert fast["JW_CJ_XSCJB"].rows_quarantined == slow["JW_CJ_XSCJB"].rows_quarantined == 1
    assert raw_tables(tmp_path / "fast.duckdb") == raw_tables(tmp_path / "slow.duckdb")
    # the same rows set aside for the same reasons; read as text, their values are texts
    assert as_text(quarantine(tmp_path / "fast.duckdb")) == as_text(
        quarantine(tmp_path / "slow.duckdb"))
    assert [q[3] for q in quarantine(tmp_path / "fast.duckdb") if q[1] == "JW_CJ_XSCJB"] == [
        "bad_type"]


def test_without_the_extension_wheel_the_load_falls_back_to_sqlalchemy(
        school, warehouse, monkeypatch, caplog):
    monkeypatch.setitem(extensions.SCANNERS, "sqlite", "duckdb_extension_not_installed")
    with caplog.at_level(logging.WARNING, logger="ingest.runner"):
        results = load(school.urls, school.state, warehouse, "auto")

    assert {r.connector for r in results.values()} == {"sqlalchemy"}
    assert "duckdb-extension-not-installed" in caplog.text
    assert results["JW_KQ_XSKQB"].rows_loaded == 20


def test_a_table_can_opt_out_of_the_fast_path(school, warehouse):
    jw = CONFIG.sources["jw"]
    tables = tuple(dataclasses.replace(t, fast_path="off") if t.name == "JW_KQ_XSKQB" else t
                   for t in jw.tables)
    config = dataclasses.replace(CONFIG, sources={**CONFIG.sources,
                                                  "jw": dataclasses.replace(jw, tables=tables)})
    results = {r.table_name: r for r in ingest.run_ingest(
        warehouse, school.urls, school.state, run_id="r", sources=["jw"], config=config)}
    assert results["JW_KQ_XSKQB"].connector == "sqlalchemy"
    assert results["JW_KQ_XSKQB"].rows_loaded == 20
    assert results["JW_JXRW_JXBXXB"].connector == "duckdb-sqlite"


def test_scanners_come_from_the_wheels_and_nothing_is_downloaded():
    con = extensions.scanner_connection("sqlite")
    try:
        assert con.execute("SELECT current_setting('autoinstall_known_extensions'), "
                           "current_setting('autoload_known_extensions')").fetchone() == (
            False, False)
        installed_from = con.execute(
            "SELECT installed_from FROM duckdb_extensions() "
            "WHERE extension_name = 'sqlite_scanner' AND loaded").fetchone()[0]
    finally:
        con.close()
    assert Path(installed_from) == extensions.extension_file("sqlite")
    assert "site-packages" in installed_from and installed_from.endswith(".duckdb_extension")


def test_the_fast_path_setting_is_validated(tmp_path):
    path = tmp_path / "sources.yml"
    path.write_text("settings: {fast_path: sometimes}\nsources: {}\n", encoding="utf-8")
    with pytest.raises(ingest.config.ConfigError, match="fast_path"):
        ingest.load_config(path)
    path.write_text("settings: {fast_path: off}\nsources: {}\n", encoding="utf-8")
    assert ingest.load_config(path).fast_path == "off"
