from __future__ import annotations

import csv
import email
import email.policy
import io
import re
import sqlite3
from datetime import datetime
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from openpyxl import load_workbook

from alerting.delivery import SmtpSettings, parse_smtp_url
from alerting.dispatch import dispatch_warnings
from alerting.ledger import load_warnings, update_ledger
from expectations.registry import load_departments_csv
from expectations.suites import validate_control_points

from tests.expectations.expectations_testkit import BASE_ROWS, DEPARTMENTS_CSV, DIM_STAFF_CSV, create_warehouse, free_port

RUN = datetime(2025, 9, 1, 2, 0)
DEPARTMENTS = {d.department_code: d for d in load_departments_csv(DEPARTMENTS_CSV)}
# Recipient key → address: departments, and counsellors as counsellor:<staff id>.
ADDRESSES = {code: d.email for code, d in DEPARTMENTS.items()} | {
    f"counsellor:{row['staff_id']}": row["email"] for row in csv.DictReader(DIM_STAFF_CSV.open(encoding="utf-8"))
}
# BASE_ROWS fail for: 学生 owner 202 ×3 (also to college 102 and counsellor T9001), GPA owner 201
# (also to 102 and counsellor T9002), training hours owner 203, building area owner 205 (school
# level, no unit copy).
EXPECTED_COUNTS = {"102": 5, "201": 1, "202": 3, "203": 1, "205": 1, "counsellor:T9001": 3, "counsellor:T9002": 1}
ID_NUMBER = re.compile(r"\d{17}[\dXx]")
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
SANCTIONED = ("STU_SANCTIONS", "110101200501011234", "陈某", "102", "2024-2025-1", 1.0, None)  # id card misused as id


class Collector:
    def __init__(self, refuse_first: int = 0):
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.refuse_first = refuse_first

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_first:
            self.refuse_first -= 1
            return "451 4.3.0 try again later"
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def smtp_server(port: int, collector: Collector) -> Controller:
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def prepared(tmp_path, rows=BASE_ROWS, departments_csv=DEPARTMENTS_CSV):
    warehouse = create_warehouse(tmp_path / "warehouse.duckdb", rows, departments_csv)
    ledger = tmp_path / "ledger.sqlite"
    update_ledger(ledger, validate_control_points(warehouse), RUN)
    return warehouse, ledger


def parse(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)


def xlsx_rows(message):
    attachments = list(message.iter_attachments())
    assert len(attachments) == 1 and attachments[0].get_filename().endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(attachments[0].get_content())).active
    return list(sheet.iter_rows(values_only=True))


def notification_count(ledger):
    with sqlite3.connect(ledger) as connection:
        return connection.execute("select count(*) from notifications").fetchone()[0]


def test_outbox_digests_parse_back_and_are_sent_once(tmp_path):
    warehouse, ledger = prepared(tmp_path)
    outbox = tmp_path / "outbox"
    report = dispatch_warnings(warehouse, ledger, outbox, None, RUN)

    assert report.warnings_per_department == EXPECTED_COUNTS
    assert sorted(p.name for p in outbox.iterdir()) == sorted(
        f"20250901T020000_{code.replace(':', '_')}.eml" for code in EXPECTED_COUNTS
    )
    student_office = DEPARTMENTS["202"]
    message = parse((outbox / "20250901T020000_202.eml").read_bytes())
    assert message["Subject"].startswith(f"【质量预警】{student_office.name_zh}：新增 3 条（")
    assert "旷课学时 1" in message["Subject"] and "夜不归宿次数 1" in message["Subject"]
    assert message["To"] == student_office.email
    assert message["From"] == next(d.email for d in DEPARTMENTS.values() if d.role == "data_center")
    text = message.get_body(("plain",)).get_content()
    assert "学号 2024010101" in text and "张三" in text and "当前值 12 学时（预警值 9）" in text
    assert message.get_body(("html",)) is not None
    rows = xlsx_rows(message)
    assert rows[0][:6] == ("变化", "预警编号", "质控点代码", "质控点", "周期", "编号") and len(rows) == 4
    assert {row[2] for row in rows[1:]} == {"STU_ABSENT_PERIODS", "STU_NIGHTS_OUT", "STU_ATTEND_RATE"}
    assert {e.path for e in report.emails} == {str(p) for p in outbox.glob("*.eml")}
    assert {w.state for w in load_warnings(ledger)} == {"已通知"}

    # Same data again: the ledger does not change and nothing is sent.
    update_ledger(ledger, validate_control_points(warehouse), datetime(2025, 9, 2, 2, 0))
    again = dispatch_warnings(warehouse, ledger, outbox, None, datetime(2025, 9, 2, 2, 0))
    assert again.emails == [] and len(list(outbox.iterdir())) == len(EXPECTED_COUNTS)


def test_recovery_and_worsening_are_told_once(tmp_path):
    warehouse, ledger = prepared(tmp_path)
    outbox = tmp_path / "outbox"
    dispatch_warnings(warehouse, ledger, outbox, None, RUN)
    rows = [
        (r[0], r[1], r[2], r[3], r[4], {"STU_ABSENT_PERIODS": 3.0, "STU_NIGHTS_OUT": 5.0}.get(r[0], r[5]) if r[1] == "2024010101" else r[5], r[6])
        for r in BASE_ROWS
    ]
    warehouse = create_warehouse(tmp_path / "warehouse.duckdb", rows)
    later = datetime(2025, 9, 4, 2, 0)  # within the reminder limit: only the two changes are news
    update_ledger(ledger, validate_control_points(warehouse), later)
    report = dispatch_warnings(warehouse, ledger, outbox, None, later)
    assert report.warnings_per_department == {"102": 2, "202": 2, "counsellor:T9001": 2}
    subject = parse((outbox / "20250904T020000_202.eml").read_bytes())["Subject"]
    assert "加重 1 条（夜不归宿次数 1）" in subject and "解除 1 条（旷课学时 1）" in subject
    assert dispatch_warnings(warehouse, ledger, outbox, None, datetime(2025, 9, 5)).emails == []


def test_department_without_address_falls_back_to_quality_office(tmp_path):
    text = DEPARTMENTS_CSV.read_text(encoding="utf-8").replace(DEPARTMENTS["203"].email, "")
    departments_csv = tmp_path / "departments.csv"
    departments_csv.write_text(text, encoding="utf-8")
    warehouse, ledger = prepared(tmp_path, departments_csv=departments_csv)
    report = dispatch_warnings(warehouse, ledger, tmp_path / "outbox", None, RUN)
    quality_office = next(d for d in DEPARTMENTS.values() if d.role == "quality_office")
    assert [(f.department_code, f.routed_to, f.count) for f in report.fallbacks] == [("203", quality_office.department_code, 1)]
    assert report.warnings_per_department[quality_office.department_code] == 1 and "203" not in report.warnings_per_department
    message = parse(next((tmp_path / "outbox").glob(f"*_{quality_office.department_code}.eml")).read_bytes())
    assert message["To"] == quality_office.email
    assert DEPARTMENTS["203"].name_zh in message.get_body(("plain",)).get_content()


def test_smtp_server_receives_one_digest_per_department(tmp_path):
    warehouse, ledger = prepared(tmp_path, rows=BASE_ROWS + [SANCTIONED])
    collector = Collector(refuse_first=1)  # a temporary 451 is retried
    port = free_port()
    controller = smtp_server(port, collector)
    try:
        report = dispatch_warnings(
            warehouse, ledger, tmp_path / "outbox", f"smtp://127.0.0.1:{port}", RUN, retries=2, backoff_seconds=0.01
        )
    finally:
        controller.stop()
    expected = {**EXPECTED_COUNTS, "102": 6, "202": 4, "counsellor:T9002": 2}
    assert report.failures == [] and report.warnings_per_department == expected
    assert sorted(rcpt for _, rcpts, _ in collector.messages for rcpt in rcpts) == sorted(ADDRESSES[c] for c in expected)
    assert not (tmp_path / "outbox").exists()
    for _, (recipient,), raw in collector.messages:
        code = next(c for c, address in ADDRESSES.items() if address == recipient)
        message = parse(raw)
        assert re.match(rf"【质量预警】[^：]+：新增 {expected[code]} 条（", message["Subject"])
        rows = xlsx_rows(message)
        assert len(rows) == expected[code] + 1
        content = message.get_body(("plain",)).get_content() + message.get_body(("html",)).get_content()
        content += "".join(str(cell) for row in rows for cell in row)
        assert not ID_NUMBER.search(content) and not PHONE.search(content)
        assert message["Message-ID"] == next(e.message_id for e in report.emails if e.recipient == recipient)


def test_smtp_down_leaves_everything_pending_then_delivers_once(tmp_path):
    warehouse, ledger = prepared(tmp_path)
    port = free_port()  # nothing listens here yet
    url = f"smtp://127.0.0.1:{port}"
    down = dispatch_warnings(warehouse, ledger, tmp_path / "outbox", url, RUN, retries=1, backoff_seconds=0.01)
    assert down.emails == [] and len(down.failures) == len(EXPECTED_COUNTS) and down.pending == 15
    assert notification_count(ledger) == 0 and {w.state for w in load_warnings(ledger)} == {"新预警"}

    collector = Collector()
    controller = smtp_server(port, collector)
    try:
        up = dispatch_warnings(warehouse, ledger, tmp_path / "outbox", url, datetime(2025, 9, 1, 3, 0), backoff_seconds=0.01)
        again = dispatch_warnings(warehouse, ledger, tmp_path / "outbox", url, datetime(2025, 9, 1, 4, 0), backoff_seconds=0.01)
    finally:
        controller.stop()
    assert up.failures == [] and up.warnings_per_department == EXPECTED_COUNTS
    assert again.emails == []
    recipients = [rcpt for _, rcpts, _ in collector.messages for rcpt in rcpts]
    assert sorted(recipients) == sorted(ADDRESSES[c] for c in EXPECTED_COUNTS)  # each exactly once
    assert {w.state for w in load_warnings(ledger)} == {"已通知"}


def test_smtp_url_forms():
    address = DEPARTMENTS["207"].email  # any address; the registry is where addresses live
    assert parse_smtp_url("smtp://mail.example:2525") == SmtpSettings("mail.example", 2525, "plain")
    starttls = parse_smtp_url(f"smtp+starttls://{quote(address, safe='')}:p%2Fw@mail.example?from={address}")
    assert starttls == SmtpSettings("mail.example", 587, "starttls", address, "p/w", address)
    ssl = parse_smtp_url(f"smtps://{address}:secret@mail.example:465")
    assert ssl == SmtpSettings("mail.example", 465, "ssl", address, "secret", address)  # sender from user name
    assert "secret" not in repr(ssl)


def test_unknown_smtp_scheme_is_refused():
    with pytest.raises(ValueError):
        parse_smtp_url("http://mail.example")
