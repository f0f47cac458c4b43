"""The task board and 目标达成度 in the sync summary: the board's latest month, its tasks by
status, and each department's 目标达成度 with its grade (Chinese, for `zhengai sync`)."""

from __future__ import annotations

from pathlib import Path

import duckdb

BOARD_ORDER = ("已完成", "正常", "预警", "未完成")


def task_board_lines(warehouse: Path) -> list[str]:
    """Lines for the summary; none when the warehouse has no board or no task yet."""
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            month = con.execute("select max(month) from marts.mart_task__board").fetchone()[0]
            if month is None:
                return ["  目标任务：无任务清单（ZHENGAI_PLAN_PATH 下无 tasks-<年份>.xlsx）"]
            statuses = dict(con.execute(
                "select status, count(*) from marts.mart_task__board where month = ? group by status",
                [month]).fetchall())
            achievements = con.execute(
                "select indicator_code, entity_name, value, achievement_grade from marts.mart_quality__status "
                "where indicator_code in ('SCH_TASK_ACHIEVEMENT', 'DEP_TASK_ACHIEVEMENT') and period = ? "
                "order by indicator_code desc, value, entity_id", [month]).fetchall()
            own = con.execute("select count(*), count(*) filter (where status = '预警') from marts.mart_quality__status "
                              "where threshold_origin = '本人'").fetchone()
            # rows the last load of each plan table refused
            refused = con.execute("select coalesce(sum(rows_quarantined), 0) from (select rows_quarantined, "
                                  "row_number() over (partition by table_name order by started_at desc) as recency "
                                  "from meta.load_audit where source = 'plan') where recency = 1").fetchone()[0]
    except duckdb.CatalogException:
        return []
    counts = "、".join(f"{status} {statuses[status]}" for status in BOARD_ORDER if statuses.get(status))
    lines = [f"  任务看板（{month}）：任务 {sum(statuses.values())} 项，{counts}（marts.mart_task__board）"]
    school = [f"{value:.1f}%（{grade}）" for code, _, value, grade in achievements if code == "SCH_TASK_ACHIEVEMENT"]
    departments = [(name, value, grade) for code, name, value, grade in achievements if code == "DEP_TASK_ACHIEVEMENT"]
    if school or departments:
        below = [f"{name} {value:.1f}%（{grade}）" for name, value, grade in departments if grade != "达标"]
        met = sum(grade == "达标" for _, _, grade in departments)
        lines.append(f"  目标达成度（{month}）：全校 {school[0] if school else '—'}；部门达标 {met} 个"
                     + (f"；{'、'.join(below)}" if below else ""))
    lines.append(f"  个体目标：按本人阈值判定 {own[0]} 项，其中预警 {own[1]} 项")
    if refused:
        lines.append(f"  工作簿中未采用 {refused} 行（行号与原因见 data_quality.dq_plan_refusals）")
    return lines
