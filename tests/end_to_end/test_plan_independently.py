"""The plan workbooks of a school no one here has looked at (the generator's seed 11, other
dates and weights than the demo's), against plan_reference.py's computation straight from
the workbooks: the board of every task and month, the 目标达成度 of every department and of
the school for every month, every status judged against an own target, and every refused
row in meta.quarantine."""

from __future__ import annotations

import duckdb
import pytest

from tests.end_to_end import plan_reference
from zhengai.clock import school_now
from zhengai.settings import REGISTRY_DIR


@pytest.fixture(scope="module")
def reference(two_syncs):
    registry = plan_reference.Registry.read(REGISTRY_DIR)
    sources = two_syncs.settings.state_path.parent
    plan = plan_reference.read_plan(two_syncs.settings.plan_path, registry, sources)
    return registry, plan, plan_reference.board(plan, registry, school_now().date())


def query(two_syncs, sql: str) -> list[tuple]:
    with duckdb.connect(str(two_syncs.settings.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_the_board_of_every_task_and_month(two_syncs, reference):
    _, plan, expected = reference
    found = {(task, month): (status, completion, planned, achievement)
             for task, month, status, completion, planned, achievement in query(
                 two_syncs, "select task_id, month, status, completion_pct, planned_pct, achievement_pct "
                            "from marts.mart_task__board")}
    assert len(expected) > 300 and {row["status"] for row in expected.values()} == {"正常", "已完成", "未完成", "预警"}
    assert set(found) == set(expected)
    for key, row in expected.items():
        status, completion, planned, achievement = found[key]
        assert status == row["status"], key
        assert (completion, achievement) == pytest.approx((row["completion"], row["achievement"])), key
        assert planned == pytest.approx(row["planned"]), key


def test_the_achievement_of_every_department_and_month(two_syncs, reference):
    registry, _, board = reference
    expected = plan_reference.achievements(board)
    found = {(entity if code == "DEP_TASK_ACHIEVEMENT" else "school", period): (value, status, grade)
             for code, entity, period, value, status, grade in query(
                 two_syncs, "select indicator_code, entity_id, period, value, status, achievement_grade "
                            "from marts.mart_quality__status where indicator_code in "
                            "('DEP_TASK_ACHIEVEMENT', 'SCH_TASK_ACHIEVEMENT')")}
    assert set(found) == set(expected)
    point = registry.points["DEP_TASK_ACHIEVEMENT"]
    thresholds = [float(point[k]) for k in ("target_value", "standard_value", "warning_value")]
    for key, value in expected.items():
        assert found[key][0] == pytest.approx(value), key
        assert found[key][1:] == (registry.status("DEP_TASK_ACHIEVEMENT", value, None, *thresholds),
                                  registry.grade(value)), key
    december = {found[key][2] for key in expected if key[0] != "school" and key[1].endswith("-12")}
    assert {"达标", "基本达标", "不达标"} <= december


def test_every_status_judged_against_an_own_target(two_syncs, reference):
    registry, plan, _ = reference
    judged = {(code, entity, period): row for code, entity, period, *row in query(
        two_syncs, "select indicator_code, entity_id, period, value, denominator, target_value, standard_value, "
                   "warning_value, status, threshold_origin from marts.mart_quality__status")}
    own = {key: row for key, row in judged.items() if row[-1] == "本人"}
    # every own target the reference accepts and the data center has a value row for, and no other
    assert set(own) == {key for key in plan.own_targets if key in judged}
    assert len(own) > 0.8 * len(plan.own_targets)
    for key, (value, denominator, target, standard, warning, status, _) in own.items():
        assert (target, standard, warning) == pytest.approx(plan.own_targets[key]), key
        assert status == registry.status(key[0], value, denominator, *plan.own_targets[key]), key


def test_every_refused_row_is_in_the_quarantine(two_syncs, reference):
    _, plan, _ = reference
    # each sync read the same workbooks and refused the same rows
    found = dict(query(two_syncs, "select distinct raw_values->>'_origin', rule from meta.quarantine "
                                  "where source = 'plan'"))
    assert plan.refused and found == plan.refused
    rules = set(plan.refused.values())
    assert {"unknown_department", "unknown_task", "looser_than_school", "out_of_order", "unknown_code",
            "unknown_entity", "unknown_period"} <= rules
