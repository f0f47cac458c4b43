"""The contract's casts and rules, and the SQL the connector sends to other databases."""

from __future__ import annotations

import polars as pl
import pytest
from sqlalchemy.dialects import mysql, postgresql

import ingest
from ingest import contract
from ingest.config import ColumnSpec
from ingest.connectors.database import SqlSource

CONFIG = ingest.load_config()


def cast(values, type_, dtype=pl.String):
    frame = pl.DataFrame({"v": values}, schema={"v": dtype})
    return frame.select(contract.cast_expr("v", dtype, type_)).to_series().to_list()


def test_numbers_written_as_text_parse_with_thousands_separators():
    assert cast(["1,234.5", " 20 000 ", "12", "abc", None], "real") == [
        1234.5, 20000.0, 12.0, None, None]
    assert cast(["1,020", "3.0", "3.5", "x"], "integer") == [1020, 3, None, None]
    assert cast([3.0, 2.5], "integer", pl.Float64) == [3, None]


def test_year_months_booleans_and_timestamps():
    assert cast(["2019.09", "2019.9", "2019-10", "2019年3月", "2019.13", "1980"], "year_month") == [
        "2019-09", "2019-09", "2019-10", "2019-03", None, None]
    assert cast(["是", "否", " 是 ", "可能"], "boolean") == [True, False, True, None]
    assert cast(["2025-06-01 08:00:00", "2025-06-01", "2025-02-30 08:00:00"], "timestamp") == [
        "2025-06-01 08:00:00", None, None]


def test_text_columns_keep_codes_stored_as_numbers():
    assert cast([3, 12], "text", pl.Int64) == ["3", "12"]
    assert cast([3.0, 2.5], "text", pl.Float64) == ["3", "2.5"]


def test_check_splits_valid_rows_from_rows_breaking_the_contract():
    table = CONFIG.sources["jw"].table("JW_KQ_XSKQB")
    batch = pl.DataFrame({
        "KQ_ID": ["1", "2", None, "x4", "5", "6"],
        "SKJL_ID": [1, 1, 1, 1, 1, 1],
        "XH_ID": ["S1", "S2", "S3", "S4", None, "S6"],
        "KQZT": [1, 6, 1, 1, 1, 5],
        "CJSJ": ["2024-10-01 08:00:00"] * 6,
        "EXTRA": ["ignored"] * 6,
    })
    checked = contract.check(batch, table)
    assert checked.valid.columns == table.column_names
    assert checked.valid["KQ_ID"].to_list() == [1, 6]
    assert checked.valid.schema["KQ_ID"] == pl.Int64
    assert checked.rejected.select("row_key", "rule").rows() == [
        ("2", "code_not_allowed"), ("", "null_key"), ("x4", "bad_type"), ("5", "null_required")]
    assert '"EXTRA":"ignored"' in checked.rejected["raw_values"][0]


def test_check_refuses_a_batch_without_a_contract_column():
    table = CONFIG.sources["jw"].table("JW_KQ_XSKQB")
    with pytest.raises(contract.ContractError, match="JW_KQ_XSKQB.*KQZT"):
        contract.check(pl.DataFrame({"KQ_ID": [1], "SKJL_ID": [1], "XH_ID": ["S"], "CJSJ": ["t"]}),
                       table)


def test_queries_are_portable_and_quoted_per_dialect(school):
    source = SqlSource("jw", school.urls["jw"])
    try:
        kq = CONFIG.sources["jw"].table("JW_KQ_XSKQB")
        grades = CONFIG.sources["jw"].table("JW_CJ_XSCJB")
        pg = str(source.query(kq, "22").compile(dialect=postgresql.dialect()))
        my = str(source.query(kq, "22").compile(dialect=mysql.dialect()))
        assert 'FROM "JW_KQ_XSKQB"' in pg and '"KQ_ID" >' in pg
        assert "FROM `JW_KQ_XSKQB`" in my and "`KQ_ID` >" in my
        changing = source.query(grades, "2025-06-04 10:00:00").compile(dialect=postgresql.dialect())
        assert '"GXSJ" IS NULL' in str(changing)
        assert "2025-06-01 10:00:00" in changing.params.values()  # 3 days of look-back
    finally:
        source.close()
    # the drivers for the school's servers are installed (engines connect lazily)
    for url in ("mysql+pymysql://u:p@db.invalid/jw", "postgresql+psycopg2://u:p@db.invalid/jw"):
        SqlSource("jw", url).close()


def test_config_rejects_an_append_table_without_an_integer_watermark(tmp_path):
    path = tmp_path / "sources.yml"
    path.write_text(
        "sources:\n  jw:\n    kind: sql\n    tables:\n      T:\n        mode: append\n"
        "        key: [ID]\n        watermark: ID\n        columns: {ID: text}\n", encoding="utf-8")
    with pytest.raises(ingest.config.ConfigError, match="jw.T"):
        ingest.load_config(path)


def test_key_and_watermark_columns_are_required():
    grades = CONFIG.sources["jw"].table("JW_CJ_XSCJB")
    assert grades.column("CJ_ID").required and grades.column("GXSJ").required
    assert not grades.column("CJ").required
    a10_1 = CONFIG.sources["state"].table("a10_1")
    assert a10_1.key == ("collection_year", "major_code", "cohort")
    assert a10_1.columns[0] == ColumnSpec("collection_year", "integer", required=True)
