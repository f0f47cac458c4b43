"""A warning's life over a real SMTP server, with the clock injected (never slept):
told once, worse told once, recovery told once, SMTP going down mid-dispatch, reminders and
the escalation to the quality office after the limits of the dispatch_policy seed."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

import pytest

from alerting.dispatch import dispatch_warnings
from alerting.ledger import acknowledge_warning, find_warnings, load_warnings, update_ledger
from expectations.registry import RegistryError, load_dispatch_policy_csv
from expectations.suites import validate_control_points

from tests.expectations.expectations_testkit import DISPATCH_POLICY_CSV, create_warehouse
from tests.expectations.smtp_testkit import DEPARTMENTS, QUALITY_OFFICE, smtp_server

DAY0 = datetime(2025, 9, 1, 2, 0)
T1 = "2024-2025-1"
ABSENT = ("STU_ABSENT_PERIODS", "2024010101", "张三", "102", T1, 12.0, None)  # → 202, 102, counsellor T9001
TRAINING = ("TCH_TRAINING_HOURS", "T0001", "吴老师", "102", "2024-2025", 20.0, None)  # → 203, 102
STUDENT_OFFICE, HR_OFFICE = DEPARTMENTS["202"].name_zh, DEPARTMENTS["203"].name_zh


def day(n: int) -> datetime:
    return DAY0 + timedelta(days=n)


def with_value(row, value):
    return (*row[:5], value, row[6])


class School:
    """A warehouse that changes from night to night, the ledger, and one dispatch per night."""

    def __init__(self, tmp_path, url, policy_csv=None):
        self.tmp_path, self.url, self.policy_csv = tmp_path, url, policy_csv
        self.ledger = tmp_path / "ledger.sqlite"
        self.warehouse = tmp_path / "warehouse.duckdb"

    def night(self, when: datetime, rows):
        extra = {"dispatch_policy_csv": self.policy_csv} if self.policy_csv else {}
        create_warehouse(self.warehouse, rows, **extra)
        update_ledger(self.ledger, validate_control_points(self.warehouse), when)
        return self.dispatch(when)

    def dispatch(self, when: datetime):
        return dispatch_warnings(self.warehouse, self.ledger, self.tmp_path / "outbox", self.url, when, backoff_seconds=0.01)


def subjects(collector) -> dict[str, str]:
    taken = collector.take()
    by_key = {}
    for item in taken:
        assert item.recipient_key not in by_key, f"two digests for {item.recipient_key}"
        by_key[item.recipient_key] = item.subject
    return by_key


def test_new_then_nothing_then_worse_once_then_recovery_once(tmp_path):
    with smtp_server() as (url, collector):
        school = School(tmp_path, url)
        school.night(DAY0, [ABSENT, TRAINING])
        assert set(subjects(collector)) == {"202", "102", "203", "counsellor:T9001"}
        school.dispatch(DAY0)  # a rerun of the same dispatch
        school.night(day(1), [ABSENT, TRAINING])  # unchanged values
        assert subjects(collector) == {}

        school.night(day(2), [with_value(ABSENT, 15.0), TRAINING])
        worse = subjects(collector)
        assert worse == {
            "202": f"【质量预警】{STUDENT_OFFICE}：加重 1 条（旷课学时 1）",
            "102": f"【质量预警】{DEPARTMENTS['102'].name_zh}：加重 1 条（旷课学时 1）",
            "counsellor:T9001": "【质量预警】辅导员王辅导：加重 1 条（旷课学时 1）",
        }
        school.dispatch(day(2))
        assert subjects(collector) == {}

        school.night(day(3), [with_value(ABSENT, 4.0), TRAINING])
        recovered = subjects(collector)
        assert set(recovered) == {"202", "102", "counsellor:T9001"}
        assert recovered["202"] == f"【质量预警】{STUDENT_OFFICE}：解除 1 条（旷课学时 1）"
        school.night(day(4), [with_value(ABSENT, 4.0), TRAINING])
        assert subjects(collector) == {}
    (absent,) = find_warnings(school.ledger, indicator_code="STU_ABSENT_PERIODS")
    assert (absent.state, absent.resolution, absent.first_value, absent.worst_value) == ("已解除", "指标恢复", 12.0, 15.0)


def test_smtp_going_down_mid_dispatch_loses_nothing_and_sends_each_once(tmp_path):
    with smtp_server() as (url, collector):
        school = School(tmp_path, url)
        collector.accept_only = 2  # the server goes down after two digests
        down = school.night(DAY0, [ABSENT, TRAINING])
        assert len(down.emails) == 2 and len(down.failures) == 2 and down.pending > 0
        delivered_first = {item.recipient_key for item in collector.received}
        with sqlite3.connect(school.ledger) as connection:
            told = {row[0] for row in connection.execute("select distinct recipient from notifications")}
        assert len(told) == 2  # only what the server accepted is marked as sent

        collector.accept_only = None  # back up
        up = school.dispatch(DAY0 + timedelta(hours=1))
        assert up.failures == [] and len(up.emails) == 2
        school.dispatch(DAY0 + timedelta(hours=2))
        keys = [item.recipient_key for item in collector.received]
    assert sorted(keys) == sorted(["202", "102", "203", "counsellor:T9001"])  # each exactly once
    assert not delivered_first & {key for key in keys[2:]}


def test_reminders_and_escalation_fire_after_the_policy_limits(tmp_path):
    policy_csv = tmp_path / "dispatch_policy.csv"  # the seed the quality office edits, with short limits
    policy_csv.write_text("remind_after_days,escalate_after_days,retry_after_minutes\n3,10,5\n", encoding="utf-8")
    rows = [ABSENT, TRAINING]
    with smtp_server() as (url, collector):
        school = School(tmp_path, url, policy_csv)
        school.night(DAY0, rows)
        assert set(subjects(collector)) == {"202", "102", "203", "counsellor:T9001"}
        school.night(day(2), rows)
        assert subjects(collector) == {}  # unchanged open warnings are not repeated every night

        school.night(day(3), rows)
        reminded = collector.take()
        assert {item.recipient_key for item in reminded} == {"202", "102", "203", "counsellor:T9001"}
        by_key = {item.recipient_key: item for item in reminded}
        assert by_key["202"].subject == f"【质量预警】{STUDENT_OFFICE}：提醒 1 条（旷课学时 1）"
        assert by_key["102"].subject.endswith("提醒 2 条（旷课学时 1、年培训学时 1）")
        assert "已持续 3 天，状态 已通知" in by_key["203"].text
        school.dispatch(day(3) + timedelta(hours=1))
        assert subjects(collector) == {}

        training = find_warnings(school.ledger, indicator_code="TCH_TRAINING_HOURS")[0]
        acknowledge_warning(school.ledger, training.id, day(4), by="质量办 张老师")
        rows = [with_value(ABSENT, 15.0), TRAINING]
        school.night(day(4), rows)  # worse is news, and restarts the reminder clock
        assert set(subjects(collector)) == {"202", "102", "counsellor:T9001"}
        school.night(day(6), rows)
        assert subjects(collector) == {"203": f"【质量预警】{HR_OFFICE}：提醒 1 条（年培训学时 1）",
                                       "102": f"【质量预警】{DEPARTMENTS['102'].name_zh}：提醒 1 条（年培训学时 1）"}
        school.night(day(7), rows)
        assert set(subjects(collector)) == {"202", "102", "counsellor:T9001"}

        school.night(day(10), rows)  # open for 10 days: escalated once to the quality office
        tenth = {item.recipient_key: item for item in collector.take()}
        escalation = tenth[QUALITY_OFFICE.department_code]
        assert escalation.subject == f"【质量预警】{QUALITY_OFFICE.name_zh}：升级督办 2 条（旷课学时 1、年培训学时 1）"
        assert f"责任部门 {STUDENT_OFFICE}" in escalation.text and f"责任部门 {HR_OFFICE}" in escalation.text
        assert "已持续 10 天，状态 已确认" in escalation.text  # acknowledged is still open
        school.night(day(11), rows)
        school.night(day(20), rows)
        later = [item.recipient_key for item in collector.take()]
        assert QUALITY_OFFICE.department_code not in later and later  # reminders go on, the escalation does not repeat


def test_a_warning_resolved_before_the_limit_is_not_escalated(tmp_path):
    policy_csv = tmp_path / "dispatch_policy.csv"
    policy_csv.write_text("remind_after_days,escalate_after_days,retry_after_minutes\n30,5,5\n", encoding="utf-8")
    with smtp_server() as (url, collector):
        school = School(tmp_path, url, policy_csv)
        school.night(DAY0, [ABSENT])
        school.night(day(4), [with_value(ABSENT, 3.0)])
        school.night(day(6), [with_value(ABSENT, 3.0)])
        keys = [item.recipient_key for item in collector.received]
    assert QUALITY_OFFICE.department_code not in keys
    assert sorted(keys) == sorted(["202", "102", "counsellor:T9001"] * 2)  # opened, resolved
    assert {w.state for w in load_warnings(school.ledger)} == {"已解除"}


def test_dispatch_policy_is_one_row_of_positive_whole_numbers(tmp_path):
    shipped = load_dispatch_policy_csv(DISPATCH_POLICY_CSV)
    assert 0 < shipped.remind_after_days < shipped.escalate_after_days and shipped.retry_after_minutes > 0
    header = "remind_after_days,escalate_after_days,retry_after_minutes\n"
    for body in ("0,30,60\n", "7,abc,60\n", "7,30,1.5\n", "7,30,60\n7,30,60\n", ""):
        path = tmp_path / "policy.csv"
        path.write_text(header + body, encoding="utf-8")
        with pytest.raises(RegistryError):
            load_dispatch_policy_csv(path)


def test_rounding_noise_between_builds_is_not_worse(tmp_path):
    gpa = ("STU_GPA", "2024010102", "李四", "102", T1, 0.636842105263158, 20.0)
    with smtp_server() as (url, collector):
        school = School(tmp_path, url)
        school.night(DAY0, [gpa])
        collector.take()
        school.night(day(1), [with_value(gpa, 0.6368421052631579)])  # the same sum, added in another order
        assert subjects(collector) == {}
        school.night(day(2), [with_value(gpa, 0.63)])
        assert set(subjects(collector)) == {"201", "102", "counsellor:T9002"}
