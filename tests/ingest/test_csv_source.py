"""CSV exports (GBK or UTF-8, with or without BOM) load like the database they came from."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

import ingest
from ingest.connectors.csv_export import detect_encoding
from tests.ingest.ingest_testkit import LAYOUTS, quarantine, raw_tables

CONFIG = ingest.load_config()
# a mix, as a school's systems export: Windows GBK with CRLF, UTF-8 with and without BOM
ENCODINGS = {"JW_KQ_XSKQB": "gbk", "JW_XJGL_XSJBXXB": "gbk", "ZFTAL_XTGL_JGDMB": "gbk",
             "JW_CJ_XSCJB": "utf-8-sig", "JW_JH_KCDMB": "utf-8-sig"}


def write_export(path: Path, columns: list[str], rows: list[tuple], encoding: str) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n" if encoding == "gbk" else "\n")
    writer.writerow(columns)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    path.write_bytes(text.getvalue().encode(encoding))


def export_jw(school, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for table, layout in LAYOUTS["jw"].items():
        columns = [c.split()[0] for c in layout.split(", ")]
        write_export(folder / f"{table}.csv", columns, school.rows["jw"][table],
                     ENCODINGS.get(table, "utf-8"))
    return folder


def load_jw(url, school, warehouse, run_id="r"):
    results = ingest.run_ingest(warehouse, {"jw": url}, school.state, run_id=run_id,
                                sources=["jw"])
    assert [(r.table_name, r.error) for r in results if r.status != "ok"] == []
    return {r.table_name: r for r in results}


def test_gbk_and_utf8_exports_load_the_same_raw_tables_as_the_database(school, tmp_path):
    exports = export_jw(school, tmp_path / "exports")
    assert "机电工程学院".encode("gbk") in (exports / "ZFTAL_XTGL_JGDMB.csv").read_bytes()

    from_files = load_jw(f"csv://{exports}", school, tmp_path / "csv.duckdb")
    load_jw(school.urls["jw"], school, tmp_path / "sqlite.duckdb")

    assert {r.connector for r in from_files.values()} == {"csv"}
    from_csv = raw_tables(tmp_path / "csv.duckdb", ["jw"])
    assert from_csv == raw_tables(tmp_path / "sqlite.duckdb", ["jw"])
    assert ("J101", "101", "机电工程学院", "教学单位", None) in from_csv["jw.ZFTAL_XTGL_JGDMB"]
    assert [r[2] for r in from_csv["jw.JW_XJGL_XSJBXXB"]][:2] == ["学生0", "学生1"]
    # the same rows quarantined for the same reasons
    assert [q[:4] for q in quarantine(tmp_path / "csv.duckdb")] == [
        q[:4] for q in quarantine(tmp_path / "sqlite.duckdb")]


def test_encoding_is_detected_per_file(tmp_path):
    for encoding in ("gbk", "utf-8", "utf-8-sig"):
        path = tmp_path / f"{encoding}.csv"
        write_export(path, ["XM"], [("张三",), ("信息工程学院",)], encoding)
        expected = {"gbk": "gb18030"}.get(encoding, encoding)
        assert detect_encoding(path) == expected
    ascii_only = tmp_path / "ascii.csv"
    ascii_only.write_bytes(b"KQ_ID\n1\n")
    assert detect_encoding(ascii_only) == "utf-8"


def test_a_new_export_loads_only_the_rows_past_the_watermark(school, tmp_path):
    exports = export_jw(school, tmp_path / "exports")
    warehouse = tmp_path / "csv.duckdb"
    load_jw(f"csv://{exports}", school, warehouse, "run-1")

    # the next night's export holds the whole log again, with 5 new check-ins
    rows = school.rows["jw"]["JW_KQ_XSKQB"] + [
        (200 + i, 1, "X0002", 2, "2024-10-09 08:00:00") for i in range(5)]
    columns = [c.split()[0] for c in LAYOUTS["jw"]["JW_KQ_XSKQB"].split(", ")]
    write_export(exports / "JW_KQ_XSKQB.csv", columns, rows, "gbk")
    again = load_jw(f"csv://{exports}", school, warehouse, "run-2")

    check_ins = again["JW_KQ_XSKQB"]
    assert (check_ins.rows_read, check_ins.rows_loaded, check_ins.rows_quarantined) == (5, 5, 0)
    assert check_ins.watermark_after == "204"
    assert all((r.rows_read, r.rows_loaded) == (0, 0) for r in again.values()
               if r.mode in ("append", "changing") and r.table_name != "JW_KQ_XSKQB")


def test_a_missing_column_or_file_names_the_export(school, tmp_path):
    exports = export_jw(school, tmp_path / "exports")
    write_export(exports / "JW_KQ_XSKQB.csv", ["KQ_ID", "SKJL_ID", "XH_ID", "CJSJ"],
                 [(1, 1, "X0001", "2024-10-01 08:00:00")], "gbk")
    (exports / "JW_JXSG_JLB.csv").unlink()

    results = {r.table_name: r for r in ingest.run_ingest(
        tmp_path / "w.duckdb", {"jw": f"csv://{exports}"}, school.state, run_id="r",
        sources=["jw"])}

    assert results["JW_KQ_XSKQB"].status == "failed"
    assert "KQZT" in results["JW_KQ_XSKQB"].error and "JW_KQ_XSKQB.csv" in results[
        "JW_KQ_XSKQB"].error
    assert results["JW_JXSG_JLB"].status == "failed"
    assert "JW_JXSG_JLB.csv" in results["JW_JXSG_JLB"].error
    assert results["JW_CJ_XSCJB"].status == "ok"


def test_a_missing_export_folder_fails_its_tables(school, tmp_path):
    results = ingest.run_ingest(tmp_path / "w.duckdb", {"jw": f"csv://{tmp_path / 'absent'}"},
                                school.state, run_id="r", sources=["jw"])
    assert {r.status for r in results} == {"failed"}
    assert "absent" in results[0].error


@pytest.mark.parametrize("forced", ["gbk", "gb18030"])
def test_the_encoding_can_be_forced_in_the_url(school, tmp_path, forced):
    exports = export_jw(school, tmp_path / "exports")
    for table in LAYOUTS["jw"]:  # every file in GBK this time
        columns = [c.split()[0] for c in LAYOUTS["jw"][table].split(", ")]
        write_export(exports / f"{table}.csv", columns, school.rows["jw"][table], "gbk")
    results = load_jw(f"csv://{exports}?encoding={forced}", school, tmp_path / "w.duckdb")
    assert results["ZFTAL_XTGL_JGDMB"].rows_loaded == 3
