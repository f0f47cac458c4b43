"""`zhengai sql`: SQL on the snapshot with the DuckDB the product ships, read-only."""

from __future__ import annotations

import builtins

import duckdb
import pytest
from click.testing import CliRunner

from zhengai.cli import main


@pytest.fixture
def snapshot(tmp_path):
    path = tmp_path / "snapshot.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.mart_quality__status as "
                    "select * from (values ('STU_GPA', '2024010101', '预警'), ('STU_GPA', '2024010102', '达标')) "
                    "as t(indicator_code, entity_id, status)")
    return path


def test_one_shot_statements_print_the_last_result(snapshot):
    result = CliRunner().invoke(main, ["sql", "--db", str(snapshot), "-c",
                                       "SET VARIABLE s = '预警'; select entity_id from marts.mart_quality__status "
                                       "where status = getvariable('s')"])
    assert result.exit_code == 0, result.output
    assert "2024010101" in result.output and "2024010102" not in result.output


def test_the_snapshot_is_opened_read_only(snapshot):
    result = CliRunner().invoke(main, ["sql", "--db", str(snapshot), "-c", "drop table marts.mart_quality__status"])
    assert result.exit_code == 1 and "SQL 执行失败" in result.output and "read-only" in result.output
    with duckdb.connect(str(snapshot), read_only=True) as con:
        assert con.execute("select count(*) from marts.mart_quality__status").fetchone() == (2,)


def test_statements_piped_in_run_like_c(snapshot):
    result = CliRunner().invoke(main, ["sql", "--db", str(snapshot)],
                                input="select count(*) as n\nfrom marts.mart_quality__status;\n")
    assert result.exit_code == 0, result.output
    assert "│   n   │" in result.output and "│     2 │" in result.output


def test_the_prompt_runs_statements_across_lines_and_survives_a_wrong_one(snapshot, monkeypatch, capsys):
    from zhengai import cli_sql

    typed = iter([".tables", "select status,", "count(*) as n from marts.mart_quality__status group by 1 order by 1;",
                  "select * from no_such_table;", ".quit"])
    monkeypatch.setattr(builtins, "input", lambda prompt="": next(typed))
    with duckdb.connect(str(snapshot), read_only=True) as con:
        cli_sql._prompt(con)
    out = capsys.readouterr()
    assert "mart_quality__status" in out.out  # .tables
    assert "达标" in out.out and "预警" in out.out
    assert "错误：" in out.err and "no_such_table" in out.err


def test_without_a_snapshot_it_says_to_run_the_demo(tmp_path):
    result = CliRunner().invoke(main, ["sql", "--db", str(tmp_path / "none.duckdb"), "-c", "select 1"])
    assert result.exit_code == 1 and "请先运行 make demo" in result.output
