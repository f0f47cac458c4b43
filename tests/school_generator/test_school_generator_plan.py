"""The plan workbooks the generator writes, and the blank templates in docs/templates: the
layout of the contract (ingest/sources.yml), the same bytes for the same seed, one workbook
per year generated."""

from __future__ import annotations

from pathlib import Path

import openpyxl

import ingest
from school_generator import generate
from school_generator.plan_workbooks import write_templates
from tests.school_generator.school_generator_testkit import SMALL

REPO = Path(__file__).resolve().parents[2]
PLAN = ingest.load_config().sources["plan"]
# sheet → the Chinese headers of the contract, in order
HEADERS = {table.sheet: [c.header for c in table.columns[1:]] for table in PLAN.tables}


def sheets(path: Path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path, read_only=True)
    return {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}


def test_plan_workbooks_follow_the_contract(school_dir: Path, manifest: dict):
    # the default two school years: a targets workbook per school year, a tasks workbook per calendar year they end in
    assert sorted(p.name for p in (school_dir / "plan").iterdir()) == [
        "targets-2023-2024.xlsx", "targets-2024-2025.xlsx", "tasks-2024.xlsx", "tasks-2025.xlsx"]
    for name, expected in (("tasks-2024.xlsx", ["任务清单", "月度进展"]), ("tasks-2025.xlsx", ["任务清单", "月度进展"]),
                           ("targets-2023-2024.xlsx", ["个体目标"]), ("targets-2024-2025.xlsx", ["个体目标"])):
        found = sheets(school_dir / "plan" / name)
        assert list(found) == expected
        for sheet, rows in found.items():
            assert "年" in rows[0][0] and list(rows[1]) == HEADERS[sheet]
            assert str(rows[-1][0]).startswith("填表说明：")
    graded = manifest["plan"]["task_years"]["2025"]
    december = graded["december"]
    assert (december[graded["basic"]]["grade"], december[graded["failing"]]["grade"]) == ("基本达标", "不达标")
    assert sum(d["grade"] == "达标" for code, d in december.items() if code != "school") >= 10
    assert {r["rule"] for r in manifest["plan"]["refused"]} == {
        "unknown_department", "unknown_task", "looser_than_school", "out_of_order", "unknown_code",
        "unknown_entity", "unknown_period"}


def test_every_quirk_of_the_contract_is_written(school_dir: Path):
    found = sheets(school_dir / "plan" / "tasks-2025.xlsx")
    progress = found["月度进展"][2:-1]
    months = {type(r[1]).__name__ + ("年" if "年" in str(r[1]) else "月" if str(r[1]).endswith("月") else "")
              for r in progress}
    assert months == {"str", "float", "str年", "str月"}  # 2025-03, 2025.03, 2025年3月, 3月
    shares = [r[2] for r in progress]
    assert any(isinstance(s, str) and s.endswith("%") for s in shares)
    assert any(isinstance(s, float) and s <= 1 for s in shares) and any(isinstance(s, (int, float)) and s > 1
                                                                        for s in shares)
    assert "2025-08" not in {r[1] for r in progress if isinstance(r[1], str)}  # nobody reports in August
    twice = [(r[0], r[1]) for r in progress]
    assert len(twice) > len(set(twice))  # a month reported twice
    leads = [r[5] for r in found["任务清单"][2:-1]]
    assert any(lead.endswith(" ") for lead in leads) and any("（" in lead for lead in leads)


def test_same_seed_same_workbooks_and_a_workbook_per_year(school_dir: Path, tmp_path: Path):
    generate(tmp_path / "again", students=SMALL, seed=11)
    for path in (school_dir / "plan").iterdir():
        assert (tmp_path / "again" / "plan" / path.name).read_bytes() == path.read_bytes(), path.name
    two_years = generate(tmp_path / "two", students=SMALL, seed=12, years=2)
    assert sorted(p.name for p in (tmp_path / "two" / "plan").iterdir()) == [
        "targets-2023-2024.xlsx", "targets-2024-2025.xlsx", "tasks-2024.xlsx", "tasks-2025.xlsx"]
    assert sorted(two_years["plan"]["task_years"]) == ["2024", "2025"]


def test_the_templates_in_the_repository_are_blank_workbooks_of_the_contract(tmp_path: Path):
    shipped = {p.name: sheets(p) for p in (REPO / "docs" / "templates").glob("*.xlsx")}
    written = {p.name: sheets(p) for p in write_templates(tmp_path / "templates")}
    assert shipped == written and set(shipped) == {"tasks-YYYY.xlsx", "targets-YYYY-YYYY.xlsx"}
    for name, found in shipped.items():
        for sheet, rows in found.items():
            if sheet != "填表说明":
                assert list(rows[1]) == HEADERS[sheet] and all(not any(r) for r in rows[2:])


def test_a_template_saved_under_a_year_loads_with_no_rows(tmp_path: Path):
    folder = tmp_path / "plan"
    folder.mkdir()
    for name, year in (("tasks-YYYY.xlsx", "tasks-2026.xlsx"), ("targets-YYYY-YYYY.xlsx", "targets-2025-2026.xlsx")):
        (folder / year).write_bytes((REPO / "docs" / "templates" / name).read_bytes())
    results = ingest.run_ingest(tmp_path / "w.duckdb", {}, None, run_id="r", sources=["plan"], plan_path=folder)
    assert [(r.table_name, r.status, r.rows_read) for r in results] == [
        ("tasks", "ok", 0), ("task_progress", "ok", 0), ("own_targets", "ok", 0)]


def test_three_school_years(tmp_path: Path):
    found = generate(tmp_path, students=SMALL, seed=5, years=3)
    assert sorted(found["plan"]["task_years"]) == ["2023", "2024", "2025"]
    assert len(list((tmp_path / "plan").glob("targets-*.xlsx"))) == 3
