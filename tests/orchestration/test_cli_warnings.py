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


def test_list_takes_a_department_name_and_hints_at_near_names(ledger):
    by_code, by_name = invoke("list", "--department", "102"), invoke("list", "--department", "信息工程学院")
    assert by_name.exit_code == 0 and by_name.output == by_code.output
    assert "共 3 条。" in invoke("list", "--department", "学生处").output  # owner 202: 张三's three student warnings
    typo = CliRunner().invoke(warnings, ["list", "--department", "信息学院"])
    assert typo.exit_code == 1
    assert "没有代码或名称为“信息学院”的部门" in typo.output and "102 信息工程学院" in typo.output


def test_ack_resolve_and_report(ledger, tmp_path):
    absent = next(w for w in find_warnings(ledger) if w.indicator_code == "STU_ABSENT_PERIODS")
    gpa = next(w for w in find_warnings(ledger) if w.indicator_code == "STU_GPA")
    acked = invoke("ack", str(absent.id), str(gpa.id), "--by", "张老师")
    assert acked.output.count("已确认（确认人 张老师）") == 2
    again = CliRunner().invoke(warnings, ["ack", str(absent.id)])
    assert again.exit_code == 1 and "不处于待确认状态" in again.output
    missing_note = CliRunner().invoke(warnings, ["resolve", str(absent.id)])
    assert missing_note.exit_code == 2  # --note is required
    resolved = invoke("resolve", str(absent.id), "--note", "已约谈学生", "--by", "李主任")
    assert resolved.exit_code == 0 and "已解除（已约谈学生，解除人 李主任）" in resolved.output
    closed = invoke("list", "--state", "已解除").output
    assert closed.count("已约谈学生") == 1 and "确认 张老师；解除 李主任" in closed
    (stored,) = [w for w in find_warnings(ledger) if w.id == absent.id]
    assert (stored.acknowledged_by, stored.resolved_by) == ("张老师", "李主任")

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
    assert sheets.sheetnames == ["按部门", "按二级学院", "按质控点"]
    rows = list(sheets["按质控点"].iter_rows(values_only=True))
    assert rows[1][2:5] == ("质控点代码", "质控点", "发出预警") and len(rows) == 2 + 3


def test_ack_without_by_records_the_operating_system_user(ledger, monkeypatch):
    monkeypatch.setenv("LOGNAME", "wangfang")  # what getpass.getuser() reads first
    warning = find_warnings(ledger)[0]
    assert "确认人 wangfang" in invoke("ack", str(warning.id)).output
    assert [w.acknowledged_by for w in find_warnings(ledger) if w.id == warning.id] == ["wangfang"]


def test_report_defaults_to_the_latest_school_year_and_covers_colleges_and_graduation_years(tmp_path, monkeypatch):
    graduates = [("MAJ_EMPLOY_RATE", "510201", "计算机应用技术", "102", "2025", 70.0, 40.0),  # 2024-2025's graduates
                 ("MAJ_EMPLOY_RATE", "510201", "计算机应用技术", "102", "2024", 70.0, 40.0)]  # the year before
    warehouse = create_warehouse(tmp_path / "warehouse.duckdb", BASE_ROWS + graduates)
    monkeypatch.setenv("ZHENGAI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ZHENGAI_WAREHOUSE", str(warehouse))
    update_ledger(tmp_path / "ledger.sqlite", validate_control_points(warehouse), RUN)
    report = invoke("report")
    assert report.exit_code == 0 and "未指定 --period，按台账中最近的学年 2024-2025 统计。" in report.output
    offices, colleges = report.output.split("按二级学院（预警对象所属学院）：")
    rows = {line.split(" | ")[0]: line.split(" | ")[2] for line in offices.splitlines() if " | " in line}
    # 2024-2025: 202 ×3 (张三), 201 GPA, 203 training, 205 building area, 204 the graduation year 2025 (not 2024).
    assert rows == {"部门代码": "发出预警", "201": "1", "202": "3", "203": "1", "204": "1", "205": "1", "": "7"}
    college_rows = {line.split(" | ")[0]: line.split(" | ")[2] for line in colleges.splitlines() if " | " in line}
    assert college_rows == {"部门代码": "发出预警", "102": "6"}  # 张三 ×3, 李四, 吴老师, the major
