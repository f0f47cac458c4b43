"""The improvement-loop report: what became of the warnings of a period, per department.

Counts per responsible department (and per control point): warnings raised, acknowledged,
resolved because the indicator recovered, closed by hand with an improvement note, still
open; and the median days from opening to resolution. It reads only the ledger (plus the
term calendar, to place monthly warnings in a term), so it works while the warehouse is
being rebuilt.
"""

from __future__ import annotations

import io
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
from openpyxl import Workbook
from openpyxl.styles import Font

from alerting.ledger import CLOSED_BY_NOTE, CLOSED_BY_RECOVERY, WarningRow, load_warnings
from expectations.registry import ControlPoint, Department
from zhengai.clock import parse_school_time

SCHOOL_YEAR = re.compile(r"^(\d{4})-(\d{4})$")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
TOTAL_LABEL = "合计"


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


def _month_bounds(text: str) -> tuple[date, date] | None:
    match = MONTH.match(text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        return None
    first = date(int(match.group(1)), int(match.group(2)), 1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first, last


def belongs_to_period(warning_period: str, period: str, terms: dict[str, tuple[date, date]]) -> bool:
    """A warning counts for a period when it is that period, one of its terms (for a school
    year) or a month that overlaps one of its terms (by the term calendar)."""
    if warning_period == period:
        return True
    if SCHOOL_YEAR.match(period) and re.fullmatch(rf"{re.escape(period)}-\d", warning_period):
        return True
    month = _month_bounds(warning_period)
    if month is None:
        return False
    in_scope = [bounds for name, bounds in terms.items() if name == period or (SCHOOL_YEAR.match(period) and name.startswith(period + "-"))]
    return any(month[0] <= end and month[1] >= start for start, end in in_scope)


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
) -> tuple[list[LoopCounts], list[LoopCounts]]:
    """(one row per department plus a 合计 row, one row per department × control point)."""
    names = {d.department_code: d.name_zh for d in departments}
    point_names = {p.code: p.name_zh for p in points}
    warnings = [w for w in load_warnings(ledger) if belongs_to_period(w.period, period, terms or {})]
    by_department: dict[str, list[WarningRow]] = defaultdict(list)
    by_indicator: dict[tuple[str, str], list[WarningRow]] = defaultdict(list)
    for warning in warnings:
        owner = warning.owner_department_code or ""
        by_department[owner].append(warning)
        by_indicator[(owner, warning.indicator_code)].append(warning)
    department_rows = [
        _counts(code, names.get(code, code), "", "", rows) for code, rows in sorted(by_department.items())
    ]
    if department_rows:
        department_rows.append(_counts("", TOTAL_LABEL, "", "", warnings))
    indicator_rows = [
        _counts(code, names.get(code, code), indicator, point_names.get(indicator, indicator), rows)
        for (code, indicator), rows in sorted(by_indicator.items())
    ]
    return department_rows, indicator_rows


HEADER = ["部门代码", "部门", "质控点代码", "质控点", "发出预警", "已确认", "指标恢复解除", "填写改进说明关闭", "仍未解除", "解除用时中位数（天）"]


def _cells(row: LoopCounts) -> list:
    return [
        row.department_code, row.department_name, row.indicator_code, row.indicator_name, row.raised,
        row.acknowledged, row.recovered, row.closed_with_note, row.still_open, row.median_days_to_resolution,
    ]


def format_report(period: str, department_rows: list[LoopCounts]) -> str:
    if not department_rows:
        return f"{period}：台账中没有该期间的预警。"
    lines = [f"诊改改进闭环报告 · {period}", " | ".join(h for h in HEADER if not h.startswith("质控点"))]
    for row in department_rows:
        median = "—" if row.median_days_to_resolution is None else f"{row.median_days_to_resolution:g}"
        lines.append(
            " | ".join(
                [row.department_code or "", row.department_name, str(row.raised), str(row.acknowledged), str(row.recovered),
                 str(row.closed_with_note), str(row.still_open), median]
            )
        )
    return "\n".join(lines)


def report_workbook(period: str, department_rows: list[LoopCounts], indicator_rows: list[LoopCounts]) -> bytes:
    workbook = Workbook()
    for index, (title, rows) in enumerate((("按部门", department_rows), ("按质控点", indicator_rows))):
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
