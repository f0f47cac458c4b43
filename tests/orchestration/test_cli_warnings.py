"""`zhengai warnings list | ack | resolve | report` against a ledger in a temporary data folder."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from alerting.ledger import find_warnings, update_ledger
from expectations.suites import validate_control_points
from zhengai.cli_warnings import warnings

from tests.expectations.expectations_testkit import BASE_ROWS, create_warehouse

RUN = datetime(2025, 9, 1, 2, 0)


@pytest.fixture
def ledger(tmp_path, monkeypatch):
    warehouse = create_warehouse(tmp_path / "warehouse.duckdb", BASE_ROWS)
    monkeypatch.setenv("ZHENGAI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ZHENGAI_WAREHOUSE", str(warehouse))
    path = tmp_path / "ledger.sqlite"
    update_ledger(path, validate_control_points(warehouse), RUN)
    return path


def invoke(*arguments):
    return CliRunner().invoke(warnings, list(arguments), catch_exceptions=False)


def test_list_filters_and_shows_chinese_columns(ledger):
    everything = invoke("list")
    assert everything.exit_code == 0 and everything.output.strip().endswith("共 6 条。")
    assert "旷课学时（STU_ABSENT_PERIODS） | 2024-2025-1 | 2024010101 张三 | 12 | 9 | 新预警" in everything.output
    teachers = invoke("list", "--indicator", "TCH_TRAINING_HOURS")
    assert "T0001 吴老师" in teachers.output and "共 1 条。" in teachers.output
    assert "共 5 条。" in invoke("list", "--department", "102").output  # unit 102: 张三 ×3, 李四, 吴老师
    assert invoke("list", "--state", "已解除").output.strip() == "没有符合条件的预警。"


def test_ack_resolve_and_report(ledger, tmp_path):
    absent = next(w for w in find_warnings(ledger) if w.indicator_code == "STU_ABSENT_PERIODS")
    gpa = next(w for w in find_warnings(ledger) if w.indicator_code == "STU_GPA")
    assert invoke("ack", str(absent.id), str(gpa.id)).output.count("已确认") == 2
    again = CliRunner().invoke(warnings, ["ack", str(absent.id)])
    assert again.exit_code == 1 and "不处于待确认状态" in again.output
    missing_note = CliRunner().invoke(warnings, ["resolve", str(absent.id)])
    assert missing_note.exit_code == 2  # --note is required
    resolved = invoke("resolve", str(absent.id), "--note", "已约谈学生")
    assert resolved.exit_code == 0 and "已解除（已约谈学生）" in resolved.output
    assert invoke("list", "--state", "已解除").output.count("已约谈学生") == 1

    out = tmp_path / "reports" / "loop.xlsx"
    report = invoke("report", "--period", "2024-2025-1", "--out", str(out))
    assert report.exit_code == 0
    rows = {line.split(" | ")[0]: line.split(" | ")[2:] for line in report.output.splitlines() if " | " in line}
    # Term 2024-2025-1: department 202 owns 张三's absence and attendance (his October night out has no term
    # calendar in this warehouse), 201 李四's GPA. Raised, acknowledged, recovered, noted, open, median days.
    assert rows["201"] == ["1", "1", "0", "0", "1", "—"]
    assert rows["202"][:5] == ["2", "1", "0", "1", "1"] and float(rows["202"][5]) >= 0
    assert "月度预警未按学期归入本报告" in report.output
    sheets = load_workbook(io.BytesIO(out.read_bytes()))
    assert sheets.sheetnames == ["按部门", "按质控点"]
    rows = list(sheets["按质控点"].iter_rows(values_only=True))
    assert rows[1][2:5] == ("质控点代码", "质控点", "发出预警") and len(rows) == 2 + 3
