"""Connector for the quality office's plan workbooks in `<plan_path>/`: `tasks-2025.xlsx`
(任务清单, 月度进展) and `targets-2024-2025.xlsx` (个体目标).

Sheets are read as the state workbook's are (workbook.py: title row, notes rows, headers
matched loosely, cells as text), then the plan's own quirks: a bare month (`3月`) takes the
workbook's year; an own target of a control point measured in % reads `95%`, `95` and `0.95`
alike, and a month period `2024.10` or `2024年10月` as `2024-10`. A row that meets the contract
but breaks a rule of the plan (docs/sources.md, docs/indicators.md) is refused here with its
rule, its reason and the workbook, sheet and row it came from; nothing is guessed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from expectations.registry import ControlPoint, load_departments_csv, load_registry_csv
from ingest import contract
from ingest.config import SourceSpec, TableConfig
from ingest.connectors.workbook import ORIGIN, Workbooks, read_table
from zhengai.sql import quote_identifier

# the plan's own rules, named in Chinese in a refused row's reason
PLAN_RULE_NAMES_ZH = {
    "unknown_department": "部门不在登记表中", "unknown_task": "任务编号不存在",
    "unknown_code": "质控点编号不存在", "unknown_entity": "对象编号不存在",
    "unknown_period": "期间不符", "out_of_order": "先后顺序不符",
    "looser_than_school": "个体目标宽于学校标准", "out_of_range": "数值超出范围",
}

# How the period in a workbook's name is written.
PERIOD_PATTERNS = {"calendar_year": r"(\d{4})", "school_year": r"(\d{4})-(\d{4})"}
BARE_MONTH = r"^\s*(\d{1,2})\s*月\s*$"
# 个体目标 层面 → (the registry layer of its control points, the raw table and column in
# which its 对象编号 must exist)
ENTITY_LAYERS = {
    "专业": ("major", "raw_jw", "ZFTAL_XTGL_ZYDMB", "ZYDM"),
    "课程": ("course", "raw_jw", "JW_JXRW_JXBXXB", "JXB_ID"),
    "教师": ("teacher", "raw_hr", "RS_JZGJBXX", "GH"),
    "学生": ("student", "raw_jw", "JW_XJGL_XSJBXXB", "XH"),
}
# The raw tables own targets are checked against: their sources load first.
ENTITY_TABLES = sorted({(schema, table) for _, schema, table, _ in ENTITY_LAYERS.values()})
PERCENT_UNIT = "%"
SUPPORTING_SEPARATOR = "、"
# Spaces typed around a name; full-width brackets are the same brackets.
NAME_BLANKS = " \t\u3000"

Refusal = tuple[str, str]  # (rule, reason)


def department_key(name: str) -> str:
    """A department name as typed, compared with the registry's: blanks at either end and the
    width of brackets do not count, nothing else is forgiven (a name with an added bracketed
    note is another name)."""
    return name.strip(NAME_BLANKS).replace("（", "(").replace("）", ")")


def plan_workbooks(folder: Path, table: TableConfig) -> dict[int | str, Path]:
    """The period each workbook of `table` covers → the workbook (e.g. 2025 → tasks-2025.xlsx)."""
    prefix, period, suffix = re.split(r"<(\w+)>", table.file)
    pattern = re.compile(re.escape(prefix) + PERIOD_PATTERNS[period] + re.escape(suffix) + "$",
                         re.IGNORECASE)
    found: dict[int | str, Path] = {}
    for path in sorted(Path(folder).glob("*.xlsx")):
        match = pattern.match(path.name)
        if not match:
            continue
        if period == "calendar_year":
            found[int(match.group(1))] = path
        elif int(match.group(2)) == int(match.group(1)) + 1:  # a school year: 2024-2025
            found[f"{match.group(1)}-{match.group(2)}"] = path
    return found


class PlanContext:
    """What the plan's rules compare rows with, read once per ingest run: the registry seeds
    (departments, control points) and the 对象编号 the source systems know."""

    def __init__(self, registry_dir: Path, con: duckdb.DuckDBPyConnection):
        self.departments = {department_key(d.name_zh): d.department_code
                            for d in load_departments_csv(registry_dir / "departments.csv")}
        self.points: dict[str, ControlPoint] = {
            p.code: p for p in load_registry_csv(registry_dir / "quality_control_points.csv")}
        self._con = con
        self._entities: dict[str, set[str]] = {}
        self.workbooks = Workbooks()

    def entities(self, layer_zh: str) -> set[str]:
        if layer_zh not in self._entities:
            _, schema, table, column = ENTITY_LAYERS[layer_zh]
            try:
                rows = self._con.execute(
                    f"SELECT DISTINCT trim(CAST({quote_identifier(column)} AS VARCHAR)) "
                    f"FROM {quote_identifier(schema)}.{quote_identifier(table)} "
                    f"WHERE {quote_identifier(column)} IS NOT NULL").fetchall()
            except duckdb.CatalogException:
                raise contract.ContractError(
                    f"{schema}.{table} is not loaded: the 对象编号 of 层面 {layer_zh} cannot be "
                    f"checked (load its source first)") from None
            self._entities[layer_zh] = {value for (value,) in rows}
        return self._entities[layer_zh]


@dataclass
class PlanTableReading:
    batches: list[pl.DataFrame]  # rows for the contract check, as read (text)
    refused: pl.DataFrame        # rows refused by the plan's rules (contract.REJECTED_SCHEMA)


def read_plan_table(folder: Path, spec: SourceSpec, table: TableConfig,
                    context: PlanContext) -> PlanTableReading:
    """Every workbook of `table` in `folder`, one batch each, with the rows the plan's rules
    refuse set aside (a workbook that cannot be read fails the whole table)."""
    batches, refused = [], [pl.DataFrame(schema=contract.REJECTED_SCHEMA)]
    for period, path in plan_workbooks(folder, table).items():
        frame = read_table(path, period, table, spec.workbook, context.workbooks)
        frame = _read_bare_months(frame, table, period)
        rules = TABLE_RULES.get(table.name)
        if rules is None:
            batches.append(frame)
            continue
        frame = rules.prepare(frame, context)
        rows = _typed_rows(frame, table)
        reasons = rules.refusals(rows, table, period, path, spec, context)
        reasons.update(_duplicates(rows, table, reasons))
        batches.append(frame.filter(~pl.col(ORIGIN).is_in(list(reasons))))
        refused.append(_refused_rows(frame, table, reasons))
    return PlanTableReading(batches, pl.concat(refused))


def _read_bare_months(frame: pl.DataFrame, table: TableConfig, period: int | str) -> pl.DataFrame:
    """`3月` in a calendar year's workbook is that year's March."""
    if not isinstance(period, int):
        return frame
    months = [c.name for c in table.columns if c.type == "year_month"]
    return frame.with_columns(
        pl.when(pl.col(m).str.contains(BARE_MONTH))
        .then(pl.format("{}-{}", pl.lit(str(period)), pl.col(m).str.extract(BARE_MONTH).str.zfill(2)))
        .otherwise(pl.col(m)).alias(m)
        for m in months)


def _typed_rows(frame: pl.DataFrame, table: TableConfig) -> list[dict]:
    """The rows that meet the contract, typed, each with its origin (the others are left to
    the contract check, which quarantines them with its own rules)."""
    checked = contract.check(frame, table)
    broken = {json.loads(values)[ORIGIN] for values in checked.rejected["raw_values"]}
    origins = frame.filter(~pl.col(ORIGIN).is_in(list(broken)))[ORIGIN]
    return checked.valid.with_columns(origins).to_dicts()


def _duplicates(rows: list[dict], table: TableConfig, refused: dict[str, Refusal]) -> dict[str, Refusal]:
    """Rows with the same key: copies of the first are set aside, and when they differ none of
    them is taken (which one is meant is not guessed)."""
    first: dict[tuple, dict] = {}
    found: dict[str, Refusal] = {}
    columns = table.column_names
    for row in rows:
        if row[ORIGIN] in refused:
            continue
        key = tuple(row[k] for k in table.key)
        earlier = first.setdefault(key, row)
        if earlier is row:
            continue
        shown = ", ".join(str(row[k]) for k in table.key)
        if all(row[c] == earlier[c] for c in columns):
            found[row[ORIGIN]] = ("duplicate_key", f"repeats {earlier[ORIGIN]} ({shown})")
        else:
            reason = f"{shown} is given twice with different values: {earlier[ORIGIN]}, {row[ORIGIN]}"
            found[row[ORIGIN]] = found[earlier[ORIGIN]] = ("duplicate_key", reason)
    return found


def _refused_rows(frame: pl.DataFrame, table: TableConfig, reasons: dict[str, Refusal]) -> pl.DataFrame:
    why = pl.DataFrame({ORIGIN: list(reasons), "rule": [r for r, _ in reasons.values()],
                        "detail": [d for _, d in reasons.values()]}, schema={
        ORIGIN: pl.String, "rule": pl.String, "detail": pl.String})
    return frame.join(why, on=ORIGIN, how="inner", maintain_order="left").select(
        contract.row_key_expr(table.key).alias("row_key"), "rule", "detail",
        pl.struct(frame.columns).struct.json_encode().alias("raw_values"),
        pl.lit(None, pl.String).alias("column_name"), pl.lit(None, pl.String).alias("value"),
        pl.format("{}：{}（{}）", pl.col("rule").replace_strict(
            contract.RULE_NAMES_ZH | PLAN_RULE_NAMES_ZH, default=pl.col("rule")),
            pl.col("detail"), pl.col(ORIGIN)).alias("reason"),
    ).cast(contract.REJECTED_SCHEMA)


def _header(table: TableConfig, column: str) -> str:
    return table.column(column).header or column


def _months_of(year: int) -> set[str]:
    return {f"{year}-{month:02d}" for month in range(1, 13)}


def _number(value: float) -> str:
    return f"{value:g}"


class PlanRules:
    """The rules of one plan table: `prepare` reads the table's own quirks, `refusal` judges
    one typed row (None: taken)."""

    @staticmethod
    def prepare(frame: pl.DataFrame, context: PlanContext) -> pl.DataFrame:
        return frame

    @classmethod
    def refusals(cls, rows: list[dict], table: TableConfig, period: int | str, path: Path,
                 spec: SourceSpec, context: PlanContext) -> dict[str, Refusal]:
        found = {}
        for row in rows:
            refusal = cls.refusal(row, table, period, context)
            if refusal:
                found[row[ORIGIN]] = refusal
        return found

    @staticmethod
    def refusal(row: dict, table: TableConfig, period: int | str, context: PlanContext) -> Refusal | None:
        return None


class TaskRules(PlanRules):
    """任务清单: departments the registry knows, months of the workbook's year in order,
    a positive 目标值 and 权重, a chain of 上级任务编号 that ends."""

    @classmethod
    def refusals(cls, rows: list[dict], table: TableConfig, year: int, path: Path, spec: SourceSpec,
                 context: PlanContext) -> dict[str, Refusal]:
        found = super().refusals(rows, table, year, path, spec, context)
        parent_of = {row["task_id"]: row["parent_task_id"] for row in rows}
        for row in rows:
            chain = [row["task_id"]]
            while parent_of.get(chain[-1]) in parent_of and parent_of[chain[-1]] not in chain:
                chain.append(parent_of[chain[-1]])
            if parent_of.get(chain[-1]) == row["task_id"] and row[ORIGIN] not in found:
                loop = " → ".join([*chain, row["task_id"]])
                found[row[ORIGIN]] = ("out_of_order", f"{_header(table, 'parent_task_id')} "
                                                      f"goes round in a loop: {loop}")
        return found

    @staticmethod
    def refusal(row: dict, table: TableConfig, year: int, context: PlanContext) -> Refusal | None:
        names = [("lead_department", row["lead_department"])]
        names += [("supporting_departments", name)
                  for name in (row["supporting_departments"] or "").split(SUPPORTING_SEPARATOR)
                  if name.strip(NAME_BLANKS)]
        for column, name in names:
            if department_key(name) not in context.departments:
                return ("unknown_department",
                        f"{_header(table, column)}: '{name}' is no department of the registry")
        start, deadline = row["start_month"] or f"{year}-01", row["deadline_month"]
        for column, month in (("start_month", start), ("deadline_month", deadline)):
            if month not in _months_of(year):
                return "unknown_period", f"{_header(table, column)}: {month} is not a month of {year}"
        if deadline < start:
            return ("out_of_order", f"{_header(table, 'deadline_month')} {deadline} is before "
                                    f"{_header(table, 'start_month')} {start}")
        for column in ("target_value", "weight"):
            if row[column] is not None and row[column] <= 0:
                return ("out_of_range",
                        f"{_header(table, column)}: {_number(row[column])} must be above 0")
        return None


class ProgressRules(PlanRules):
    """月度进展: a task of the same workbook's 任务清单, a month of its year, 0–100 %."""

    @classmethod
    def refusals(cls, rows: list[dict], table: TableConfig, year: int, path: Path, spec: SourceSpec,
                 context: PlanContext) -> dict[str, Refusal]:
        tasks_table = spec.table("tasks")
        tasks = read_table(path, year, tasks_table, spec.workbook, context.workbooks)
        task_ids = {t.strip() for t in tasks["task_id"] if t}
        found = {}
        for row in rows:
            if row["task_id"] not in task_ids:
                found[row[ORIGIN]] = ("unknown_task", f"{_header(table, 'task_id')}: '{row['task_id']}' "
                                                      f"is not in sheet {tasks_table.sheet}")
            elif row["report_month"] not in _months_of(year):
                found[row[ORIGIN]] = ("unknown_period", f"{_header(table, 'report_month')}: "
                                                        f"{row['report_month']} is not a month of {year}")
            elif not 0 <= row["completion"] <= 100:
                found[row[ORIGIN]] = ("out_of_range", f"{_header(table, 'completion')}: "
                                                      f"{_number(row['completion'])}% is not within 0–100%")
        return found


class OwnTargetRules(PlanRules):
    """个体目标: a registry control point of the row's 层面, an entity the sources know, a
    period of the workbook's school year of the control point's grain, own values no looser
    than the school's and in order from best to worst."""

    VALUES = ("target_value", "standard_value", "warning_value")

    @staticmethod
    def prepare(frame: pl.DataFrame, context: PlanContext) -> pl.DataFrame:
        """Own values of a control point measured in % as percentages; a month as YYYY-MM
        (but not 2024.1, which Excel makes of 2024.10 typed as a number: that is refused)."""
        percent_codes = [code for code, p in context.points.items() if p.unit == PERCENT_UNIT]
        month_codes = [code for code, p in context.points.items() if p.grain == "month"]
        code = pl.col("indicator_code").str.strip_chars()
        as_percent = []
        for value in OwnTargetRules.VALUES:
            percent = contract.cast_expr(value, pl.String, "percent")
            as_percent.append(pl.when(code.is_in(percent_codes) & percent.is_not_null())
                              .then(percent.cast(pl.String)).otherwise(pl.col(value)).alias(value))
        month = contract.cast_expr("period", pl.String, "year_month")
        ambiguous = pl.col("period").str.contains(r"^\s*\d{4}\.\d\s*$")
        as_month = (pl.when(code.is_in(month_codes) & month.is_not_null() & ~ambiguous)
                    .then(month).otherwise(pl.col("period")))
        return frame.with_columns(*as_percent, as_month.alias("period"))

    @staticmethod
    def refusal(row: dict, table: TableConfig, school_year: str, context: PlanContext) -> Refusal | None:
        layer_zh, code, entity, period = (row["layer_zh"], row["indicator_code"], row["entity_id"],
                                          row["period"])
        layer, schema, raw_table, column = ENTITY_LAYERS[layer_zh]
        point = context.points.get(code)
        if point is None:
            return "unknown_code", f"{_header(table, 'indicator_code')}: '{code}' is not in the registry"
        if point.layer != layer:
            return ("unknown_code", f"{_header(table, 'indicator_code')}: {code} is a control point "
                                    f"of layer {point.layer}, not of 层面 {layer_zh}")
        if entity not in context.entities(layer_zh):
            return ("unknown_entity", f"{_header(table, 'entity_id')}: '{entity}' is not in "
                                      f"{schema}.{raw_table}.{column}")
        if period not in periods_of(school_year, point.grain):
            return ("unknown_period", f"{_header(table, 'period')}: '{period}' is not a {point.grain} "
                                      f"of {school_year} ({code} is judged per {point.grain})")
        own = [row[value] for value in OwnTargetRules.VALUES]
        if all(value is None for value in own):
            return ("no_own_value", f"{', '.join(_header(table, v) for v in OwnTargetRules.VALUES)} "
                                    f"are all empty")
        school = [point.target_value, point.standard_value, point.warning_value]
        better = _better(point.direction)
        for name, mine, theirs in zip(OwnTargetRules.VALUES[1:], own[1:], school[1:]):
            if mine is not None and theirs is not None and better(theirs, mine):
                return ("looser_than_school", f"{_header(table, name)}: {_number(mine)} is looser than "
                                              f"the school's {_number(theirs)} ({code}: "
                                              f"{point.direction} is better)")
        effective = [mine if mine is not None else theirs for mine, theirs in zip(own, school)]
        known = [value for value in effective if value is not None]
        if any(better(worse, best) for best, worse in zip(known, known[1:])):
            shown = ", ".join(f"{_header(table, name)} {_number(value)}"
                              for name, value in zip(OwnTargetRules.VALUES, effective) if value is not None)
            return ("out_of_order", f"{shown} do not run from best to worst ({code}: "
                                    f"{point.direction} is better)")
        return None


def _better(direction: str) -> Callable[[float, float], bool]:
    """better(a, b): a is strictly better than b for the control point's direction."""
    return (lambda a, b: a > b) if direction == "higher" else (lambda a, b: a < b)


def periods_of(school_year: str, grain: str) -> set[str]:
    """The periods of a school year (2024-2025) at a control point's grain."""
    first, last = (int(y) for y in school_year.split("-"))
    if grain == "term":
        return {f"{school_year}-1", f"{school_year}-2"}
    if grain == "month":
        return {f"{first}-{m:02d}" for m in range(9, 13)} | {f"{last}-{m:02d}" for m in range(1, 9)}
    if grain == "year":
        return {school_year}
    if grain == "graduation_year":
        return {str(last)}
    return set()


TABLE_RULES = {"tasks": TaskRules, "task_progress": ProgressRules, "own_targets": OwnTargetRules}
