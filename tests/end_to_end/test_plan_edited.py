"""An edited workbook is picked up by the next sync: a copy of the synced school, where the
quality office files December's report of a task that had stalled, is synced once more."""

from __future__ import annotations

import shutil

import dagster as dg
import duckdb
import openpyxl
import pytest

from orchestration.run_once import run_sync
from zhengai.settings import Settings


def query(settings: Settings, sql: str, *params) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


@pytest.fixture(scope="module")
def edited(two_syncs, planted_json, tmp_path_factory):
    base = tmp_path_factory.mktemp("edited")
    shutil.copytree(two_syncs.settings.warehouse.parent, base, dirs_exist_ok=True)
    settings = Settings.from_env({"ZHENGAI_DATA_DIR": str(base)})
    year = max(planted_json["plan"]["task_years"])
    failing = planted_json["plan"]["task_years"][year]["failing"]
    (task, weight), *_ = query(settings, "select task_id, weight from marts.mart_task__board where month = ? "
                                         "and lead_department_code = ? and status = '未完成' order by task_id",
                               f"{year}-12", failing)
    before = {task: (status, achievement, weight) for task, status, achievement, weight in query(
        settings, "select task_id, status, achievement_pct, weight from marts.mart_task__board "
                  "where month = ? and lead_department_code = ?", f"{year}-12", failing)}
    progress_rows = query(settings, "select count(*) from raw_plan.task_progress")[0][0]

    path = settings.plan_path / f"tasks-{year}.xlsx"
    book = openpyxl.load_workbook(path)
    sheet = book["月度进展"]
    notes_at = next(row for row in range(3, sheet.max_row + 1)
                    if str(sheet.cell(row, 1).value or "").startswith("填表说明"))
    sheet.insert_rows(notes_at)
    # a second report for December, filed after the first: it stands
    for column, value in enumerate([task, "12月", "100%", None, "补报：已完成", None, f"{int(year) + 1}-01-10"],
                                   start=1):
        sheet.cell(notes_at, column, value)
    book.save(path)

    summary = run_sync(settings, instance=dg.DagsterInstance.ephemeral())
    assert summary.succeeded, summary.errors
    return settings, year, failing, task, before, progress_rows, summary


def test_the_report_lands_and_the_board_and_achievement_follow(edited):
    settings, year, failing, task, before, progress_rows, summary = edited
    assert query(settings, "select count(*) from raw_plan.task_progress")[0][0] == progress_rows + 1
    assert query(settings, "select completion from raw_plan.task_progress where task_id = ? and report_month = ? "
                           "and reported_on = ?", task, f"{year}-12", f"{int(year) + 1}-01-10") == [(100.0,)]
    assert query(settings, "select status, achievement_pct from marts.mart_task__board where task_id = ? "
                           "and month = ?", task, f"{year}-12") == [("已完成", 100.0)]
    # the department's December: the stalled task now counts 100 instead of its old achievement
    weights = sum(weight for _, _, weight in before.values())
    expected = sum(weight * (100 if t == task else achievement) for t, (_, achievement, weight) in before.items())
    (value,), = query(settings, "select value from marts.mart_quality__status where indicator_code = "
                                "'DEP_TASK_ACHIEVEMENT' and entity_id = ? and period = ?", failing, f"{year}-12")
    assert value == pytest.approx(expected / weights) and value > before[task][1]
    assert summary.rows_by_source["plan"][1] > 0
