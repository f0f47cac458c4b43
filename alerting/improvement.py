"""The improvement-loop report: what became of the warnings of a period, per department.

Counts per responsible department (and per control point): warnings raised, acknowledged,
resolved because the indicator recovered, closed by hand with an improvement note, still
open; and the median days from opening to resolution. It reads only the ledger (plus the
term calendar, to place monthly warnings in a term), so it works while the warehouse is
being rebuilt.
"""

from __future__ import annotations

import io
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
from openpyxl import Workbook
from openpyxl.styles import Font

from alerting.ledger import CLOSED_BY_NOTE, CLOSED_BY_RECOVERY, WarningRow, load_warnings
from expectations.registry import ControlPoint, Department
from zhengai.clock import parse_school_time
from zhengai.periods import period_bounds, period_kind, school_year_of

TOTAL_LABEL = "合计"
COLLEGE_KIND = "college"


@dataclass(frozen=True)
class LoopCounts:
    department_code: str
    department_name: str
    indicator_code: str  # '' on a department's row
    indicator_name: str
    raised: int
    acknowledged: int
    recovered: int  # resolved: 指标恢复
    closed_with_note: int  # resolved by hand with an improvement note
    still_open: int
    median_days_to_resolution: float | None


def load_terms(warehouse: Path) -> dict[str, tuple[date, date]]:
    """Term name → (first, last teaching day) from core.dim_term; empty when it cannot be read."""
    try:
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            rows = connection.execute(
                "select term_name, start_date, end_date from core.dim_term where start_date is not null and end_date is not null"
            ).fetchall()
    except (duckdb.Error, OSError):
        return {}
    return {name: (start, end) for name, start, end in rows}


def belongs_to_period(warning_period: str, period: str, terms: dict[str, tuple[date, date]]) -> bool:
    """A warning counts for a period when it is that period; for a school year also its terms,
    its months and the graduation year it ends; for a term the months that overlap it by the
    term calendar (without one a month is placed in no term)."""
    if warning_period == period:
        return True
    report_kind, kind = period_kind(period), period_kind(warning_period)
    if report_kind == "school_year":
        if kind in ("term", "graduation_year"):
            return school_year_of(warning_period) == period
        if kind == "month":  # by the calendar: a school year runs September to August
            return school_year_of(warning_period) == period
        return False
    if report_kind == "term" and kind == "month" and period in terms:
        month, (start, end) = period_bounds(warning_period), terms[period]
        return month[0] <= end and month[1] >= start
    return False


def latest_school_year(ledger: Path, terms: dict[str, tuple[date, date]] | None = None) -> str | None:
    """The report's default period: the school year of the term calendar's latest term (the
    task board's months run on into the next school year), else the latest of the ledger."""
    years = {school_year_of(name) for name in terms or {}} - {None}
    if not years:
        years = {school_year_of(w.period) for w in load_warnings(ledger)} - {None}
    return max(years) if years else None


def _days_to_resolution(warning: WarningRow) -> float:
    opened = parse_school_time(warning.opened_at)
    resolved = parse_school_time(warning.resolved_at)
    return (resolved - opened).total_seconds() / 86400


def _counts(code: str, name: str, indicator: str, indicator_name: str, warnings: list[WarningRow]) -> LoopCounts:
    resolved = [w for w in warnings if not w.is_open and w.resolved_at]
    days = [_days_to_resolution(w) for w in resolved]
    return LoopCounts(
        department_code=code,
        department_name=name,
        indicator_code=indicator,
        indicator_name=indicator_name,
        raised=len(warnings),
        acknowledged=sum(1 for w in warnings if w.acknowledged_at),
        recovered=sum(1 for w in resolved if w.resolution_kind == CLOSED_BY_RECOVERY),
        closed_with_note=sum(1 for w in resolved if w.resolution_kind == CLOSED_BY_NOTE),
        still_open=sum(1 for w in warnings if w.is_open),
        median_days_to_resolution=round(statistics.median(days), 1) if days else None,
    )


def improvement_report(
    ledger: Path,
    period: str,
    departments: list[Department],
    points: list[ControlPoint],
    terms: dict[str, tuple[date, date]] | None = None,
) -> tuple[list[LoopCounts], list[LoopCounts], list[LoopCounts]]:
    """(one row per responsible department plus a 合计 row, one row per college (二级学院) the
    warned entities belong to, one row per department × control point)."""
    names = {d.department_code: d.name_zh for d in departments}
    colleges = {d.department_code for d in departments if d.kind == COLLEGE_KIND}
    point_names = {p.code: p.name_zh for p in points}
    warnings = [w for w in load_warnings(ledger) if belongs_to_period(w.period, period, terms or {})]
    by_department: dict[str, list[WarningRow]] = defaultdict(list)
    by_college: dict[str, list[WarningRow]] = defaultdict(list)
    by_indicator: dict[tuple[str, str], list[WarningRow]] = defaultdict(list)
    for warning in warnings:
        owner = warning.owner_department_code or ""
        by_department[owner].append(warning)
        by_indicator[(owner, warning.indicator_code)].append(warning)
        if warning.unit_id in colleges:
            by_college[warning.unit_id].append(warning)
    department_rows = [
        _counts(code, names.get(code, code), "", "", rows) for code, rows in sorted(by_department.items())
    ]
    if department_rows:
        department_rows.append(_counts("", TOTAL_LABEL, "", "", warnings))
    college_rows = [_counts(code, names[code], "", "", rows) for code, rows in sorted(by_college.items())]
    indicator_rows = [
        _counts(code, names.get(code, code), indicator, point_names.get(indicator, indicator), rows)
        for (code, indicator), rows in sorted(by_indicator.items())
    ]
    return department_rows, college_rows, indicator_rows


HEADER = ["部门代码", "部门", "质控点代码", "质控点", "发出预警", "已确认", "指标恢复解除", "填写改进说明关闭", "仍未解除", "解除用时中位数（天）"]


def _cells(row: LoopCounts) -> list:
    return [
        row.department_code, row.department_name, row.indicator_code, row.indicator_name, row.raised,
        row.acknowledged, row.recovered, row.closed_with_note, row.still_open, row.median_days_to_resolution,
    ]


def _report_lines(department_rows: list[LoopCounts]) -> list[str]:
    lines = [" | ".join(h for h in HEADER if not h.startswith("质控点"))]
    for row in department_rows:
        median = "—" if row.median_days_to_resolution is None else f"{row.median_days_to_resolution:g}"
        lines.append(
            " | ".join(
                [row.department_code or "", row.department_name, str(row.raised), str(row.acknowledged), str(row.recovered),
                 str(row.closed_with_note), str(row.still_open), median]
            )
        )
    return lines


def format_report(period: str, department_rows: list[LoopCounts], college_rows: list[LoopCounts] | None = None) -> str:
    if not department_rows:
        return f"{period}：台账中没有该期间的预警。"
    lines = [f"诊改改进闭环报告 · {period}", "", "按责任部门：", *_report_lines(department_rows)]
    if college_rows:
        lines += ["", "按二级学院（预警对象所属学院）：", *_report_lines(college_rows)]
    return "\n".join(lines)


def report_workbook(
    period: str, department_rows: list[LoopCounts], indicator_rows: list[LoopCounts], college_rows: list[LoopCounts] | None = None
) -> bytes:
    workbook = Workbook()
    sheets = (("按部门", department_rows), ("按二级学院", college_rows or []), ("按质控点", indicator_rows))
    for index, (title, rows) in enumerate(sheets):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        sheet.title = title
        sheet.append([f"诊改改进闭环报告 · {period}"])
        sheet.append(HEADER)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(_cells(row))
        sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
