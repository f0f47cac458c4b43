"""The control-point registry and the departments, read from the warehouse or the seed CSVs.

The quality office edits the seeds; the dbt build loads them into `registry.*`. Reading the
CSV directly is for definition time (building expectations before any warehouse exists).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import duckdb

from zhengai.periods import start_of

CONTROL_POINTS_TABLE = "registry.quality_control_points"
DEPARTMENTS_TABLE = "registry.departments"
DISPATCH_POLICY_TABLE = "registry.dispatch_policy"
DIRECTIONS = ("higher", "lower")
QUALITY_OFFICE_ROLE = "quality_office"
DATA_CENTER_ROLE = "data_center"


class RegistryError(ValueError):
    """A registry row that cannot be turned into a control point."""


@dataclass(frozen=True)
class ControlPoint:
    code: str
    layer: str
    entity_type: str
    name_zh: str
    name_en: str
    unit: str
    grain: str
    direction: str  # 'higher' or 'lower': which way is better
    target_value: float | None
    standard_value: float | None
    warning_value: float
    min_denominator: float | None
    owner_department_code: str
    to_unit: bool
    threshold_source: str
    action_zh: str = ""  # what the recipients of a warning are asked to do
    decimals: int | None = None  # decimals a value is shown with; None: up to 2, no trailing zeros
    # Judged and sent by the hourly same-day sync, not only in the nightly digest.
    same_day_digest: bool = False

    def is_beyond_warning(self, value: float) -> bool:
        """Strictly beyond the warning value: a value equal to it is not a warning."""
        return value < self.warning_value if self.direction == "higher" else value > self.warning_value


@dataclass(frozen=True)
class Department:
    department_code: str
    hr_code: str
    name_zh: str
    name_en: str
    kind: str
    email: str  # may be empty: warnings then go to the quality office
    role: str
    contact: str = ""  # how to reach the department (the quality office's is printed in digests)


@dataclass(frozen=True)
class DispatchPolicy:
    """How long a warning may stay open: one row of the dispatch_policy seed."""

    remind_after_days: int  # remind the recipients of a warning still open this long after they were last told
    escalate_after_days: int  # copy the quality office once a warning has been open this long
    retry_after_minutes: int  # wait this long before dispatching changes that could not be sent
    # The first period that is news: warnings of periods that ended before it are baseline
    # (recorded, summarised once to the quality office). Empty: every period is news.
    notify_from: str = ""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # A code column typed as a number by a careless loader: 202.0 must still read '202'.
        return str(int(value))
    return str(value).strip()


def _number(value: Any, field: str, code: str) -> float | None:
    text = _text(value)
    if text == "":
        return None
    try:
        return float(text)
    except ValueError as error:
        raise RegistryError(f"质控点 {code}: {field} 不是数字: {text!r}") from error


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return _text(value).lower() in {"true", "t", "yes", "y", "1", "是"}


def control_point_from_row(row: Mapping[str, Any]) -> ControlPoint:
    code = _text(row.get("code"))
    if not code:
        raise RegistryError(f"质控点缺少代码: {dict(row)}")
    direction = _text(row.get("direction")).lower()
    if direction not in DIRECTIONS:
        raise RegistryError(f"质控点 {code}: direction 应为 higher 或 lower，实际为 {direction!r}")
    warning_value = _number(row.get("warning_value"), "warning_value", code)
    if warning_value is None:
        raise RegistryError(f"质控点 {code}: 缺少预警值 warning_value")
    owner = _text(row.get("owner_department_code"))
    if not owner:
        raise RegistryError(f"质控点 {code}: 缺少责任部门 owner_department_code")
    return ControlPoint(
        code=code,
        layer=_text(row.get("layer")),
        entity_type=_text(row.get("entity_type")),
        name_zh=_text(row.get("name_zh")),
        name_en=_text(row.get("name_en")),
        unit=_text(row.get("unit")),
        grain=_text(row.get("grain")),
        direction=direction,
        target_value=_number(row.get("target_value"), "target_value", code),
        standard_value=_number(row.get("standard_value"), "standard_value", code),
        warning_value=warning_value,
        min_denominator=_number(row.get("min_denominator"), "min_denominator", code),
        owner_department_code=owner,
        to_unit=_flag(row.get("to_unit")),
        threshold_source=_text(row.get("threshold_source")),
        action_zh=_text(row.get("action_zh")),
        decimals=_decimals(row.get("decimals"), code),
        same_day_digest=_flag(row.get("same_day_digest")),
    )


def _decimals(value: Any, code: str) -> int | None:
    number = _number(value, "decimals", code)
    if number is None:
        return None
    if not number.is_integer() or not 0 <= number <= 6:
        raise RegistryError(f"质控点 {code}: decimals 应为 0–6 的整数，实际为 {_text(value)!r}")
    return int(number)


def department_from_row(row: Mapping[str, Any]) -> Department:
    return Department(
        department_code=_text(row.get("department_code")),
        hr_code=_text(row.get("hr_code")),
        name_zh=_text(row.get("name_zh")),
        name_en=_text(row.get("name_en")),
        kind=_text(row.get("kind")),
        email=_text(row.get("email")),
        role=_text(row.get("role")),
        contact=_text(row.get("contact")),
    )


def _unique_control_points(rows: Iterable[Mapping[str, Any]]) -> list[ControlPoint]:
    points = [control_point_from_row(row) for row in rows]
    seen: set[str] = set()
    for point in points:
        if point.code in seen:
            raise RegistryError(f"质控点代码重复: {point.code}")
        seen.add(point.code)
    return points


def _read_csv(path: Path) -> list[dict[str, str]]:
    # utf-8-sig: the quality office may save the seed from Excel, which adds a BOM.
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _read_table(warehouse: Path, table: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        cursor = connection.execute(f"select * from {table}")
        columns = [description[0] for description in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]


def load_registry_csv(path: Path) -> list[ControlPoint]:
    return _unique_control_points(_read_csv(path))


def load_registry(warehouse: Path) -> list[ControlPoint]:
    return _unique_control_points(_read_table(warehouse, CONTROL_POINTS_TABLE))


def load_departments_csv(path: Path) -> list[Department]:
    return [department_from_row(row) for row in _read_csv(path)]


def load_departments(warehouse: Path) -> list[Department]:
    return [department_from_row(row) for row in _read_table(warehouse, DEPARTMENTS_TABLE)]


def department_with_role(departments: Iterable[Department], role: str) -> Department:
    matches = [department for department in departments if department.role == role]
    if len(matches) != 1:
        raise RegistryError(f"departments 中角色 {role} 应恰有一个部门，实际 {len(matches)} 个")
    return matches[0]


def dispatch_policy_from_rows(rows: list[Mapping[str, Any]]) -> DispatchPolicy:
    if len(rows) != 1:
        raise RegistryError(f"dispatch_policy 应恰有一行，实际 {len(rows)} 行")
    values = {}
    for field in ("remind_after_days", "escalate_after_days", "retry_after_minutes"):
        text = _text(rows[0].get(field))
        try:
            number = float(text)
        except ValueError:
            number = None
        if number is None or number <= 0 or not number.is_integer():
            raise RegistryError(f"dispatch_policy: {field} 应为正整数，实际为 {rows[0].get(field)!r}")
        values[field] = int(number)
    notify_from = _text(rows[0].get("notify_from"))
    if notify_from and start_of(notify_from) is None:
        raise RegistryError(
            f"dispatch_policy: notify_from 应为月份（2025-09）、学期（2025-2026-1）、学年（2025-2026）、"
            f"毕业年份（2026）或日期（2025-09-01），实际为 {notify_from!r}"
        )
    return DispatchPolicy(**values, notify_from=notify_from)


def load_dispatch_policy_csv(path: Path) -> DispatchPolicy:
    return dispatch_policy_from_rows(_read_csv(path))


def load_dispatch_policy(warehouse: Path) -> DispatchPolicy:
    return dispatch_policy_from_rows(_read_table(warehouse, DISPATCH_POLICY_TABLE))
