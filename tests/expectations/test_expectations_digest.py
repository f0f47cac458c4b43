"""A digest a busy office can act on: what to do and by when, who the entity is, whom to ask,
how to confirm; a styled HTML part without control-point codes; a rounded, filterable attachment."""

from __future__ import annotations

import email
import email.policy
import io
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from alerting.dispatch import dispatch_warnings
from alerting.ledger import find_warnings, update_ledger
from expectations.registry import load_dispatch_policy_csv, load_registry_csv
from expectations.suites import validate_control_points

from tests.expectations.expectations_testkit import (
    BASE_ROWS, CONTROL_POINTS_CSV, DISPATCH_POLICY_CSV, create_warehouse,
)
from tests.expectations.smtp_testkit import DEPARTMENTS, QUALITY_OFFICE

RUN = datetime(2025, 9, 1, 2, 0)
POINTS = {point.code: point for point in load_registry_csv(CONTROL_POINTS_CSV)}
POLICY = load_dispatch_policy_csv(DISPATCH_POLICY_CSV)
PASS_RATE = ("CRS_PASS_RATE", "TC2024001", "高等数学(1)班", "102", "2024-2025-1", 500 / 7, 35.0)  # 71.428…%: 预警
CODE = re.compile(r"\b[A-Z]{3}_[A-Z_]+\b")
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def digests(tmp_path_factory) -> dict[str, email.message.EmailMessage]:
    folder = tmp_path_factory.mktemp("digest")
    warehouse = create_warehouse(folder / "warehouse.duckdb", BASE_ROWS + [PASS_RATE])
    ledger = folder / "ledger.sqlite"
    update_ledger(ledger, validate_control_points(warehouse), RUN)
    report = dispatch_warnings(warehouse, ledger, folder / "outbox", None, RUN, page_base_url="https://zg.example.edu.cn/")
    messages = {sent.department_code: email.message_from_bytes(Path(sent.path).read_bytes(), policy=email.policy.default)
                for sent in report.emails}
    messages["_ledger"] = ledger  # type: ignore[assignment]
    return messages


def day(moment: date) -> str:
    return f"{moment.month}月{moment.day}日"


def test_it_says_what_to_do_by_when_and_whom_to_ask(digests):
    college = digests["102"]
    text = college.get_body(("plain",)).get_content()
    for code in ("STU_ABSENT_PERIODS", "STU_ATTEND_RATE", "TCH_TRAINING_HOURS"):
        assert f"应对措施：{POINTS[code].action_zh}" in text
    respond_by = RUN.date() + timedelta(days=POLICY.remind_after_days)
    resolve_by = RUN.date() + timedelta(days=POLICY.escalate_after_days)
    assert f"请在 {day(respond_by)}前确认收到并落实措施，{day(resolve_by)}前整改到位" in text
    assert f"{POLICY.escalate_after_days} 天仍未解除的预警将报质量管理办公室督办" in text
    assert QUALITY_OFFICE.contact and f"{QUALITY_OFFICE.contact}（{QUALITY_OFFICE.email}）" in text
    assert college["Reply-To"] == QUALITY_OFFICE.email  # a reply confirms receipt to the quality office
    ids = sorted(w.id for w in find_warnings(digests["_ledger"]) if w.unit_id == "102")
    assert f"zhengai warnings ack {' '.join(map(str, ids))} --by 您的姓名" in text


def test_each_entity_comes_with_what_people_need_to_find_it(digests):
    college = digests["102"].get_body(("plain",)).get_content()
    absent = next(line for line in college.splitlines() if "学号 2024010101" in line and "12 学时" in line)
    assert "计应2401班 · 计算机应用技术 · 辅导员 王辅导" in absent  # class, major, counsellor
    academic_affairs = digests["201"].get_body(("plain",)).get_content()
    course = next(line for line in academic_affairs.splitlines() if "TC2024001" in line)
    assert "课程 高等数学 · 任课教师 吴老师" in course and "当前值 71.4%" in course  # decimals 1 for a pass rate


def test_the_html_part_is_styled_with_chinese_headings_and_no_empty_column(digests):
    page = digests["102"].get_body(("html",)).get_content()
    assert "<style" not in page and "style=" in page  # inline styles only: mail clients drop <style>
    assert not CODE.search(page), CODE.search(page)
    for code in ("STU_ABSENT_PERIODS", "STU_GPA", "TCH_TRAINING_HOURS"):
        assert f"】</span>{POINTS[code].name_zh}" in page
    assert ">说明</th>" not in page  # nothing to say for new warnings: no column of blanks
    assert ">相关信息</th>" in page and "计应2401班" in page
    # All new tonight: the deadlines are stated once above the tables instead of on every row.
    respond_by = RUN.date() + timedelta(days=POLICY.remind_after_days)
    assert f"请在 {day(respond_by)}前确认收到" in page and ">处理期限</th>" not in page


def test_the_attachment_is_rounded_dated_filterable_and_chinese(digests):
    attachment = next(digests["201"].iter_attachments())
    workbook = load_workbook(io.BytesIO(attachment.get_content()))
    for sheet in workbook.worksheets:
        header = [cell.value for cell in sheet[1]]
        assert all(CJK.search(title) for title in header), header
        assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(header)).column_letter}{sheet.max_row}"
    changes = workbook["本次变化"]
    header = [cell.value for cell in changes[1]]
    row = next(r for r in changes.iter_rows(min_row=2) if r[header.index("编号")].value == "TC2024001")
    value = row[header.index("当前值")]
    assert value.value == 71.4 and value.number_format == "0.0"
    first_seen = row[header.index("首次发现")]
    assert first_seen.value.date() == RUN.date() and first_seen.number_format == "yyyy-mm-dd"
    assert row[header.index("整改期限")].value.date() == RUN.date() + timedelta(days=POLICY.escalate_after_days)
    assert row[header.index("应对措施")].value == POINTS["CRS_PASS_RATE"].action_zh


def test_the_html_part_reads_well_in_a_browser(digests, tmp_path):
    from tests.serving.reports_testkit import CHROMIUM_ARGS, chromium_or_skip

    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / "digest.html"
    page_file.write_text(digests["102"].get_body(("html",)).get_content(), encoding="utf-8")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 820, "height": 900})  # a mail client's reading pane
            page.goto(page_file.as_uri())
            # No sideways scrolling, and every section heading shows a Chinese control-point name.
            assert page.evaluate("document.documentElement.scrollWidth") <= 820
            headings = page.locator("div", has_text="【新增】").all_inner_texts()
            assert any(POINTS["STU_ABSENT_PERIODS"].name_zh in heading for heading in headings)
            page.screenshot(path=str(tmp_path / "digest.png"), full_page=True)
        finally:
            browser.close()
    assert (tmp_path / "digest.png").stat().st_size > 20_000


def test_a_department_graded_not_met_is_named_in_its_own_digest(tmp_path):
    """目标达成度 below the registry's warning value is 不达标 (task_policy's grade bands equal the
    control point's standard and warning values): the department hears it, by name."""
    department = DEPARTMENTS["103"]
    achievement = ("DEP_TASK_ACHIEVEMENT", "103", department.name_zh, "103", "2025-12", 70.0, 5.0)
    warehouse = create_warehouse(tmp_path / "warehouse.duckdb", [achievement])
    ledger = tmp_path / "ledger.sqlite"
    update_ledger(ledger, validate_control_points(warehouse), RUN)
    report = dispatch_warnings(warehouse, ledger, tmp_path / "outbox", None, RUN)
    (sent,) = [e for e in report.emails if e.department_code == "103"]
    message = email.message_from_bytes(Path(sent.path).read_bytes(), policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()
    line = next(line for line in text.splitlines() if "周期 2025-12" in line)
    assert "部门代码 103" in line and department.name_zh in line and "当前值 70.0%" in line
    assert "目标达成度不达标" in text and POINTS["DEP_TASK_ACHIEVEMENT"].name_zh in message["Subject"]
    assert {e.department_code for e in report.emails} == {"103", QUALITY_OFFICE.department_code}
