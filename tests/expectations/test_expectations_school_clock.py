"""On a host whose clock is UTC, digests, alerts and the ledger still tell school-local time
(Asia/Shanghai, +08:00) and an e-mail's Date header is the real instant."""

from __future__ import annotations

import email
import email.policy
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

from alerting.dispatch import dispatch_warnings
from alerting.engineer_alerts import send_alert
from alerting.ledger import update_ledger
from expectations.registry import load_departments_csv
from expectations.suites import validate_control_points
from zhengai.clock import school_now

from tests.expectations.expectations_testkit import BASE_ROWS, DEPARTMENTS_CSV, create_warehouse, host_clock_in_utc
from tests.expectations.smtp_testkit import smtp_server

BEIJING = timezone(timedelta(hours=8))


def test_digest_date_is_the_real_instant_on_a_utc_host(tmp_path):
    warehouse = create_warehouse(tmp_path / "warehouse.duckdb", BASE_ROWS)
    ledger = tmp_path / "ledger.sqlite"
    with host_clock_in_utc(), smtp_server() as (url, collector):
        assert time.localtime().tm_gmtoff == 0  # the host really is on UTC now
        before = time.time()
        update_ledger(ledger, validate_control_points(warehouse), school_now())
        dispatch_warnings(warehouse, ledger, tmp_path / "outbox", url, school_now())
        after = time.time()
        received = collector.take()
    assert received
    for item in received:
        sent = parsedate_to_datetime(item.message["Date"])
        assert sent.utcoffset() == timedelta(hours=8), item.message["Date"]
        assert before - 1 <= sent.timestamp() <= after + 1  # the instant, not 8 hours off
    with sqlite3.connect(ledger) as connection:
        first_seen, = connection.execute("select min(first_seen) from warnings").fetchone()
        sent_at, = connection.execute("select min(sent_at) from notifications").fetchone()
    for stamp in (first_seen, sent_at):
        recorded = datetime.fromisoformat(stamp)
        assert recorded.utcoffset() == timedelta(hours=8) and before - 1 <= recorded.timestamp() <= after + 1


def test_a_naive_time_is_school_wall_clock_time_not_the_hosts(tmp_path):
    warehouse = create_warehouse(tmp_path / "warehouse.duckdb", BASE_ROWS)
    ledger = tmp_path / "ledger.sqlite"
    night = datetime(2025, 9, 1, 2, 0)  # 02:00 in Beijing is 18:00 UTC the day before
    with host_clock_in_utc():
        update_ledger(ledger, validate_control_points(warehouse), night)
        report = dispatch_warnings(warehouse, ledger, tmp_path / "outbox", None, night)
        alert = send_alert(load_departments_csv(DEPARTMENTS_CSV), "【数据中心告警】测试", "正文", "run-1", None,
                           tmp_path / "alerts", night)
    paths = [sent.path for sent in report.emails] + [str(alert.path)]
    for path in paths:
        message = email.message_from_bytes(Path(path).read_bytes(), policy=email.policy.default)
        assert message["Date"] == "Mon, 01 Sep 2025 02:00:00 +0800"
        assert parsedate_to_datetime(message["Date"]) == datetime(2025, 8, 31, 18, 0, tzinfo=timezone.utc)
