"""A new installation on a school with history: findings of periods that ended before the
policy's notify_from are recorded as baseline, summarised once to the quality office and
mailed to nobody else."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from alerting.dispatch import dispatch_warnings
from alerting.ledger import LEDGER_VERSION, find_warnings, load_warnings, pending_summary, update_ledger
from expectations.registry import load_dispatch_policy_csv
from expectations.suites import validate_control_points
from zhengai.periods import history_rule

from tests.expectations.expectations_testkit import BASE_ROWS, DISPATCH_POLICY_CSV, create_warehouse
from tests.expectations.smtp_testkit import QUALITY_OFFICE, smtp_server

FIRST_NIGHT = datetime(2025, 9, 1, 2, 0)
POLICY = load_dispatch_policy_csv(DISPATCH_POLICY_CSV)
# Before the shipped notify_from (2024-2025, from 1 September 2024): a spring term, a month, a graduation year.
HISTORY = [
    ("STU_ABSENT_PERIODS", "2024010103", "王五", "101", "2023-2024-2", 15.0, None),
    ("STU_NIGHTS_OUT", "2024010104", "赵六", "101", "2024-06", 1.0, None),
    ("MAJ_EMPLOY_RATE", "510201", "计算机应用技术", "102", "2024", 70.0, 40.0),
]
CURRENT = [("MAJ_EMPLOY_RATE", "510201", "计算机应用技术", "102", "2025", 70.0, 40.0)]


def test_history_is_recorded_as_baseline_and_summarised_once_to_the_quality_office(tmp_path):
    assert POLICY.notify_from == "2024-2025"
    warehouse = create_warehouse(tmp_path / "warehouse.duckdb", BASE_ROWS + HISTORY + CURRENT)
    ledger = tmp_path / "ledger.sqlite"
    changes = update_ledger(ledger, validate_control_points(warehouse), FIRST_NIGHT, is_history=history_rule(POLICY.notify_from))
    assert sorted(changes.baseline) == sorted((code, entity, period) for code, entity, _, _, period, _, _ in HISTORY)
    assert ("MAJ_EMPLOY_RATE", "510201", "2025") in changes.new  # the current graduation year is news

    with smtp_server() as (url, collector):
        dispatch_warnings(warehouse, ledger, tmp_path / "outbox", url, FIRST_NIGHT)
        first = collector.take()
        later = datetime(2025, 9, 20, 2, 0)  # past the reminder days: still nothing about history
        dispatch_warnings(warehouse, ledger, tmp_path / "outbox", url, later)
        second = collector.take()

    office = [item for item in first if item.recipient_key == QUALITY_OFFICE.department_code]
    assert len(office) == 1
    summary = office[0].text
    assert "【历史基线】共 3 条" in summary and "旷课学时：1 条，周期 2023-2024-2" in summary
    assert "毕业去向落实率：1 条，周期 2024" in summary
    assert "历史基线" in office[0].subject
    baseline_rows = [row for row in office[0].sheets()["本次变化"][1:] if row[0] == "历史基线"]
    assert sorted(row[5] for row in baseline_rows) == ["2024010103", "2024010104", "510201"]
    for item in first + second:  # no other office, college or counsellor hears of history
        if item.recipient_key != QUALITY_OFFICE.department_code:
            everything = item.everything()
            assert "2023-2024-2" not in everything and "2024-06" not in everything, item.recipient_key
    assert all("历史基线" not in item.everything() for item in second)
    assert not [due for due in pending_summary(ledger, later, POLICY) if due[1] == "baseline"]
    history = [w for w in load_warnings(ledger) if w.baseline]
    assert len(history) == 3 and {w.state for w in history} == {"已通知"}


def test_without_a_start_period_every_finding_is_news(tmp_path):
    warehouse = create_warehouse(tmp_path / "warehouse.duckdb", BASE_ROWS + HISTORY)
    ledger = tmp_path / "ledger.sqlite"
    changes = update_ledger(ledger, validate_control_points(warehouse), FIRST_NIGHT, is_history=history_rule(""))
    assert changes.baseline == [] and len(changes.new) == len(find_warnings(ledger))


# The ledger as version 2 wrote it (no baseline, no acknowledged_by / resolved_by, no 'baseline' kind).
VERSION_2 = """
create table warnings (id integer primary key, indicator_code text not null, entity_id text not null,
    period text not null, entity_name text, unit_id text, unit_name text, owner_department_code text,
    direction text not null, first_seen text not null, opened_at text not null, last_seen text not null,
    first_value real, last_value real, worst_value real, warning_value real, state text not null,
    acknowledged_at text, resolved_at text, resolution text, resolution_kind text,
    revision integer not null default 1, opened_revision integer not null default 1,
    unique (indicator_code, entity_id, period));
create table evaluations (warning_id integer not null references warnings (id), evaluated_at text not null,
    value real, primary key (warning_id, evaluated_at));
create table notifications (id integer primary key, warning_id integer not null references warnings (id),
    recipient text not null, kind text not null check (kind in ('new', 'worse', 'resolved', 'reminder', 'escalation')),
    revision integer not null, round integer not null default 0, sent_at text not null, message_id text not null,
    unique (warning_id, recipient, kind, revision, round));
insert into warnings values (1, 'STU_ABSENT_PERIODS', '2024010101', '2024-2025-1', '张三', '102', '信息工程学院', '202',
    'lower', '2025-09-01T02:00:00', '2025-09-01T02:00:00', '2025-09-01T02:00:00', 12, 12, 12, 9, '已通知',
    null, null, null, null, 1, 1);
insert into notifications values (1, 1, 'xsc@zhengai-demo.edu.cn', 'new', 1, 0, '2025-09-01T02:00:00', '<m@x>');
pragma user_version = 2;
"""


def test_a_version_2_ledger_is_upgraded_in_place(tmp_path):
    ledger = tmp_path / "ledger.sqlite"
    with sqlite3.connect(ledger) as connection:
        connection.executescript(VERSION_2)
    (warning,) = load_warnings(ledger)
    assert (warning.entity_id, warning.baseline, warning.acknowledged_by) == ("2024010101", 0, None)
    with sqlite3.connect(ledger) as connection:
        assert connection.execute("pragma user_version").fetchone()[0] == LEDGER_VERSION
        assert connection.execute("select count(*) from notifications").fetchone()[0] == 1
        connection.execute("insert into notifications (warning_id, recipient, kind, revision, sent_at, message_id) "
                           "values (1, 'zlb@zhengai-demo.edu.cn', 'baseline', 1, '2025-09-02T02:00:00+08:00', '<b@x>')")
