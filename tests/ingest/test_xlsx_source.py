"""The state workbook's quirks: merged title cells, extra lines above the header, extra
notes rows; and a renamed header, which must fail with the workbook, sheet and header named."""

from __future__ import annotations

import duckdb

import ingest
from tests.ingest.ingest_testkit import state_sheets, write_workbook


def load_state(school, warehouse, run_id):
    results = ingest.run_ingest(warehouse, school.urls, school.state, run_id=run_id,
                                sources=["state"])
    return {r.table_name: r for r in results}


def teachers(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("SELECT * EXCLUDE (_load_id, _loaded_at) FROM raw_state.a6_1 "
                           "ORDER BY ALL").fetchall()


def quirky_sheets():
    """Every sheet with a line between title and header and a 注： row before the notes."""
    sheets = state_sheets(2025)
    for name, rows in sheets.items():
        notes_at = next(i for i, row in enumerate(rows) if str(row[0]).startswith("填表说明"))
        sheets[name] = ([rows[0], ("填报单位：某职业技术学院（盖章）",), *rows[1:notes_at],
                         ("注：本表由人事处填报。",), *rows[notes_at:]])
    return sheets


def test_merged_titles_extra_lines_and_notes_load_as_the_plain_workbook(school, tmp_path):
    plain = tmp_path / "plain.duckdb"
    load_state(school, plain, "plain")
    write_workbook(school.state / "2025.xlsx", quirky_sheets(), merge_titles=True)

    quirky = tmp_path / "quirky.duckdb"
    results = load_state(school, quirky, "quirky")

    assert [(t, r.error) for t, r in results.items() if r.status != "ok"] == []
    assert teachers(quirky) == teachers(plain) and len(teachers(plain)) == 2
    # neither the extra line nor the 注： row was taken for data
    assert results["a6_1"].rows_read == 3 and results["a6_1"].rows_quarantined == 1
    with duckdb.connect(str(quirky), read_only=True) as con:
        assert con.execute("SELECT school_name FROM raw_state.a1").fetchall() == [
            ("某职业技术学院",)]


def test_a_renamed_header_fails_naming_workbook_sheet_and_header(school, warehouse):
    load_state(school, warehouse, "run-1")
    sheets = quirky_sheets()
    header_at = 2  # title, 填报单位 line, header
    sheets["A6-1"][header_at] = tuple("工号" if h == "教工号" else h
                                      for h in sheets["A6-1"][header_at])
    write_workbook(school.state / "2025.xlsx", sheets, merge_titles=True)

    results = load_state(school, warehouse, "run-2")

    error = results["a6_1"].error
    assert results["a6_1"].status == "failed"
    assert "2025.xlsx" in error and "sheet A6-1" in error and "'教工号'" in error
    assert "工号" in error  # what the sheet has instead
    assert teachers(warehouse) and all(r.status == "ok" for t, r in results.items() if t != "a6_1")
    with duckdb.connect(str(warehouse), read_only=True) as con:  # last year's rows kept
        assert con.execute("SELECT DISTINCT _load_id FROM raw_state.a6_1").fetchall() == [
            ("run-1",)]
