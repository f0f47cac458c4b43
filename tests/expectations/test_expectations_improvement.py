"""People close the loop: acknowledge, close with a note (told once), and the improvement report."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from alerting.dispatch import dispatch_warnings
from alerting.improvement import belongs_to_period, improvement_report
from alerting.ledger import acknowledge_warning, find_warnings, resolve_warning, update_ledger
from expectations.registry import load_departments_csv, load_registry_csv
from expectations.suites import validate_control_points
from zhengai.clock import school_stamp

from tests.expectations.expectations_testkit import CONTROL_POINTS_CSV, DEPARTMENTS_CSV, create_warehouse
from tests.expectations.smtp_testkit import DEPARTMENTS, smtp_server

DAY0 = datetime(2025, 9, 1, 2, 0)
T1, T2 = "2024-2025-1", "2024-2025-2"
TERMS = {T1: (date(2024, 9, 2), date(2025, 1, 17)), T2: (date(2025, 2, 24), date(2025, 7, 4))}


def day(n: float) -> datetime:
    return DAY0 + timedelta(days=n)


def test_closing_by_hand_is_told_once_with_the_note(tmp_path):
    warehouse = create_warehouse(tmp_path / "w.duckdb", [("STU_ABSENT_PERIODS", "2024010101", "张三", "102", T1, 12.0, None)])
    ledger = tmp_path / "ledger.sqlite"
    update_ledger(ledger, validate_control_points(warehouse), DAY0)
    with smtp_server() as (url, collector):
        dispatch_warnings(warehouse, ledger, tmp_path / "outbox", url, DAY0)
        collector.take()
        (warning,) = find_warnings(ledger)
        acknowledge_warning(ledger, warning.id, day(1), by="质量办 张老师")
        with pytest.raises(ValueError):
            acknowledge_warning(ledger, warning.id, day(1), by="质量办 张老师")  # already acknowledged
        assert dispatch_warnings(warehouse, ledger, tmp_path / "outbox", url, day(1)).emails == []  # acknowledging is not news
        resolve_warning(ledger, warning.id, "已约谈学生并联系家长，旷课已停止", day(2), by="质量办 张老师")
        dispatch_warnings(warehouse, ledger, tmp_path / "outbox", url, day(2))
        closed = collector.take()
        update_ledger(ledger, validate_control_points(warehouse), day(3))  # the term's value stays 12: stays closed
        assert dispatch_warnings(warehouse, ledger, tmp_path / "outbox", url, day(3)).emails == []
    assert sorted(item.recipient_key for item in closed) == ["102", "202", "counsellor:T9001"]
    student_office = next(item for item in closed if item.recipient_key == "202")
    assert student_office.subject == f"【质量预警】{DEPARTMENTS['202'].name_zh}：解除 1 条（旷课学时 1）"
    assert "已由责任部门关闭，改进说明：已约谈学生并联系家长，旷课已停止" in student_office.text
    (warning,) = find_warnings(ledger)
    assert (warning.state, warning.resolution_kind, warning.acknowledged_at) == ("已解除", "note", school_stamp(day(1)))
    with pytest.raises(ValueError):
        acknowledge_warning(ledger, warning.id, day(4), by="质量办 张老师")


def test_find_warnings_filters(tmp_path):
    rows = [
        ("STU_ABSENT_PERIODS", "2024010101", "张三", "102", T1, 12.0, None),
        ("STU_ABSENT_PERIODS", "2024010103", "王五", "101", T1, 15.0, None),
        ("TCH_TRAINING_HOURS", "T0001", "吴老师", "102", "2024-2025", 20.0, None),
    ]
    ledger = tmp_path / "ledger.sqlite"
    update_ledger(ledger, validate_control_points(create_warehouse(tmp_path / "w.duckdb", rows)), DAY0)
    assert {w.entity_id for w in find_warnings(ledger, department_code="102")} == {"2024010101", "T0001"}
    assert {w.entity_id for w in find_warnings(ledger, department_code="202")} == {"2024010101", "2024010103"}
    assert [w.entity_id for w in find_warnings(ledger, indicator_code="TCH_TRAINING_HOURS")] == ["T0001"]
    assert [w.entity_id for w in find_warnings(ledger, period="2024-2025")] == ["T0001"]
    assert find_warnings(ledger, states=["已解除"]) == []


def test_periods_take_their_terms_and_months():
    assert belongs_to_period(T1, T1, TERMS)
    assert belongs_to_period("2024-10", T1, TERMS) and belongs_to_period("2025-01", T1, TERMS)
    assert not belongs_to_period("2025-03", T1, TERMS) and belongs_to_period("2025-03", T2, TERMS)
    assert not belongs_to_period("2024-10", T1, {})  # without a calendar a month belongs to no term
    assert belongs_to_period(T1, "2024-2025", TERMS) and belongs_to_period(T2, "2024-2025", TERMS)
    assert belongs_to_period("2025-05", "2024-2025", TERMS) and belongs_to_period("2024-2025", "2024-2025", TERMS)
    assert not belongs_to_period("2024-2025-1", "2024", TERMS)
    # A graduation (survey) year belongs to the school year it ends; a month to its school year by the calendar.
    assert belongs_to_period("2025", "2024-2025", TERMS) and not belongs_to_period("2024", "2024-2025", TERMS)
    assert belongs_to_period("2024-09", "2024-2025", {}) and not belongs_to_period("2024-08", "2024-2025", {})


def test_improvement_report_counts_per_department(tmp_path):
    ledger = tmp_path / "ledger.sqlite"
    absent = [("STU_ABSENT_PERIODS", f"20240101{n:02d}", f"学生{n}", "102", T1, 12.0, None) for n in range(1, 6)]
    nights = [("STU_NIGHTS_OUT", "2024010101", "学生1", "102", "2024-10", 2.0, None)]
    other_term = [("STU_ABSENT_PERIODS", "2024010109", "学生9", "102", T2, 12.0, None)]
    training = [("TCH_TRAINING_HOURS", "T0001", "吴老师", "102", "2024-2025", 20.0, None)]
    update_ledger(ledger, validate_control_points(create_warehouse(tmp_path / "w.duckdb", absent + nights + other_term + training)), DAY0)
    ids = {w.entity_id + w.period: w.id for w in find_warnings(ledger)}
    acknowledge_warning(ledger, ids["2024010101" + T1], day(1), by="质量办 张老师")
    acknowledge_warning(ledger, ids["2024010102" + T1], day(1), by="质量办 张老师")
    resolve_warning(ledger, ids["2024010101" + T1], "已约谈", day(2), by="质量办 张老师")
    resolve_warning(ledger, ids["2024010102" + T1], "已补课", day(6), by="质量办 张老师")
    # 2024010103 and 2024010104 recover on day 4; the training row is not evaluated that night.
    recovered = [(*row[:5], 2.0 if row[1] in ("2024010103", "2024010104") else row[5], None) for row in absent]
    update_ledger(ledger, validate_control_points(create_warehouse(tmp_path / "w.duckdb", recovered + nights + other_term)), day(4))

    departments = load_departments_csv(DEPARTMENTS_CSV)
    points = load_registry_csv(CONTROL_POINTS_CSV)
    by_department, by_college, by_indicator = improvement_report(ledger, T1, departments, points, TERMS)
    rows = {(r.department_code, r.raised, r.acknowledged, r.recovered, r.closed_with_note, r.still_open, r.median_days_to_resolution) for r in by_department}
    # Department 202 owns 5 term absences + 1 October night out (in term 1); T2 and the school-year training are out.
    assert rows == {("202", 6, 2, 2, 2, 2, 4.0), ("", 6, 2, 2, 2, 2, 4.0)}
    assert by_department[0].department_name == DEPARTMENTS["202"].name_zh and by_department[-1].department_name == "合计"
    assert {(r.indicator_code, r.raised, r.still_open) for r in by_indicator} == {("STU_ABSENT_PERIODS", 5, 1), ("STU_NIGHTS_OUT", 1, 1)}
    # The school year takes both terms, the month and the school-year training warning (owner 203).
    year, colleges, _ = improvement_report(ledger, "2024-2025", departments, points, TERMS)
    assert {(r.department_code, r.raised) for r in year} == {("202", 7), ("203", 1), ("", 8)}
    # Every warned entity here belongs to college 102 (信息工程学院): the college row counts them all.
    assert {(r.department_code, r.department_name, r.raised) for r in colleges} == {("102", DEPARTMENTS["102"].name_zh, 8)}
    assert [(r.department_code, r.raised) for r in by_college] == [("102", 6)]
    assert improvement_report(ledger, "2023-2024-1", departments, points, TERMS) == ([], [], [])
