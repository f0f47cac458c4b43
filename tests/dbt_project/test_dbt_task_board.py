"""The task board, 目标达成度 and own targets on the hand-made school's plan workbooks
(dbt_school.add_plan_cases, loaded by ingest with their quirks), built as of 2025-06-15:
every rule of docs/indicators.md, the answers worked out by hand."""

from __future__ import annotations

import pytest

from tests.dbt_project.dbt_school import TERM_1, TERM_2

SCHOOL = "4132012345"  # school code of state sheet A1


def rows(warehouse, sql: str, *params) -> list[dict]:
    cursor = warehouse.execute(sql, list(params))
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]


@pytest.fixture(scope="module")
def board(warehouse) -> dict[str, list[tuple]]:
    """task → [(month, status, completion, planned, achievement), …] in month order."""
    found: dict[str, list[tuple]] = {}
    for r in rows(warehouse, "select * from marts.mart_task__board order by task_id, month"):
        found.setdefault(r["task_id"], []).append(
            (r["month"], r["status"], r["completion_pct"], round(r["planned_pct"], 3), r["achievement_pct"]))
    return found


def months(year: int, first: int, last: int) -> list[str]:
    return [f"{year}-{m:02d}" for m in range(first, last + 1)]


def test_a_task_goes_from_green_to_red_to_black(board):
    # 24A: March to June, reports of 20 % (March), 50 % (April), none in May, 100 % (June)
    assert board["24A"] == [
        ("2024-03", "正常", 20, 25.0, 20),      # planned 1/4 = 25 %: 20 is within the 20 points
        ("2024-04", "正常", 50, 50.0, 50),
        ("2024-05", "预警", 50, 75.0, 50),      # no report in May: April's 50 % stands, below 75 − 20
        ("2024-06", "已完成", 100, 100.0, 100),
        *[(m, "已完成", 100, 100.0, 100) for m in months(2024, 7, 12)],  # after the deadline, still done
    ]


def test_a_count_reached_completes_the_task_and_is_its_achievement(board):
    # 24B: January (empty 开始月份) to September, 目标值 10 家
    planned = [round(100 * k / 9, 3) for k in range(1, 10)]
    assert board["24B"] == [
        ("2024-01", "正常", 0, planned[0], 0),   # no report yet: 0 %, planned 11.1 %
        *[(f"2024-0{m}", "预警", 0, planned[m - 1], 0) for m in (2, 3, 4)],
        ("2024-05", "预警", 30, planned[4], 30),  # 3 of 10 家: achievement 30
        ("2024-06", "预警", 30, planned[5], 30),
        ("2024-07", "预警", 30, planned[6], 30),
        ("2024-08", "预警", 30, planned[7], 30),
        ("2024-09", "正常", 80, 100.0, 80),      # 80 = planned − 20: not behind plan
        ("2024-10", "已完成", 90, 100.0, 100),   # 10 of 10 家 reached at 90 %: completed, achievement 100
        ("2024-11", "已完成", 90, 100.0, 100),
        ("2024-12", "已完成", 90, 100.0, 100),
    ]


def test_a_task_past_its_deadline_and_not_completed_is_yellow(board):
    # 24C: February to April, stuck at 40 %
    assert board["24C"] == [
        ("2024-02", "预警", 10, round(100 / 3, 3), 10),
        ("2024-03", "预警", 10, round(200 / 3, 3), 10),
        ("2024-04", "预警", 40, 100.0, 40),
        *[(m, "未完成", 40, 100.0, 40) for m in months(2024, 5, 12)],
    ]


def test_a_year_still_running_shows_up_to_the_current_month(board):
    # 25A: January to March; March reported twice, the later 100 % stands
    assert board["25A"] == [
        ("2025-01", "预警", 0, round(100 / 3, 3), 0),
        ("2025-02", "预警", 0, round(200 / 3, 3), 0),
        *[(m, "已完成", 100, 100.0, 100) for m in months(2025, 3, 6)],
    ]
    # 25B: April to December, weight 3; the board of 2025 ends in June (as of 2025-06-15)
    assert board["25B"] == [
        ("2025-04", "正常", 0, round(100 / 9, 3), 0),
        ("2025-05", "正常", 10, round(200 / 9, 3), 10),
        ("2025-06", "预警", 10, round(300 / 9, 3), 10),
    ]


def test_the_board_carries_colour_attribute_and_lead_department(warehouse):
    found = rows(warehouse, "select status, status_colour, attribute_code, lead_department_code, lead_department_name, "
                            "deadline_month, weight from marts.mart_task__board where task_id = '24C' and month in "
                            "('2024-04', '2024-05')")
    assert found == [
        {"status": "预警", "status_colour": "red", "attribute_code": "B", "lead_department_code": "202",
         "lead_department_name": "学生处", "deadline_month": "2024-04", "weight": 1.0},
        {"status": "未完成", "status_colour": "yellow", "attribute_code": "B", "lead_department_code": "202",
         "lead_department_name": "学生处", "deadline_month": "2024-04", "weight": 1.0},
    ]
    colours = dict(warehouse.execute("select distinct status, status_colour from marts.mart_task__board").fetchall())
    assert colours == {"正常": "green", "已完成": "black", "未完成": "yellow", "预警": "red"}


def test_tasks_carry_their_chain_and_registry_departments(warehouse):
    found = {r["task_id"]: r for r in rows(warehouse, "select * from core.dim_task")}
    assert {t: (r["plan_item_id"], r["top_task_id"], r["chain_depth"], r["task_chain"]) for t, r in found.items()} == {
        "24A": (None, "24A", 0, "24A"), "24B": (None, "24B", 0, "24B"), "24C": (None, "24C", 0, "24C"),
        "25A": ("GH-2021-05", "25A", 0, "GH-2021-05 › 25A"),
        "25B": ("GH-2021-05", "25A", 1, "GH-2021-05 › 25A › 25B"),
    }
    # '教务处 ' typed with a space is 教务处; supporting '学生处 、 人事处' in that order
    assert (found["25A"]["lead_department_code"], found["25A"]["lead_department_name"]) == ("201", "教务处")
    assert found["25B"]["supporting_department_codes"] == "202、203"
    assert (found["24B"]["start_month"], found["24B"]["weight"], found["24B"]["planned_months"]) == ("2024-01", 1, 9)


ACHIEVEMENT = [
    # (indicator, entity, month, value, status, grade, why)
    ("DEP_TASK_ACHIEVEMENT", "201", "2024-06", 100, "达成目标", "达标", "24A (weight 2) due and done"),
    ("DEP_TASK_ACHIEVEMENT", "201", "2024-09", (2 * 100 + 80) / 3, "达标", "达标", "24B due at 8 of 10 家"),
    ("DEP_TASK_ACHIEVEMENT", "201", "2024-12", 100, "达成目标", "达标", "the year's figure: 24B done in October"),
    ("DEP_TASK_ACHIEVEMENT", "202", "2024-04", 40, "预警", "不达标", "24C due at 40 %"),
    ("DEP_TASK_ACHIEVEMENT", "202", "2024-12", 40, "预警", "不达标", "still 40 % at the year's end"),
    ("SCH_TASK_ACHIEVEMENT", SCHOOL, "2024-04", 40, "预警", "不达标", "only 24C is due"),
    ("SCH_TASK_ACHIEVEMENT", SCHOOL, "2024-06", (2 * 100 + 40) / 3, "未达标", "基本达标", "80 is the warning value"),
    ("SCH_TASK_ACHIEVEMENT", SCHOOL, "2024-09", (2 * 100 + 80 + 40) / 4, "未达标", "基本达标", "all tasks of 2024"),
    ("SCH_TASK_ACHIEVEMENT", SCHOOL, "2024-12", (2 * 100 + 100 + 40) / 4, "未达标", "基本达标", "the year's figure"),
    ("DEP_TASK_ACHIEVEMENT", "201", "2025-03", 100, "达成目标", "达标", "25A done; 25B not yet due"),
    ("SCH_TASK_ACHIEVEMENT", SCHOOL, "2025-06", 100, "达成目标", "达标", "the current month"),
]


@pytest.mark.parametrize(("code", "entity", "month", "value", "status", "grade", "why"), ACHIEVEMENT,
                         ids=[f"{c}-{e}-{m}" for c, e, m, *_ in ACHIEVEMENT])
def test_achievement_is_judged_and_graded(indicators, code, entity, month, value, status, grade, why):
    row = indicators[(code, entity, month)]
    assert row["value"] == pytest.approx(value), why
    assert (row["status"], row["achievement_grade"]) == (status, grade), why


def test_achievement_rows_exist_from_the_first_task_due_to_the_current_month(warehouse):
    found = warehouse.execute("select indicator_code, entity_id, list(period order by period) from "
                              "marts.mart_task__indicators group by 1, 2 order by 1, 2").fetchall()
    assert found == [
        ("DEP_TASK_ACHIEVEMENT", "201", months(2024, 6, 12) + months(2025, 3, 6)),
        ("DEP_TASK_ACHIEVEMENT", "202", months(2024, 4, 12)),
        ("SCH_TASK_ACHIEVEMENT", SCHOOL, months(2024, 4, 12) + months(2025, 3, 6)),
    ]
    # the department hears its own figure: it is the entity's unit
    unit = rows(warehouse, "select unit_id, unit_name, owner_department_code, to_unit from marts.mart_quality__status "
                           "where indicator_code = 'DEP_TASK_ACHIEVEMENT' and entity_id = '202' and period = '2024-12'")
    assert unit == [{"unit_id": "202", "unit_name": "学生处", "owner_department_code": "206", "to_unit": True}]


OWN = [
    # (indicator, entity, period, value, (target, standard, warning), status, origin)
    ("STU_ATTEND_RATE", "2024001", TERM_2, 100, (100, 95, 90), "达成目标", "本人"),
    ("STU_ABSENT_PERIODS", "2024001", TERM_2, 0, (0, 0, 2), "达成目标", "本人"),
    ("STU_GPA", "2024005", TERM_1, 20 / 6, (3.5, 2.0, 1.5), "达标", "本人"),  # 3.33 would meet the school's 3.0
    ("STU_ATTEND_RATE", "2024005", TERM_1, 100 * 20 / 29, (99, 96, 92), "预警", "本人"),
    ("CRS_PASS_RATE", "JXB_D1", TERM_2, 100 * 28 / 30, (95, 90, 80), "达标", "本人"),
    ("STU_GPA", "2024001", TERM_1, 3.2857142857, (3.0, 2.0, 1.5), "达成目标", "学校"),  # no own target
]


@pytest.mark.parametrize(("code", "entity", "period", "value", "thresholds", "status", "origin"), OWN,
                         ids=[f"{c}-{e}-{p}" for c, e, p, *_ in OWN])
def test_own_targets_replace_the_school_thresholds(indicators, code, entity, period, value, thresholds, status,
                                                   origin):
    row = indicators[(code, entity, period)]
    assert row["value"] == pytest.approx(value)
    assert (row["target_value"], row["standard_value"], row["warning_value"]) == thresholds
    assert (row["status"], row["threshold_origin"]) == (status, origin)


def test_personal_target_achievement(warehouse):
    found = rows(warehouse, "select layer, entity_id, period, own_targets, judged_targets, met_targets, "
                            "achievement_rate from marts.mart_quality__own_target_achievement order by entity_id, period")
    assert found == [
        {"layer": "student", "entity_id": "2024001", "period": TERM_2, "own_targets": 2, "judged_targets": 2,
         "met_targets": 2, "achievement_rate": 100.0},
        {"layer": "student", "entity_id": "2024005", "period": TERM_1, "own_targets": 2, "judged_targets": 2,
         "met_targets": 0, "achievement_rate": 0.0},
        {"layer": "student", "entity_id": "2024007", "period": TERM_2, "own_targets": 1, "judged_targets": 0,
         "met_targets": 0, "achievement_rate": None},  # no grades that term: nothing to judge, not a miss
        {"layer": "course", "entity_id": "JXB_D1", "period": TERM_2, "own_targets": 1, "judged_targets": 1,
         "met_targets": 0, "achievement_rate": 0.0},
    ]
