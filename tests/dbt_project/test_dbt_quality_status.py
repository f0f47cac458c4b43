"""mart_quality__status: registry join and the status rule at the boundaries, end to end."""

import pytest

from tests.dbt_project.dbt_school import TERM_1, TERM_2, read_seed

STATUS_CASES = [
    # (indicator, student, period, status, why)
    ("STU_ATTEND_RATE", "2024002", TERM_1, "未达标", "90 % equals the warning value: not yet 预警"),
    ("STU_ATTEND_RATE", "2024003", TERM_1, "预警", "26/29 = 89.7 %, just below the warning value"),
    ("STU_ATTEND_RATE", "2024001", TERM_1, "未达标", "90.9 %"),
    ("STU_ATTEND_RATE", "2024004", TERM_1, "数据不足", "18 periods, below the minimum of 20"),
    ("STU_ABSENT_PERIODS", "2024005", TERM_1, "未达标", "9 periods equals the warning value"),
    ("STU_ABSENT_PERIODS", "2024006", TERM_1, "预警", "10 periods, just beyond"),
    ("STU_ABSENT_PERIODS", "2024004", TERM_1, "达成目标", "none"),
    ("STU_NIGHTS_OUT", "2024002", "2024-10", "达成目标", "0 with target = standard = warning = 0"),
    ("STU_NIGHTS_OUT", "2024001", "2024-10", "预警", "1 night out"),
    ("STU_LATE_RETURNS", "2024001", "2024-10", "达标", "1 equals the standard"),
    ("STU_LATE_RETURNS", "2024003", "2024-10", "未达标", "3 equals the warning value"),
    ("STU_LATE_RETURNS", "2024004", "2024-10", "预警", "4, just beyond"),
    ("STU_FAILED_COURSES", "2024001", TERM_1, "未达标", "1 failed course"),
    ("STU_FAILED_COURSES", "2024002", TERM_1, "预警", "3 failed courses"),
    ("STU_GPA", "2024001", TERM_1, "达成目标", "3.29"),
    ("STU_GPA", "2024003", TERM_1, "未达标", "1.5 equals the warning value"),
    ("STU_GPA", "2024002", TERM_1, "预警", "0.0"),
    ("STU_GPA", "2024004", TERM_1, "数据不足", "4 credits, below the minimum of 6 (缓考 not counted)"),
    ("STU_SANCTIONS", "2024004", TERM_2, "达成目标", "none in force: lifted before term 2"),
    ("STU_SANCTIONS", "2024001", TERM_1, "预警", "one in force"),
]


@pytest.mark.parametrize(("code", "student", "period", "status", "why"), STATUS_CASES)
def test_status(indicators, code, student, period, status, why):
    assert indicators[(code, student, period)]["status"] == status, why


LAYERS = ["school", "major", "course", "teacher", "student"]
# the marts of each registry layer: the school's task control points have a mart of their own
MARTS_OF_LAYER = {layer: [layer] for layer in LAYERS} | {"school": ["school", "task"]}


def test_every_indicator_value_of_every_layer_gets_a_status(warehouse):
    long_rows = sum(warehouse.execute(f"select count(*) from marts.mart_{mart}__indicators").fetchone()[0]
                    for marts in MARTS_OF_LAYER.values() for mart in marts)
    status_rows, unjudged = warehouse.execute(
        "select count(*), count(*) filter (where status is null or layer is null) from marts.mart_quality__status"
    ).fetchone()
    assert long_rows == status_rows > 0
    assert unjudged == 0


def test_every_control_point_has_values_and_every_layer_its_codes(warehouse):
    registry = {row["code"]: row["layer"] for row in read_seed("quality_control_points")}
    judged = dict(warehouse.execute(
        "select indicator_code, count(*) filter (where value is not null) from marts.mart_quality__status group by 1"
    ).fetchall())
    assert {code for code, values in judged.items() if values} == set(registry)
    for layer, marts in MARTS_OF_LAYER.items():
        codes = {code for mart in marts for (code,) in warehouse.execute(
            f"select distinct indicator_code from marts.mart_{mart}__indicators").fetchall()}
        assert codes == {code for code, code_layer in registry.items() if code_layer == layer}, layer


def test_rows_carry_the_registry(indicators):
    control_point = next(row for row in read_seed("quality_control_points") if row["code"] == "STU_GPA")
    college = next(row for row in read_seed("departments") if row["department_code"] == "101")
    row = indicators[("STU_GPA", "2024001", TERM_1)]
    assert row["layer"] == control_point["layer"]
    assert row["indicator_name_zh"] == control_point["name_zh"]
    assert row["owner_department_code"] == control_point["owner_department_code"]
    assert (row["target_value"], row["standard_value"], row["warning_value"], row["min_denominator"]) == tuple(
        float(control_point[name]) for name in ["target_value", "standard_value", "warning_value", "min_denominator"]
    )
    assert row["to_unit"] is True
    assert (row["unit_id"], row["unit_name"]) == ("101", college["name_zh"])


def test_status_columns_follow_the_contract(warehouse):
    columns = [name for (name,) in warehouse.execute(
        "select column_name from information_schema.columns "
        "where table_schema = 'marts' and table_name = 'mart_quality__status' order by ordinal_position"
    ).fetchall()]
    assert columns == [
        "indicator_code", "layer", "entity_type", "indicator_name_zh", "indicator_unit", "entity_id",
        "entity_name", "unit_id", "unit_name", "period", "value", "numerator", "denominator", "direction",
        "target_value", "standard_value", "warning_value", "min_denominator", "status",
        "owner_department_code", "to_unit", "threshold_origin", "achievement_grade",
        "period_type", "period_label_zh", "school_year", "period_start", "period_end",
    ]
