from __future__ import annotations

import duckdb
import pytest

from expectations.registry import load_registry, load_registry_csv
from expectations.suites import build_suite, judge_from_status, validate_control_points

from tests.expectations.expectations_testkit import BASE_ROWS, CONTROL_POINTS_CSV, create_warehouse


def by_code(outcomes):
    return {outcome.code: outcome for outcome in outcomes}


def test_every_registry_row_becomes_an_expectation(warehouse):
    points = load_registry_csv(CONTROL_POINTS_CSV)
    assert len(points) == 38
    assert load_registry(warehouse) == points  # the warehouse copy reads the same
    suite = build_suite(points)
    assert len(suite.expectations) == 38
    for point, expectation in zip(points, suite.expectations):
        # The data center judges every value; the expectation asks that none is 预警.
        assert expectation.meta["control_point"] == point.code
        assert (expectation.column, list(expectation.value_set)) == ("status", ["预警"])
    outcomes = validate_control_points(warehouse)
    assert [outcome.code for outcome in outcomes] == [point.code for point in points]


def test_value_beyond_warning_fails_and_lists_the_entity(warehouse):
    outcomes = by_code(validate_control_points(warehouse, ["STU_ABSENT_PERIODS", "STU_ATTEND_RATE"]))
    absent = outcomes["STU_ABSENT_PERIODS"]
    assert not absent.passed
    assert absent.evaluated == 3
    assert [(item["entity_id"], item["period"], item["value"], item["warning_value"]) for item in absent.failing] == [
        ("2024010101", "2024-2025-1", 12.0, 9.0)
    ]
    assert absent.failing[0]["entity_name"] == "张三" and absent.failing[0]["unit_id"] == "102"
    assert absent.success_percent == pytest.approx(200 / 3)
    attend = outcomes["STU_ATTEND_RATE"]  # higher is better: 80 < 90 fails
    assert [item["entity_id"] for item in attend.failing] == ["2024010101"]


def test_value_exactly_at_warning_passes(tmp_path):
    rows = [
        ("STU_ABSENT_PERIODS", "2024010102", "李四", "102", "2024-2025-1", 9.0, None),  # lower, warning 9
        ("STU_NIGHTS_OUT", "2024010104", "赵六", "101", "2024-10", 0.0, None),  # lower, warning 0
        ("STU_ATTEND_RATE", "2024010106", "孙八", "103", "2024-2025-1", 90.0, 100.0),  # higher, warning 90
        ("STU_GPA", "2024010106", "孙八", "103", "2024-2025-1", 1.5, 6.0),  # higher, warning 1.5, n = min n
    ]
    warehouse = create_warehouse(tmp_path / "w.duckdb", rows)
    outcomes = by_code(validate_control_points(warehouse, [row[0] for row in rows]))
    for code in outcomes:
        assert outcomes[code].passed and outcomes[code].evaluated == 1 and outcomes[code].failing == []
        assert outcomes[code].success_percent == 100.0


def test_not_enough_data_never_fails(tmp_path):
    rows = [
        ("STU_ATTEND_RATE", "2024010105", "钱七", "103", "2024-2025-1", 0.0, 19.0),  # below min n 20
        ("STU_ATTEND_RATE", "2024010107", "周九", "103", "2024-2025-1", None, 30.0),  # no value
        ("STU_ATTEND_RATE", "2024010108", "吴十", "103", "2024-2025-1", 10.0, None),  # no denominator
        ("STU_ABSENT_PERIODS", "2024010107", "周九", "103", "2024-2025-1", None, None),
    ]
    warehouse = create_warehouse(tmp_path / "w.duckdb", rows)
    outcomes = by_code(validate_control_points(warehouse, ["STU_ATTEND_RATE", "STU_ABSENT_PERIODS"]))
    attend = outcomes["STU_ATTEND_RATE"]
    assert (attend.passed, attend.evaluated, attend.insufficient, attend.failing) == (True, 0, 3, [])
    assert attend.has_data and attend.success_percent is None
    assert outcomes["STU_ABSENT_PERIODS"].insufficient == 1


def test_layer_not_built_is_no_data_not_a_warning(warehouse):
    outcomes = by_code(validate_control_points(warehouse))
    for code in ("CRS_ATTEND_RATE", "CRS_PASS_RATE", "MAJ_EMPLOY_RATE"):
        outcome = outcomes[code]
        assert outcome.passed and outcome.evaluated == 0 and outcome.no_data and outcome.failing == []


def test_failing_set_equals_dbt_warning_status(warehouse):
    outcomes = validate_control_points(warehouse)
    failing = {(o.code, item["entity_id"], item["period"]) for o in outcomes for item in o.failing}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        warned = set(
            connection.execute(
                "select indicator_code, entity_id, period from marts.mart_quality__status where status = '预警'"
            ).fetchall()
        )
    assert failing == warned and len(failing) == 6


def test_the_ledger_input_is_what_great_expectations_judged(warehouse):
    by_ge, by_status = validate_control_points(warehouse), judge_from_status(warehouse)
    assert [(o.code, o.passed, o.evaluated, o.insufficient, o.failing, o.evaluated_values) for o in by_ge] == [
        (o.code, o.passed, o.evaluated, o.insufficient, o.failing, o.evaluated_values) for o in by_status]


def test_a_status_the_data_center_judged_预警_fails_whatever_the_value(warehouse):
    # The threshold rule lives in the data center only: the check trusts its status.
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            "update marts.mart_quality__status set status = '预警' where entity_id = '2024010103' and indicator_code = 'STU_ABSENT_PERIODS'"
        )
    outcome = by_code(validate_control_points(warehouse, ["STU_ABSENT_PERIODS"]))["STU_ABSENT_PERIODS"]
    assert sorted(item["entity_id"] for item in outcome.failing) == ["2024010101", "2024010103"]


def test_unknown_code_and_duplicate_rows_are_errors(tmp_path, warehouse):
    with pytest.raises(KeyError):
        validate_control_points(warehouse, ["NO_SUCH_POINT"])
    duplicated = create_warehouse(tmp_path / "dup.duckdb", BASE_ROWS + [BASE_ROWS[0]])
    with pytest.raises(RuntimeError, match="重复"):
        validate_control_points(duplicated)
