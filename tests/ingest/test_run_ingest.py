"""run_ingest end to end on the hand-made sources of conftest.py."""

from __future__ import annotations

import dataclasses
import json

import duckdb
import pytest

import ingest
from ingest import contract
from tests.ingest.ingest_testkit import LAYOUTS, PLANTED, T0

CONFIG = ingest.load_config()


def run(school, warehouse, run_id, **kwargs):
    results = ingest.run_ingest(warehouse, school.urls, school.state, run_id=run_id, **kwargs)
    return {(r.source, r.table_name): r for r in results}


def query(warehouse, sql, params=None):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def raw_counts(warehouse):
    return {(t.source, t.name): query(warehouse, f'SELECT count(*) FROM raw_{t.source}."{t.name}"')[0][0]
            for t in CONFIG.tables()}


def quarantined(warehouse, source, table, run_id):
    rows = query(warehouse, "SELECT rule, count(*) FROM meta.quarantine WHERE source = ? AND "
                            "table_name = ? AND run_id = ? GROUP BY rule", [source, table, run_id])
    return dict(rows)


def test_config_covers_every_source_table():
    for source, tables in LAYOUTS.items():
        assert sorted(t.name for t in CONFIG.sources[source].tables) == sorted(tables)
    assert sorted(t.name for t in CONFIG.sources["state"].tables) == [
        "a1", "a10_1", "a3", "a5_1", "a6_1", "a6_3", "a7_1_1", "a7_6_1", "a7_6_2"]


def test_first_load_keeps_every_row_or_quarantines_it_with_a_reason(school, warehouse):
    results = run(school, warehouse, "run-1")

    assert all(r.status == "ok" for r in results.values()), [r.error for r in results.values()]
    counts = raw_counts(warehouse)
    for (source, table), result in results.items():
        expected_rules = PLANTED.get((source, table), {})
        assert quarantined(warehouse, source, table, "run-1") == expected_rules, (source, table)
        assert result.rows_read == result.rows_loaded + result.rows_quarantined
        assert result.rows_quarantined == sum(expected_rules.values())
        assert counts[(source, table)] == result.rows_loaded
        if source in LAYOUTS:
            assert result.rows_read == school.count(source, table)

    # raw tables exactly as the contract: source names and types, plus the load columns (and,
    # the log being reconciled, when a row was found deleted in the source)
    columns = query(warehouse, "SELECT column_name, data_type FROM duckdb_columns() "
                               "WHERE schema_name = 'raw_jw' AND table_name = 'JW_KQ_XSKQB'")
    assert columns == [("KQ_ID", "BIGINT"), ("SKJL_ID", "BIGINT"), ("XH_ID", "VARCHAR"),
                       ("KQZT", "BIGINT"), ("CJSJ", "VARCHAR"), ("_load_id", "VARCHAR"),
                       ("_loaded_at", "TIMESTAMP"), ("_deleted_at", "TIMESTAMP")]
    audit = query(warehouse, "SELECT count(*), count(*) FILTER (WHERE status = 'ok') "
                             "FROM meta.load_audit WHERE run_id = 'run-1'")
    assert audit == [(len(results), len(results))]


def test_second_run_loads_nothing_new_and_changes_no_counts(school, warehouse):
    run(school, warehouse, "run-1")
    before = raw_counts(warehouse)
    quarantine_before = query(warehouse, "SELECT count(*) FROM meta.quarantine")[0][0]

    results = run(school, warehouse, "run-2")

    assert raw_counts(warehouse) == before
    for (source, table), result in results.items():
        assert result.status == "ok"
        assert result.rows_read == result.rows_loaded + result.rows_quarantined
        mode = CONFIG.sources[source].table(table).mode
        if mode in ("append", "changing"):
            assert (result.rows_read, result.rows_loaded) == (0, 0), (source, table)
            assert result.watermark_after == result.watermark_before is not None
        else:  # snapshots re-read and replace: same rows, same counts
            assert result.rows_loaded == before[(source, table)]
    # only the snapshot tables' bad rows are set aside again (one row of a6_1)
    assert query(warehouse, "SELECT count(*) FROM meta.quarantine")[0][0] == quarantine_before + 1


@pytest.mark.parametrize("fast_path", ["auto", "off"])
def test_appending_check_ins_loads_exactly_those(school, warehouse, fast_path):
    # ids 1-9 and 10-22 in other batches
    small_batches = dataclasses.replace(CONFIG.with_fast_path(fast_path), batch_size=4)
    run(school, warehouse, "run-1", config=small_batches)
    new_rows = [(100 + i, 1, "X0001", 1, "2024-10-08 08:00:00") for i in range(7)]
    school.execute("jw", "INSERT INTO JW_KQ_XSKQB VALUES (?, ?, ?, ?, ?)", new_rows)

    result = run(school, warehouse, "run-2", sources=["jw"], config=small_batches)[
        ("jw", "JW_KQ_XSKQB")]

    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (7, 7, 0)
    assert (result.watermark_before, result.watermark_after) == ("22", "106")
    assert query(warehouse, 'SELECT count(*) FROM raw_jw."JW_KQ_XSKQB"')[0][0] == 20 + 7


def test_duplicated_check_in_lands_once_and_its_twin_is_quarantined(school, warehouse):
    run(school, warehouse, "run-1")
    kept = query(warehouse, 'SELECT KQZT FROM raw_jw."JW_KQ_XSKQB" WHERE KQ_ID = 5')
    twin = query(warehouse, "SELECT rule, raw_values FROM meta.quarantine "
                            "WHERE table_name = 'JW_KQ_XSKQB' AND row_key = '5'")
    # twins (SKJL_ID 3, KQZT 1) and (SKJL_ID 2, KQZT 4): the first in column order is kept,
    # whatever order the source returns them in
    assert kept == [(4,)]
    assert [(rule, json.loads(values)["SKJL_ID"]) for rule, values in twin] == [("duplicate_key", 3)]

    # rows re-read after an engineer rewinds the watermark are never loaded twice
    with duckdb.connect(str(warehouse)) as con:
        con.execute("UPDATE meta.watermarks SET watermark = '19' WHERE table_name = 'JW_KQ_XSKQB'")
    result = run(school, warehouse, "run-2", sources=["jw"])[("jw", "JW_KQ_XSKQB")]
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 0, 3)
    assert quarantined(warehouse, "jw", "JW_KQ_XSKQB", "run-2") == {
        "duplicate_key": 1, "code_not_allowed": 1, "null_required": 1}
    assert query(warehouse, 'SELECT count(*), count(DISTINCT KQ_ID) FROM raw_jw."JW_KQ_XSKQB"') == [
        (20, 20)]


def test_codes_outside_the_contract_are_quarantined(school, warehouse):
    run(school, warehouse, "run-1")
    details = query(warehouse, "SELECT table_name, row_key, rule, detail FROM meta.quarantine "
                               "WHERE rule = 'code_not_allowed' ORDER BY table_name, row_key")
    assert [(t, k, r) for t, k, r, _ in details] == [
        ("JW_KQ_XSKQB", "21", "code_not_allowed"),
        ("JW_XJGL_XSJBXXB", "S6", "code_not_allowed"),
        ("JW_XJGL_XSJBXXB", "S7", "code_not_allowed"),
    ]
    assert "KQZT: '9'" in details[0][3]
    assert "XJZTDM: '09'" in details[1][3] and "XBM: '3'" in details[2][3]
    assert query(warehouse, 'SELECT count(*) FROM raw_jw."JW_KQ_XSKQB" WHERE KQZT = 9') == [(0,)]


@pytest.mark.parametrize("fast_path", ["auto", "off"])
def test_updated_grade_replaces_the_old_row(school, warehouse, fast_path):
    config = CONFIG.with_fast_path(fast_path)
    run(school, warehouse, "run-1", sources=["jw"], config=config)
    school.execute("jw", "UPDATE JW_CJ_XSCJB SET CJ = '61', JD = 1.0, KSXZ = '补考', "
                          "GXSJ = '2025-06-05 10:00:00' WHERE CJ_ID = 'CJ1'")

    result = run(school, warehouse, "run-2", sources=["jw"], config=config)[("jw", "JW_CJ_XSCJB")]

    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (1, 1, 0)
    assert result.watermark_after == "2025-06-05 10:00:00"
    assert query(warehouse, "SELECT CJ, KSXZ, _load_id FROM raw_jw.\"JW_CJ_XSCJB\" "
                            "WHERE CJ_ID = 'CJ1'") == [("61", "补考", "run-2")]
    assert query(warehouse, 'SELECT count(*) FROM raw_jw."JW_CJ_XSCJB"') == [(3,)]


def test_look_back_catches_a_change_stamped_just_before_the_watermark(school, warehouse):
    run(school, warehouse, "run-1")
    # committed late, with a stamp one day before the last watermark (look-back is 3 days)
    school.execute("jw", "UPDATE JW_CJ_XSCJB SET CJ = '70', GXSJ = '2025-05-31 09:00:00' "
                          "WHERE CJ_ID = 'CJ2'")
    result = run(school, warehouse, "run-2", sources=["jw"])[("jw", "JW_CJ_XSCJB")]
    assert (result.rows_read, result.rows_loaded) == (1, 1)
    assert result.watermark_after == T0  # the watermark never goes back
    assert query(warehouse, "SELECT CJ FROM raw_jw.\"JW_CJ_XSCJB\" WHERE CJ_ID = 'CJ2'") == [("70",)]


def test_dropped_source_column_fails_that_table_only_and_keeps_its_data(school, warehouse):
    run(school, warehouse, "run-1")
    before = query(warehouse, 'SELECT * EXCLUDE (_loaded_at) FROM raw_jw."JW_KQ_XSKQB" ORDER BY ALL')
    school.execute("jw", "INSERT INTO JW_KQ_XSKQB VALUES (50, 1, 'X0001', 1, '2024-10-09 08:00:00')")
    school.execute("jw", "ALTER TABLE JW_KQ_XSKQB DROP COLUMN KQZT")
    school.execute("jw", "UPDATE JW_CJ_XSCJB SET CJ = '99', GXSJ = '2025-06-09 00:00:00' "
                          "WHERE CJ_ID = 'CJ3'")

    results = run(school, warehouse, "run-2", sources=["jw"])

    failed = results[("jw", "JW_KQ_XSKQB")]
    assert failed.status == "failed"
    assert "JW_KQ_XSKQB" in failed.error and "KQZT" in failed.error
    assert failed.watermark_after == failed.watermark_before == "22"
    after = query(warehouse, 'SELECT * EXCLUDE (_loaded_at) FROM raw_jw."JW_KQ_XSKQB" ORDER BY ALL')
    assert after == before
    assert query(warehouse, "SELECT status, error FROM meta.load_audit WHERE run_id = 'run-2' "
                            "AND table_name = 'JW_KQ_XSKQB'") == [("failed", failed.error)]
    # the other tables still load
    assert all(r.status == "ok" for k, r in results.items() if k != ("jw", "JW_KQ_XSKQB"))
    assert results[("jw", "JW_CJ_XSCJB")].rows_loaded == 1


def test_a_load_failing_midway_leaves_table_watermark_and_quarantine_as_they_were(
        school, warehouse, monkeypatch):
    run(school, warehouse, "run-1", sources=["jw"])
    school.execute("jw", "INSERT INTO JW_KQ_XSKQB VALUES (?, 1, 'X0001', ?, '2024-10-09 08:00:00')",
                    [(60 + i, 1 if i else 7) for i in range(5)])  # 60 breaks the contract
    config = dataclasses.replace(CONFIG, batch_size=2)  # three batches: 2 + 2 + 1 rows
    real_check, check_ins_batches = contract.check, []

    def check_then_fail(batch, table, *options):
        if table.name == "JW_KQ_XSKQB":
            check_ins_batches.append(batch.height)
            if len(check_ins_batches) == 3:
                raise OSError("connection to the source lost")
        return real_check(batch, table, *options)

    monkeypatch.setattr(contract, "check", check_then_fail)
    state = lambda: (query(warehouse, 'SELECT count(*) FROM raw_jw."JW_KQ_XSKQB"'),
                     query(warehouse, "SELECT * FROM meta.watermarks ORDER BY ALL"),
                     query(warehouse, "SELECT count(*) FROM meta.quarantine"))
    before = state()

    results = {(r.source, r.table_name): r for r in ingest.run_ingest(
        warehouse, school.urls, school.state, run_id="run-2", sources=["jw"], config=config)}

    failed = results[("jw", "JW_KQ_XSKQB")]
    assert failed.status == "failed" and "connection to the source lost" in failed.error
    assert check_ins_batches == [2, 2, 1]
    assert state() == before


def test_workbook_notes_numbers_year_months_and_key_value_sheets(school, warehouse):
    results = run(school, warehouse, "run-1", sources=["state"])

    assert query(warehouse, "SELECT * EXCLUDE (_load_id, _loaded_at) FROM raw_state.a1") == [
        (2025, "12345", "某职业技术学院", "省教育厅", "浙江省", "1985")]
    assert query(warehouse, "SELECT land_area_m2, teaching_research_building_m2, paper_books, "
                            "equipment_value_wan FROM raw_state.a3") == [
        (512345.6, 210000.0, 1200000.0, 23456.78)]
    assert query(warehouse, "SELECT tuition_income_wan, donations_wan FROM raw_state.a5_1") == [
        (8765.4, 12.5)]
    assert query(warehouse, "SELECT staff_no, birth_month, is_dual_qualified, is_key_teacher, "
                            "industry_months FROM raw_state.a6_1 ORDER BY staff_no") == [
        ("T001", "1980-01", True, True, 24.0), ("T002", "2019-09", False, False, 1200.0)]
    # the notes rows and the blank row are not data; the bad 是/否 flag is quarantined
    assert results[("state", "a6_1")].rows_read == 3
    assert quarantined(warehouse, "state", "a6_1", "run-1") == {"bad_type": 1}
    assert query(warehouse, "SELECT cohort, students FROM raw_state.a10_1 ORDER BY cohort") == [
        (2023, 310), (2024, 1020)]
    assert query(warehouse, "SELECT planned FROM raw_state.a7_6_1") == [(1000,)]
    assert query(warehouse, "SELECT avg_starting_pay FROM raw_state.a7_6_2") == [(4500.5,)]
    assert query(warehouse, "SELECT years_of_study, is_enrolling, first_enrolment_year "
                            "FROM raw_state.a7_1_1 ORDER BY major_code") == [
        (3, True, 2005), (3, True, 2008)]


def test_each_collection_year_is_kept_and_replaced_on_reload(school, warehouse):
    from tests.ingest.ingest_testkit import state_sheets, write_workbook
    sheets = state_sheets(2024)
    sheets["A10-1"] = sheets["A10-1"][:3] + [("460301", "机电一体化技术", "2023", "300")]
    write_workbook(school.state / "2024.xlsx", sheets)
    run(school, warehouse, "run-1", sources=["state"])
    assert query(warehouse, "SELECT collection_year, count(*) FROM raw_state.a10_1 "
                            "GROUP BY ALL ORDER BY ALL") == [(2024, 1), (2025, 2)]

    (school.state / "2024.xlsx").unlink()  # a past year's workbook archived elsewhere
    run(school, warehouse, "run-2", sources=["state"])
    # 2024 is kept; 2025 is read again and, unchanged, keeps the rows of the load that brought them
    assert query(warehouse, "SELECT collection_year, count(*), min(_load_id) FROM raw_state.a10_1 "
                            "GROUP BY ALL ORDER BY ALL") == [(2024, 1, "run-1"), (2025, 2, "run-1")]
    audit = query(warehouse, "SELECT rows_loaded, rows_written, rows_removed FROM meta.load_audit "
                             "WHERE run_id = 'run-2' AND lower(table_name) = 'a10_1'")
    assert audit == [(2, 0, 0)]


def test_renamed_header_names_workbook_sheet_and_header(school, warehouse):
    from tests.ingest.ingest_testkit import state_sheets, write_workbook
    run(school, warehouse, "run-1", sources=["state"])
    sheets = state_sheets(2025)
    sheets["A6-1"][1] = tuple("工号" if h == "教工号" else h for h in sheets["A6-1"][1])
    sheets["A3"] = [row for row in sheets["A3"] if row[0] != "纸质图书总数（册）"]
    write_workbook(school.state / "2025.xlsx", sheets)

    results = run(school, warehouse, "run-2", sources=["state"])

    a6_1, a3 = results[("state", "a6_1")], results[("state", "a3")]
    assert a6_1.status == "failed"
    assert "2025.xlsx" in a6_1.error and "A6-1" in a6_1.error and "教工号" in a6_1.error
    assert a3.status == "failed" and "A3" in a3.error and "纸质图书总数（册）" in a3.error
    assert query(warehouse, "SELECT count(*), min(_load_id) FROM raw_state.a6_1") == [(2, "run-1")]
    assert results[("state", "a10_1")].status == "ok"


def test_unknown_source_and_missing_url_are_refused(school, warehouse):
    with pytest.raises(ValueError, match="nope"):
        ingest.run_ingest(warehouse, school.urls, school.state, run_id="r", sources=["nope"])
    with pytest.raises(ValueError, match="hr"):
        ingest.run_ingest(warehouse, {"jw": school.urls["jw"]}, school.state, run_id="r",
                          sources=["jw", "hr"])


def test_missing_source_database_fails_its_tables_without_creating_it(school, warehouse, tmp_path):
    urls = {**school.urls, "hr": f"sqlite:///{tmp_path / 'absent.sqlite'}"}
    results = ingest.run_ingest(warehouse, urls, school.state, run_id="r", sources=["hr"])
    assert {r.status for r in results} == {"failed"}
    assert "absent.sqlite" in results[0].error
    assert not (tmp_path / "absent.sqlite").exists()
