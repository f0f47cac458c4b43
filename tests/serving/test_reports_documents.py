"""The .docx drafts and the 质量年报 .xlsx tables, opened as their readers open them, against the mart."""

from __future__ import annotations

import os
import shutil
import sqlite3
import zipfile
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from docx import Document
from openpyxl import load_workbook

from alerting.ledger import OPEN_STATES
from serving import charts
from serving.annual_tables import build_annual_tables
from serving.drafts.build import build_drafts, narrative
from serving.report_data import LAYER_ZH, STATUSES, school_year_of
from tests.serving.conftest import SyncedSchool


@pytest.fixture(scope="module")
def period(synced_school: SyncedSchool) -> str:
    with duckdb.connect(str(synced_school.settings.snapshot), read_only=True) as con:
        return con.execute("select max(school_year) from core.dim_school_year where has_teaching_data").fetchone()[0]


@pytest.fixture(scope="module")
def major_drafts(synced_school: SyncedSchool, period: str, tmp_path_factory):
    out = tmp_path_factory.mktemp("drafts")
    report = build_drafts(synced_school.settings.snapshot, synced_school.settings.ledger, out, "major", period,
                          site_base_url="https://zg.example.edu.cn/site/")
    return out, report


def table_text(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_a_major_s_draft_carries_the_mart_s_numbers_and_the_template_s_headings(synced_school, period, major_drafts):
    out, report = major_drafts
    with duckdb.connect(str(synced_school.settings.snapshot), read_only=True) as con:
        majors = [r[0] for r in con.execute(
            "select distinct entity_id from marts.mart_quality__status where entity_type = 'major' and entity_id <> 'ALL' order by 1").fetchall()]
        rows = con.execute(
            "select entity_id, indicator_code, indicator_name_zh, period, value, target_value, standard_value, warning_value, status "
            "from marts.mart_quality__status where entity_type = 'major' order by entity_id, indicator_code, period").fetchall()
    drafts = sorted((out / period / "major" / "major").glob("*.docx"))
    assert report.drafts == len(drafts) + 1 and len(drafts) == len(majors)  # one per major, plus the layer's
    major = majors[0]
    document = Document(next(d for d in drafts if d.name.startswith(major + "_")))
    text = [p.text for p in document.paragraphs]
    assert text[0].endswith("（草稿）") and text[1].startswith("草稿：") and "不是诊断结论" in text[1]
    for heading in ["一、质控点数据", "二、趋势图", "三、预警及处理情况", "四、自我诊断与改进（由撰写人填写）",
                    *[f"{i}. {item}" for i, item in enumerate(narrative()["layers"]["major"]["contents"], 1)]]:
        assert heading in text, heading
    for column in narrative()["columns"]:  # 现有基础 / 年度目标 / 主要举措 / 建设成效 / 存在问题 / 改进措施
        assert text.count(column) == len(narrative()["layers"]["major"]["contents"])
    meta = dict((row[0], row[1]) for row in table_text(document.tables[0]))
    assert meta["画像页"] == f"https://zg.example.edu.cn/site/major/{major}.html" and meta["学年"] == period
    data = table_text(document.tables[1])[1:]
    expected = [r for r in rows if r[0] == major and school_year_of(r[3]) == period]
    assert len(data) == len(expected)
    for shown, (_, code, name, row_period, value, target, standard, warning, status) in zip(data, expected):
        assert shown[0].startswith(name) and shown[1] == row_period
        assert shown[2:7] == [charts.number(value), charts.number(target), charts.number(standard),
                              charts.number(warning), status]
    charted = {r[1] for r in expected}
    assert len(document.inline_shapes) == len(charted)  # a chart per control point of the year


def test_the_layer_draft_counts_each_status_as_the_mart_does(synced_school, period, major_drafts):
    out, _ = major_drafts
    document = Document(next((out / period / "major").glob("00_*.docx")))
    with duckdb.connect(str(synced_school.settings.snapshot), read_only=True) as con:
        counts = {(code, p): (entities, dict(zip(STATUSES, by_status))) for code, p, entities, *by_status in con.execute(
            "select indicator_name_zh, period, count(*), " + ", ".join(f"count(*) filter (where status = '{s}')" for s in STATUSES)
            + " from marts.mart_quality__status where layer = 'major' and entity_id <> 'ALL' group by 1, 2").fetchall()}
    table = table_text(document.tables[1])
    assert table[0] == ["质控点", "周期", "实体数", *STATUSES]
    assert len(table) > 1
    for name, row_period, entities, *by_status in table[1:]:
        assert school_year_of(row_period) == period
        assert (int(entities), dict(zip(STATUSES, map(int, by_status)))) == counts[(name, row_period)]


def test_a_rebuild_writes_only_changed_drafts(synced_school, period, major_drafts):
    out, first = major_drafts
    again = build_drafts(synced_school.settings.snapshot, synced_school.settings.ledger, out, "major", period,
                         site_base_url="https://zg.example.edu.cn/site/")
    assert again.written == 0 and again.drafts == first.drafts
    moved = build_drafts(synced_school.settings.snapshot, synced_school.settings.ledger, out, "major", period,
                         site_base_url="https://intranet.example.edu.cn/zg/")  # the link in every entity draft changes
    assert moved.written == first.drafts - 1


def test_a_closed_year_s_drafts_stay_as_they_are_when_only_a_later_year_changes(synced_school, period, tmp_path):
    """The nights of a new school year leave the drafts of the year that closed in the summer as they
    are (December's drafts); a late correction to that year rewrites them."""
    snapshot = tmp_path / "snapshot.duckdb"
    shutil.copy(synced_school.settings.snapshot, snapshot)
    with duckdb.connect(str(snapshot), read_only=True) as con:
        closed = con.execute("select max(school_year) from core.dim_school_year where has_teaching_data "
                             "and school_year < ?", [period]).fetchone()[0]
        judged = con.execute("select indicator_code, entity_id, period, value, indicator_name_zh from marts.mart_quality__status "
                             "where entity_type = 'major' and entity_id <> 'ALL' and value is not null").fetchall()
    assert closed, "the test school has a closed school year before the running one"
    later = [r[:3] for r in judged if school_year_of(r[2]) and school_year_of(r[2]) > closed]
    in_closed = [r for r in judged if school_year_of(r[2]) == closed]
    assert later and in_closed

    def add_one(rows) -> None:
        with duckdb.connect(str(snapshot)) as con:
            con.executemany("update marts.mart_quality__status set value = value + 1 "
                            "where indicator_code = ? and entity_id = ? and period = ?", [list(r[:3]) for r in rows])

    ledger = tmp_path / "ledger.sqlite"
    shutil.copy(synced_school.settings.ledger, ledger)
    code, major, corrected, value, name = in_closed[0]
    with sqlite3.connect(ledger) as con:  # a warning of the closed year still open (its own row, so this test sees one)
        con.execute("insert into warnings (indicator_code, entity_id, period, direction, first_seen, opened_at, last_seen, "
                    "last_value, worst_value, warning_value, state) values (?, ?, ?, 'higher', ?, ?, ?, ?, ?, ?, ?)",
                    [code, major, corrected, *["2024-06-01T02:00:00+08:00"] * 3, value, value, value + 5, OPEN_STATES[1]])

    out = tmp_path / "drafts"
    first = build_drafts(snapshot, ledger, out, "major", closed)
    assert first.written == first.drafts > 1
    add_one(later)  # a night of the running year: new values, and every open warning seen again
    with sqlite3.connect(ledger) as con:
        assert con.execute("update warnings set last_seen = '2099-01-01T02:00:00+08:00', revision = revision + 1").rowcount
    after_a_night = build_drafts(snapshot, ledger, out, "major", closed)
    assert (after_a_night.written, after_a_night.drafts) == (0, first.drafts)
    add_one([in_closed[0]])  # a late correction in the closed year
    corrected_night = build_drafts(snapshot, ledger, out, "major", closed)
    assert corrected_night.written >= 1
    draft = next((out / closed / "major" / "major").glob(f"{major}_*.docx"))
    [shown] = [row[2] for row in table_text(Document(draft).tables[1])[1:] if row[0].startswith(name) and row[1] == corrected]
    assert shown == charts.number(value + 1)


def test_a_nightly_limit_spreads_the_first_build_over_nights_and_refreshes_the_oldest_first(
        synced_school, period, major_drafts, tmp_path):
    """report_calendar.entity_drafts_per_night: the first nights of a window make the missing drafts a
    share at a time, ending with what one build makes; later nights refresh the longest out of date."""
    limit, entities = 2, major_drafts[1].drafts - 1
    assert entities > 2 * limit
    snapshot, ledger, out = tmp_path / "snapshot.duckdb", tmp_path / "ledger.sqlite", tmp_path / "drafts"
    shutil.copy(synced_school.settings.snapshot, snapshot)
    shutil.copy(synced_school.settings.ledger, ledger)
    nights = [build_drafts(snapshot, ledger, out, "major", period, at_most=limit)]
    while nights[-1].pending:
        nights.append(build_drafts(snapshot, ledger, out, "major", period, at_most=limit))
    assert [n.pending for n in nights] == [max(entities - limit * k, 0) for k in range(1, len(nights) + 1)]
    assert [n.written for n in nights] == [1 + limit, *(min(limit, entities - limit * k) for k in range(1, len(nights)))]
    assert nights[-1].drafts == major_drafts[1].drafts
    assert build_drafts(snapshot, ledger, out, "major", period).written == 0  # what one build would have made

    folder = out / period / "major" / "major"
    for age, draft in enumerate(sorted(folder.glob("*.docx"))):  # the last majors' drafts the oldest
        os.utime(draft, ns=(10**18 - age * 10**9,) * 2)
    written_at = {f.name: f.stat().st_mtime_ns for f in folder.glob("*.docx")}
    with duckdb.connect(str(snapshot)) as con:  # a night of the running year: every major's draft out of date
        con.execute("update marts.mart_quality__status set value = value + 1 where entity_type = 'major' "
                    "and entity_id <> 'ALL' and value is not null and period like ?", [period[:4] + "%"])
    stale = build_drafts(snapshot, ledger, out, "major", period, at_most=limit)
    assert (stale.pending, stale.drafts) == (entities - limit, major_drafts[1].drafts)  # the others kept, still out of date
    rewritten = {f.name for f in folder.glob("*.docx") if f.stat().st_mtime_ns != written_at[f.name]}
    assert rewritten == set(sorted(written_at, key=written_at.get)[:limit])  # the oldest first
    assert build_drafts(snapshot, ledger, out, "major", period, at_most=limit).pending == entities - 2 * limit


def test_drafts_rendered_in_worker_processes_are_those_rendered_in_one(synced_school, period, tmp_path, monkeypatch):
    import serving.drafts.build as drafts
    from serving.report_data import ReportData

    with duckdb.connect(str(synced_school.settings.snapshot), read_only=True) as con:
        teachers = [r[0] for r in con.execute("select distinct entity_id from marts.mart_quality__status where "
                                              "entity_type = 'staff' and entity_id <> 'ALL' order by 1 limit 6").fetchall()]
    monkeypatch.setattr(drafts, "WORKERS_FROM", 2)
    monkeypatch.setattr(ReportData, "built_at", lambda self: "2025-12-01 02:30")  # workers are handed the parent's
    made = {workers: build_drafts(synced_school.settings.snapshot, synced_school.settings.ledger, tmp_path / str(workers),
                                  "teacher", period, entity_ids=teachers, workers=workers) for workers in (1, 2)}
    assert made[1].written == made[2].written == len(teachers)
    assert made[1].charts == made[2].charts > 0
    for one, two in zip(made[1].files, made[2].files, strict=True):
        with zipfile.ZipFile(one) as a, zipfile.ZipFile(two) as b:
            assert a.namelist() == b.namelist()
            assert all(a.read(name) == b.read(name) for name in a.namelist()), one.name


def test_the_annual_tables_equal_the_mart_cell_by_cell(synced_school, period, tmp_path):
    [made] = build_annual_tables(synced_school.settings.snapshot, tmp_path, [period])
    workbook = load_workbook(made.path)
    assert workbook.sheetnames[:3] == ["学校办学条件", "各学院师资", "各专业毕业生与招生"]
    trace = list(workbook["溯源"].iter_rows(min_row=2, values_only=True))
    assert len(trace) == made.values + made.missing > 20
    with duckdb.connect(str(synced_school.settings.snapshot), read_only=True) as con:
        for sheet, cell, code, entity_id, row_period, source, status in trace:
            value = workbook[sheet][cell].value
            if not row_period:
                assert value is None and status == "无此行"
                continue
            assert source == "marts.mart_quality__status"
            mart = con.execute("select value, status from marts.mart_quality__status where indicator_code = ? "
                               "and entity_id = ? and period = ?", [code, entity_id, row_period]).fetchone()
            assert mart is not None and school_year_of(row_period) == period
            assert (value, status) == (pytest.approx(mart[0]) if mart[0] is not None else None, mart[1]), (sheet, cell, code)
    employment = [row for row in trace if row[2] == "MAJ_EMPLOY_RATE"]
    assert employment, "毕业去向落实率 by major"


def test_zhengai_report_makes_drafts_for_one_entity_and_refuses_an_unknown_year(synced_school, period, tmp_path, monkeypatch):
    from zhengai.cli import main

    monkeypatch.setenv("ZHENGAI_DATA_DIR", str(synced_school.settings.warehouse.parent))
    monkeypatch.setenv("ZHENGAI_REPORTS", str(tmp_path))
    with duckdb.connect(str(synced_school.settings.snapshot), read_only=True) as con:
        teacher = con.execute("select entity_id from marts.mart_quality__status where entity_type = 'staff' "
                              "and entity_id <> 'ALL' order by entity_id limit 1").fetchone()[0]
    result = CliRunner().invoke(main, ["report", "--layer", "teacher", "--period", period, "--entity", teacher, "--annual"])
    assert result.exit_code == 0, result.output
    assert [p.name.split("_")[0] for p in (tmp_path / "drafts" / period / "teacher" / "staff").glob("*.docx")] == [teacher]
    assert (tmp_path / "annual" / f"质量年报数据表_{period}.xlsx").exists()
    refused = CliRunner().invoke(main, ["report", "--layer", "major", "--period", "1999-2000"])
    assert refused.exit_code != 0 and "没有学年 1999-2000" in refused.output


def test_the_nightly_build_made_the_drafts_the_calendar_asks_for_this_month(synced_school, period):
    from serving.report_data import ReportData
    from serving.reports import due_reports
    from zhengai.clock import school_now

    with ReportData(synced_school.settings.snapshot) as data:
        due = due_reports(data.calendar, school_now().date())
    folder = synced_school.settings.reports / "drafts" / period
    made = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
    assert made == sorted(entry.layer for entry in due)
    for entry in due:
        assert list((folder / entry.layer).glob("00_*.docx")), entry.layer
        assert bool(list((folder / entry.layer).glob("*/*.docx"))) == entry.entity_drafts
    # the sync's summary counts them (the test school has fewer entities than a night's limit)
    counted = "、".join(f"{LAYER_ZH[e.layer]}层面 {len(list((folder / e.layer).rglob('*.docx'))):,} 份" for e in due)
    assert synced_school.summary.report_drafts == (f"  诊改报告草稿（{period} 学年）：{counted}" if due else None)
