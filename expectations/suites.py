"""Great Expectations built from the control-point registry, one per control point.

The data center judges every value (`marts.mart_quality__status.status`, the one place the
threshold rule lives); each expectation asks that no row of its control point is 预警. GE
1.x treats DuckDB as an unknown SQL dialect, so the rows are read into pandas and validated
as an in-memory batch.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from expectations.registry import ControlPoint, load_registry

if TYPE_CHECKING:
    import great_expectations as gx

# Great Expectations is imported where it is used: importing it takes seconds, and every
# Dagster process (code server, sensor daemon, run worker) loads this module.

STATUS_TABLE = "marts.mart_quality__status"
WARNING_STATUS = "预警"
NOT_ENOUGH_DATA_STATUS = "数据不足"
KEY_COLUMNS = ["indicator_code", "entity_id", "period"]
# What a failing row is reported with; these ride along as GE's unexpected index columns.
ENTITY_COLUMNS = ["entity_id", "entity_name", "unit_id", "unit_name", "period"]
# What a check reads of each row of its control point (name: expression); the fingerprint hashes
# the same, so a change in any of them validates again.
READ_COLUMNS = {
    "entity_id": "entity_id", "entity_name": "entity_name", "unit_id": "unit_id", "unit_name": "unit_name",
    "period": "period", "value": "cast(value as double)", "warning_value": "cast(warning_value as double)",
    "status": "status",
}
RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": [*ENTITY_COLUMNS, "value", "warning_value"],
    "return_unexpected_index_query": False,
}


@dataclass
class CheckOutcome:
    code: str
    layer: str
    passed: bool
    evaluated: int  # rows the data center could judge
    insufficient: int  # rows judged 数据不足
    failing: list[dict[str, Any]]  # entity_id, entity_name, unit_id, unit_name, period, value, warning_value
    success_percent: float | None  # None when nothing could be judged
    name_zh: str = ""
    direction: str = ""
    warning_value: float | None = None
    owner_department_code: str = ""
    has_data: bool = True  # False: the mart has no row for this control point (layer not built)
    # (entity_id, period) -> value of every judged row: lets the ledger resolve what recovered.
    evaluated_values: dict[tuple[str, str], float] = field(default_factory=dict, repr=False)

    @property
    def no_data(self) -> bool:
        return not self.has_data


def build_expectation(point: ControlPoint) -> gx.expectations.ExpectColumnValuesToNotBeInSet:
    import great_expectations as gx

    return gx.expectations.ExpectColumnValuesToNotBeInSet(
        column="status",
        value_set=[WARNING_STATUS],
        description=f"{point.name_zh}（{point.code}）：无实体越过预警值",
        meta={"control_point": point.code, "owner_department_code": point.owner_department_code},
    )


def build_suite(points: list[ControlPoint], name: str = "quality_control_points") -> gx.ExpectationSuite:
    """All control points as one suite: the definition-time view (docs, review, diffing)."""
    import great_expectations as gx

    return gx.ExpectationSuite(name=name, expectations=[build_expectation(point) for point in points])


def _batch_definition():
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    context = gx.get_context(
        mode="ephemeral",
        project_config=DataContextConfig(
            analytics_enabled=False,  # intranet: nothing may phone home
            store_backend_defaults=InMemoryStoreBackendDefaults(),
            progress_bars=ProgressBarsConfig(globally=False),
        ),
    )
    asset = context.data_sources.add_pandas("warehouse").add_dataframe_asset("mart_quality__status")
    return asset.add_batch_definition_whole_dataframe("indicator_rows")


def read_status_rows(warehouse: Path, codes: list[str]) -> pd.DataFrame:
    """The judged rows of the given control points, one per (indicator_code, entity_id, period)."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        exists = connection.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts' and table_name = 'mart_quality__status'"
        ).fetchone()[0]
        if not exists:
            raise RuntimeError(f"仓库 {warehouse} 中没有 {STATUS_TABLE}：请先运行 dbt build")
        frame = connection.execute(
            f"""
            select indicator_code, {", ".join(f"{expression} as {name}" for name, expression in READ_COLUMNS.items())}
            from {STATUS_TABLE}
            where indicator_code in (select unnest(?::varchar[]))
            """,
            [codes],
        ).df()
    # Key parts must be text and present for the ledger; a school-level row may carry no id.
    for column in ("entity_id", "period"):
        frame[column] = frame[column].fillna("").astype(str)
    duplicated = frame[frame.duplicated(KEY_COLUMNS, keep=False)]
    if not duplicated.empty:
        sample = duplicated[KEY_COLUMNS].head(5).to_dict("records")
        raise RuntimeError(f"{STATUS_TABLE} 中 (indicator_code, entity_id, period) 重复 {len(duplicated)} 行，例如 {sample}")
    return frame


def status_fingerprints(warehouse: Path, codes: list[str]) -> dict[str, str]:
    """Per control point, a text that changes whenever what its expectation reads could: its rows
    of the status mart (READ_COLUMNS), its registry row, this module and
    the installed Great Expectations. Equal text, equal outcome: a check need not validate again
    what it validated before."""
    points = {point.code: point for point in load_registry(warehouse) if point.code in set(codes)}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = dict(connection.execute(
            f"""
            select indicator_code,
                   count(*) || ':' || coalesce(sum(hash({", ".join(READ_COLUMNS.values())})::hugeint), 0)
            from {STATUS_TABLE}
            where indicator_code in (select unnest(?::varchar[]))
            group by indicator_code
            """,
            [codes],
        ).fetchall())
    code_version = hashlib.sha256(Path(__file__).read_bytes() + version("great_expectations").encode()).hexdigest()[:12]
    return {code: f"{rows.get(code, '0:0')}:{code_version}:"
                  f"{hashlib.sha256(repr(points.get(code)).encode()).hexdigest()[:12]}" for code in codes}


def _plain(value: Any) -> Any:
    """pandas and GE hand back numpy scalars and NaN; the ledger and e-mails want plain Python."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _outcome(point: ControlPoint, rows: pd.DataFrame) -> CheckOutcome:
    judged = rows[rows["status"] != NOT_ENOUGH_DATA_STATUS].reset_index(drop=True)
    return CheckOutcome(
        code=point.code,
        layer=point.layer,
        passed=True,
        evaluated=len(judged),
        insufficient=len(rows) - len(judged),
        failing=[],
        success_percent=None,
        name_zh=point.name_zh,
        direction=point.direction,
        warning_value=point.warning_value,
        owner_department_code=point.owner_department_code,
        has_data=not rows.empty,
        evaluated_values=dict(zip(zip(judged["entity_id"], judged["period"]), judged["value"].astype(float))),
    )


def _failing_row(item: dict[str, Any]) -> dict[str, Any]:
    return {column: _plain(item.get(column)) for column in [*ENTITY_COLUMNS, "value", "warning_value"]}


def judge_from_status(warehouse: Path, codes: list[str] | None = None) -> list[CheckOutcome]:
    """What the data center judged for every (or the chosen) control point: the ledger's input."""
    points, rows_by_code = _status_by_point(warehouse, codes)
    outcomes = []
    for point in points:
        rows = rows_by_code.get(point.code)
        outcome = _outcome(point, rows if rows is not None else _EMPTY)
        if rows is not None:
            failing = rows[rows["status"] == WARNING_STATUS]
            outcome.failing = [_failing_row(item) for item in failing.to_dict("records")]
            outcome.passed = not outcome.failing
            if outcome.evaluated:
                outcome.success_percent = 100.0 * (outcome.evaluated - len(outcome.failing)) / outcome.evaluated
        outcomes.append(outcome)
    return outcomes


def validate_control_points(warehouse: Path, codes: list[str] | None = None) -> list[CheckOutcome]:
    """Validate the expectation of every (or the chosen) control point with Great Expectations."""
    points, rows_by_code = _status_by_point(warehouse, codes)
    batch_definition = _batch_definition()
    outcomes = []
    for point in points:
        rows = rows_by_code.get(point.code)
        outcome = _outcome(point, rows if rows is not None else _EMPTY)
        judged = rows[rows["status"] != NOT_ENOUGH_DATA_STATUS].reset_index(drop=True) if rows is not None else _EMPTY
        if not judged.empty:
            batch = batch_definition.get_batch(batch_parameters={"dataframe": judged})
            result = batch.validate(build_expectation(point), result_format=RESULT_FORMAT)
            if result.exception_info and result.exception_info.get("raised_exception"):
                raise RuntimeError(f"质控点 {point.code} 校验出错: {result.exception_info.get('exception_message')}")
            outcome.passed = bool(result.success)
            outcome.success_percent = 100.0 - float(result.result.get("unexpected_percent") or 0.0)
            outcome.failing = [_failing_row(item) for item in result.result.get("unexpected_index_list") or []]
        outcomes.append(outcome)
    return outcomes


_EMPTY = pd.DataFrame(columns=["indicator_code", *ENTITY_COLUMNS, "value", "warning_value", "status"])


def _status_by_point(warehouse: Path, codes: list[str] | None) -> tuple[list[ControlPoint], dict[str, pd.DataFrame]]:
    points = load_registry(warehouse)
    if codes is not None:
        unknown = sorted(set(codes) - {point.code for point in points})
        if unknown:
            raise KeyError(f"注册表中没有这些质控点: {unknown}")
        points = [point for point in points if point.code in set(codes)]
    rows = read_status_rows(warehouse, [point.code for point in points])
    return points, {code: group for code, group in rows.groupby("indicator_code", sort=False)}
