"""The rules of the plan workbooks worked out again in plain Python, straight from the
workbooks (openpyxl), the registry seeds and the generated source databases, sharing no code
with ingest or dbt: the reference the data center's task board, 目标达成度 and own-target
statuses are compared with (docs/sources.md and docs/indicators.md, plans section)."""

from __future__ import annotations

import csv
import datetime as dt
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

NOTES = ("填表说明", "注：", "注:", "说明：", "备注")
LAYERS = {"专业": ("major", "jw", "ZFTAL_XTGL_ZYDMB", "ZYDM"), "课程": ("course", "jw", "JW_JXRW_JXBXXB", "JXB_ID"),
          "教师": ("teacher", "hr", "RS_JZGJBXX", "GH"), "学生": ("student", "jw", "JW_XJGL_XSJBXXB", "XH")}


def read_sheet(path: Path, name: str) -> list[tuple[int, dict]]:
    """(Excel row, {header: value}) of the data rows: header on row 2, notes rows end them."""
    sheet = openpyxl.load_workbook(path, data_only=True)[name]
    rows = list(sheet.iter_rows(values_only=True))
    header = [str(h).strip() if h is not None else "" for h in rows[1]]
    data = []
    for number, values in enumerate(rows[2:], start=3):
        texts = [str(v).strip() for v in values if v is not None and str(v).strip()]
        if not texts:
            continue
        if texts[0].startswith(NOTES):
            break
        data.append((number, {h: (v.strip() or None) if isinstance(v, str) else v for h, v in zip(header, values)}))
    return data


def percent(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, str) and value.endswith("%"):
        return float(value[:-1])
    number = float(value)
    return round(number * 100, 9) if abs(number) <= 1 else number


def month(value, year: int | None = None) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return f"{value.year}-{value.month:02d}"
    if isinstance(value, float):
        value = f"{value:.2f}"
    text = str(value)
    found = re.fullmatch(r"(\d{4})[-.年](\d{1,2})月?", text)
    if found:
        return f"{found[1]}-{int(found[2]):02d}"
    found = re.fullmatch(r"(\d{1,2})月", text)
    if found and year:
        return f"{year}-{int(found[1]):02d}"
    raise ValueError(f"not a month: {value!r}")


def day(value) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime("%Y-%m-%d")
    return str(value)


def as_number(value) -> float | None:
    return None if value is None else float(value)


def name_key(name: str) -> str:
    return name.strip(" \t\u3000").replace("（", "(").replace("）", ")")


def month_index(text: str) -> int:
    return int(text[:4]) * 12 + int(text[5:7])


@dataclass
class Registry:
    points: dict[str, dict]
    departments: dict[str, str]  # name key → department_code
    names: dict[str, str]        # department_code → name
    tolerance: float
    grades: tuple[float, float]  # 达标 from, 基本达标 from

    @classmethod
    def read(cls, seeds: Path) -> "Registry":
        def rows(name):
            with (seeds / f"{name}.csv").open(encoding="utf-8") as f:
                return list(csv.DictReader(f))
        departments = rows("departments")
        policy = rows("task_policy")[0]
        return cls({r["code"]: r for r in rows("quality_control_points")},
                   {name_key(d["name_zh"]): d["department_code"] for d in departments},
                   {d["department_code"]: d["name_zh"] for d in departments},
                   float(policy["behind_plan_tolerance_points"]),
                   (float(policy["grade_met_from"]), float(policy["grade_basically_met_from"])))

    def status(self, code: str, value: float | None, denominator: float | None, target: float, standard: float,
               warning: float) -> str:
        point = self.points[code]
        if value is None or (point["min_denominator"] and (denominator or 0) < float(point["min_denominator"])):
            return "数据不足"
        value = round(value, 9)
        better = (lambda a, b: a >= b) if point["direction"] == "higher" else (lambda a, b: a <= b)
        for threshold, status in ((target, "达成目标"), (standard, "达标"), (warning, "未达标")):
            if better(value, threshold):
                return status
        return "预警"

    def grade(self, value: float) -> str:
        met, basically = self.grades
        return "达标" if value >= met else "基本达标" if value >= basically else "不达标"


@dataclass
class Task:
    year: int
    task_id: str
    department: str
    start: str
    deadline: str
    weight: float
    target: float | None
    reports: dict[str, tuple[str, float, float | None]] = field(default_factory=dict)  # month → (filed, %, actual)


@dataclass
class Plan:
    tasks: list[Task]
    own_targets: dict[tuple[str, str, str], tuple]   # (code, entity, period) → (target, standard, warning)
    refused: dict[str, str]                          # 'file!sheet row N' → rule


def _refuse_duplicates(rows: list[tuple[int, tuple, tuple]], origin, refused: dict[str, str]) -> list[int]:
    """rows: (Excel row, key, values); copies of an earlier row are refused, conflicting rows all."""
    kept, first = [], {}
    for number, key, values in rows:
        if origin(number) in refused:
            continue
        if key in first:
            earlier, earlier_values = first[key]
            refused[origin(number)] = "duplicate_key"
            if values != earlier_values:
                refused[origin(earlier)] = "duplicate_key"
            continue
        first[key] = (number, values)
        kept.append(number)
    return [n for n in kept if origin(n) not in refused]


def read_tasks(path: Path, year: int, registry: Registry, refused: dict[str, str]) -> list[Task]:
    months = {f"{year}-{m:02d}" for m in range(1, 13)}
    candidates, parents = [], {}
    for number, row in read_sheet(path, "任务清单"):
        origin = f"{path.name}!任务清单 row {number}"
        start, deadline = month(row["开始月份"], year) or f"{year}-01", month(row["完成时限"], year)
        names = [row["牵头部门"]] + [n for n in (row["协同部门"] or "").split("、") if n.strip(" \t\u3000")]
        weight = number_or(row["权重"], 1.0)
        target = as_number(row["目标值"])
        parents[row["任务编号"]] = row["上级任务编号"]
        if any(name_key(n) not in registry.departments for n in names):
            refused[origin] = "unknown_department"
        elif not {start, deadline} <= months:
            refused[origin] = "unknown_period"
        elif deadline < start:
            refused[origin] = "out_of_order"
        elif (target is not None and target <= 0) or weight <= 0:
            refused[origin] = "out_of_range"
        candidates.append((number, Task(year, row["任务编号"], registry.departments[name_key(names[0])]
                                        if name_key(names[0]) in registry.departments else "", start, deadline,
                                        weight, target), row))
    for number, task, _ in candidates:  # a loop of 上级任务编号
        seen, step = {task.task_id}, parents.get(task.task_id)
        while step in parents and step not in seen:
            seen.add(step)
            step = parents[step]
        if step == task.task_id:
            refused.setdefault(f"{path.name}!任务清单 row {number}", "out_of_order")
    kept = _refuse_duplicates([(n, t.task_id, tuple(r.values())) for n, t, r in candidates],
                              lambda n: f"{path.name}!任务清单 row {n}", refused)
    tasks = {t.task_id: t for n, t, _ in candidates if n in kept}
    listed = {t.task_id for _, t, _ in candidates}
    reports = []
    for number, row in read_sheet(path, "月度进展"):
        origin = f"{path.name}!月度进展 row {number}"
        report_month, completion = month(row["月份"], year), percent(row["完成比例"])
        if row["任务编号"] not in listed:
            refused[origin] = "unknown_task"
        elif report_month not in months:
            refused[origin] = "unknown_period"
        elif not 0 <= completion <= 100:
            refused[origin] = "out_of_range"
        reports.append((number, (row["任务编号"], report_month, day(row["填报日期"])),
                        (completion, as_number(row["实际值"]))))
    for n in _refuse_duplicates(reports, lambda n: f"{path.name}!月度进展 row {n}", refused):
        (task_id, report_month, filed), (completion, actual) = next((k, v) for m, k, v in reports if m == n)
        task = tasks.get(task_id)
        if task and (report_month not in task.reports or task.reports[report_month][0] < filed):
            task.reports[report_month] = (filed, completion, actual)
    return list(tasks.values())


def number_or(value, default: float) -> float:
    return default if value is None else float(value)


def periods_of(school_year: str, grain: str) -> set[str]:
    first, last = (int(y) for y in school_year.split("-"))
    return {"term": {f"{school_year}-1", f"{school_year}-2"},
            "month": {f"{first}-{m:02d}" for m in range(9, 13)} | {f"{last}-{m:02d}" for m in range(1, 9)},
            "year": {school_year}, "graduation_year": {str(last)}}[grain]


def read_own_targets(path: Path, school_year: str, registry: Registry, sources: Path,
                     refused: dict[str, str]) -> dict[tuple[str, str, str], tuple]:
    known = {}
    for layer, (_, db, table, column) in LAYERS.items():
        with sqlite3.connect(sources / f"{db}.sqlite") as con:
            known[layer] = {str(v) for (v,) in con.execute(f"select {column} from {table}")}
    rows = []
    for number, row in read_sheet(path, "个体目标"):
        origin = f"{path.name}!个体目标 row {number}"
        code, entity, period = row["质控点编号"], str(row["对象编号"]), str(row["期间"])
        point = registry.points.get(code)
        read_value = percent if point and point["unit"] == "%" else as_number
        own = tuple(read_value(row[h]) for h in ("目标值", "标准值", "预警值"))
        if point and point["grain"] == "month" and re.fullmatch(r"\d{4}\.\d{2}|\d{4}年\d{1,2}月", period):
            period = month(period)
        if point is None or point["layer"] != LAYERS[row["层面"]][0]:
            refused[origin] = "unknown_code"
        elif entity not in known[row["层面"]]:
            refused[origin] = "unknown_entity"
        elif period not in periods_of(school_year, point["grain"]):
            refused[origin] = "unknown_period"
        elif own == (None, None, None):
            refused[origin] = "no_own_value"
        else:
            school = tuple(float(point[k]) for k in ("target_value", "standard_value", "warning_value"))
            better = (lambda a, b: a > b) if point["direction"] == "higher" else (lambda a, b: a < b)
            effective = tuple(o if o is not None else s for o, s in zip(own, school))
            if any(o is not None and better(s, o) for o, s in zip(own[1:], school[1:])):
                refused[origin] = "looser_than_school"
            elif better(effective[1], effective[0]) or better(effective[2], effective[1]):
                refused[origin] = "out_of_order"
        rows.append((number, (code, entity, period), (row["层面"], *own)))
    kept = _refuse_duplicates(rows, lambda n: f"{path.name}!个体目标 row {n}", refused)
    school_values = {code: tuple(float(p[k]) for k in ("target_value", "standard_value", "warning_value"))
                     for code, p in registry.points.items()}
    return {key: tuple(o if o is not None else s for o, s in zip(values[1:], school_values[key[0]]))
            for n, key, values in rows if n in kept}


def read_plan(folder: Path, registry: Registry, sources: Path) -> Plan:
    refused: dict[str, str] = {}
    tasks, own = [], {}
    for path in sorted(folder.glob("tasks-*.xlsx")):
        tasks += read_tasks(path, int(path.stem.split("-")[1]), registry, refused)
    for path in sorted(folder.glob("targets-*.xlsx")):
        own |= read_own_targets(path, path.stem.split("-", 1)[1], registry, sources, refused)
    return Plan(tasks, own, refused)


def board(plan: Plan, registry: Registry, as_of: dt.date) -> dict[tuple[str, str], dict]:
    """(task, month) → status, completion, planned and achievement, as docs/indicators.md defines them."""
    found = {}
    for task in plan.tasks:
        last = 12 if task.year < as_of.year else as_of.month if task.year == as_of.year else 0
        for m in range(int(task.start[5:]), last + 1):
            this = f"{task.year}-{m:02d}"
            reported = [r for r in task.reports if r <= this]
            _, completion, actual = task.reports[max(reported)] if reported else (None, 0.0, None)
            both = actual is not None and task.target is not None
            completed = completion >= 100 or (both and actual >= task.target)
            achievement = min(actual / task.target, 1) * 100 if both else min(completion, 100)
            span = month_index(task.deadline) - month_index(task.start) + 1
            planned = min(100.0, 100 * (month_index(this) - month_index(task.start) + 1) / span)
            status = ("已完成" if completed else "未完成" if this > task.deadline
                      else "预警" if completion < round(planned, 9) - registry.tolerance else "正常")
            found[(task.task_id, this)] = {"status": status, "completion": completion, "planned": planned,
                                           "achievement": achievement, "department": task.department,
                                           "weight": task.weight, "deadline": task.deadline}
    return found


def achievements(found: dict[tuple[str, str], dict]) -> dict[tuple[str, str], float]:
    """(department code or 'school', month) → 目标达成度 over the tasks due by the month."""
    sums: dict[tuple[str, str], list[float]] = {}
    for (_, this), row in found.items():
        if row["deadline"] <= this:
            for entity in (row["department"], "school"):
                total = sums.setdefault((entity, this), [0.0, 0.0])
                total[0] += row["weight"] * row["achievement"]
                total[1] += row["weight"]
    return {key: achieved / weight for key, (achieved, weight) in sums.items()}
