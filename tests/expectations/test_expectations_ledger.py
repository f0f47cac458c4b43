from __future__ import annotations

import sqlite3
from datetime import datetime

import duckdb
import pytest

from alerting.ledger import load_warnings, resolve_warning, update_ledger
from expectations.suites import validate_control_points
from zhengai.clock import school_stamp

from tests.expectations.expectations_testkit import BASE_ROWS, create_warehouse

FIRST_RUN = datetime(2025, 9, 1, 2, 0)
SECOND_RUN = datetime(2025, 9, 2, 2, 0)
ABSENT_KEY = ("STU_ABSENT_PERIODS", "2024010101", "2024-2025-1")


def replace_value(rows, code, entity_id, value, denominator=None):
    return [
        (r[0], r[1], r[2], r[3], r[4], value, denominator) if (r[0], r[1]) == (code, entity_id) else r for r in rows
    ]


def dump(ledger):
    with sqlite3.connect(ledger) as connection:
        return {
            table: connection.execute(f"select * from {table} order by 1, 2").fetchall()
            for table in ("warnings", "evaluations", "notifications")
        }


def by_key(ledger):
    return {(w.indicator_code, w.entity_id, w.period): w for w in load_warnings(ledger)}


def test_failing_entities_open_new_warnings_once(warehouse, tmp_path):
    ledger = tmp_path / "ledger.sqlite"
    outcomes = validate_control_points(warehouse)
    changes = update_ledger(ledger, outcomes, FIRST_RUN)
    assert len(changes.new) == 6 and not changes.worsened and not changes.resolved
    warning = by_key(ledger)[ABSENT_KEY]
    assert (warning.state, warning.first_value, warning.worst_value, warning.warning_value) == ("新预警", 12.0, 12.0, 9.0)
    assert (warning.entity_name, warning.unit_id, warning.owner_department_code) == ("张三", "102", "202")
    assert warning.first_seen == school_stamp(FIRST_RUN)

    before = dump(ledger)
    again = update_ledger(ledger, outcomes, FIRST_RUN)
    assert (again.new, again.worsened, again.resolved) == ([], [], [])
    assert sorted(again.unchanged) == sorted(changes.new)
    assert dump(ledger) == before  # idempotent: nothing written the second time


def test_worse_value_worsens_and_better_but_failing_value_does_not(tmp_path):
    ledger = tmp_path / "ledger.sqlite"
    update_ledger(ledger, validate_control_points(create_warehouse(tmp_path / "w.duckdb", BASE_ROWS)), FIRST_RUN)
    worse = create_warehouse(tmp_path / "w.duckdb", replace_value(BASE_ROWS, "STU_ABSENT_PERIODS", "2024010101", 15.0))
    changes = update_ledger(ledger, validate_control_points(worse), SECOND_RUN)
    assert changes.worsened == [ABSENT_KEY]
    warning = by_key(ledger)[ABSENT_KEY]
    assert (warning.last_value, warning.worst_value, warning.first_value, warning.revision) == (15.0, 15.0, 12.0, 2)
    better = create_warehouse(tmp_path / "w.duckdb", replace_value(BASE_ROWS, "STU_ABSENT_PERIODS", "2024010101", 13.0))
    changes = update_ledger(ledger, validate_control_points(better), datetime(2025, 9, 3, 2, 0))
    assert ABSENT_KEY in changes.unchanged and not changes.worsened
    assert by_key(ledger)[ABSENT_KEY].worst_value == 15.0


def test_recovered_value_resolves_with_indicator_recovered(tmp_path):
    ledger = tmp_path / "ledger.sqlite"
    update_ledger(ledger, validate_control_points(create_warehouse(tmp_path / "w.duckdb", BASE_ROWS)), FIRST_RUN)
    recovered = create_warehouse(tmp_path / "w.duckdb", replace_value(BASE_ROWS, "STU_ABSENT_PERIODS", "2024010101", 4.0))
    changes = update_ledger(ledger, validate_control_points(recovered), SECOND_RUN)
    assert changes.resolved == [ABSENT_KEY]
    warning = by_key(ledger)[ABSENT_KEY]
    assert (warning.state, warning.resolution, warning.resolved_at, warning.last_value) == (
        "已解除", "指标恢复", school_stamp(SECOND_RUN), 4.0
    )
    # Failing again later opens a new episode, reported as new.
    relapse = create_warehouse(tmp_path / "w.duckdb", replace_value(BASE_ROWS, "STU_ABSENT_PERIODS", "2024010101", 10.0))
    changes = update_ledger(ledger, validate_control_points(relapse), datetime(2025, 9, 3, 2, 0))
    assert changes.new == [ABSENT_KEY]
    warning = by_key(ledger)[ABSENT_KEY]
    assert (warning.state, warning.resolution, warning.worst_value) == ("新预警", None, 10.0)


def test_missing_layer_or_not_enough_data_resolves_nothing(tmp_path):
    ledger = tmp_path / "ledger.sqlite"
    update_ledger(ledger, validate_control_points(create_warehouse(tmp_path / "w.duckdb", BASE_ROWS)), FIRST_RUN)
    # The student mart is not built this time; the attendance row falls below its minimum n.
    rows = [r for r in BASE_ROWS if r[0] not in ("STU_ABSENT_PERIODS", "STU_NIGHTS_OUT")]
    rows = replace_value(rows, "STU_ATTEND_RATE", "2024010101", 99.0, denominator=5.0)
    changes = update_ledger(ledger, validate_control_points(create_warehouse(tmp_path / "w.duckdb", rows)), SECOND_RUN)
    assert changes.resolved == [] and changes.new == []
    states = {key: w.state for key, w in by_key(ledger).items()}
    assert set(states.values()) == {"新预警"} and len(states) == 6


def test_manual_resolution_needs_a_note(warehouse, tmp_path):
    ledger = tmp_path / "ledger.sqlite"
    update_ledger(ledger, validate_control_points(warehouse), FIRST_RUN)
    warning = by_key(ledger)[ABSENT_KEY]
    with pytest.raises(ValueError):
        resolve_warning(ledger, warning.id, "  ", SECOND_RUN, by="质量办 张老师")
    resolve_warning(ledger, warning.id, "已约谈学生并通知家长", SECOND_RUN, by="质量办 张老师")
    assert by_key(ledger)[ABSENT_KEY].resolution == "已约谈学生并通知家长"
    with pytest.raises(ValueError):
        resolve_warning(ledger, warning.id, "重复解除", SECOND_RUN, by="质量办 张老师")


def test_hand_closed_warning_stays_closed_unless_worse(warehouse, tmp_path):
    ledger = tmp_path / "ledger.sqlite"
    update_ledger(ledger, validate_control_points(warehouse), FIRST_RUN)
    resolve_warning(ledger, by_key(ledger)[ABSENT_KEY].id, "已约谈学生", FIRST_RUN, by="质量办 张老师")
    changes = update_ledger(ledger, validate_control_points(warehouse), SECOND_RUN)  # same 12 periods
    assert ABSENT_KEY in changes.unchanged and by_key(ledger)[ABSENT_KEY].state == "已解除"
    worse = create_warehouse(tmp_path / "w2.duckdb", replace_value(BASE_ROWS, "STU_ABSENT_PERIODS", "2024010101", 20.0))
    changes = update_ledger(ledger, validate_control_points(worse), datetime(2025, 9, 3, 2, 0))
    assert changes.new == [ABSENT_KEY] and by_key(ledger)[ABSENT_KEY].state == "新预警"


def test_a_warning_keeps_the_warning_value_it_was_judged_by(tmp_path):
    """孙八 set an own warning value of 92 (个体目标): the data center judged 90 % 预警 against it,
    and the ledger (so the e-mail) says 92, not the registry's 90."""
    warehouse = create_warehouse(tmp_path / "w.duckdb", BASE_ROWS)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("update marts.mart_quality__status set warning_value = 92, status = '预警' "
                           "where indicator_code = 'STU_ATTEND_RATE' and entity_id = '2024010106'")
    ledger = tmp_path / "ledger.sqlite"
    update_ledger(ledger, validate_control_points(warehouse), FIRST_RUN)
    warnings = by_key(ledger)
    assert warnings[("STU_ATTEND_RATE", "2024010106", "2024-2025-1")].warning_value == 92.0
    assert warnings[("STU_ATTEND_RATE", "2024010101", "2024-2025-1")].warning_value == 90.0
