"""Great Expectations checks built from the control-point registry, one per row.

GE 1.x treats DuckDB as an unknown SQL dialect, so the mart rows are read from DuckDB into
pandas and validated as an in-memory batch. One ephemeral context serves a whole run; each
control point is validated on the rows of its indicator that have enough data to be judged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
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
KEY_COLUMNS = ["indicator_code", "entity_id", "period"]
# What a failing row is reported with; these ride along as GE's unexpected index columns.
ENTITY_COLUMNS = ["entity_id", "entity_name", "unit_id", "unit_name", "period"]
RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": ENTITY_COLUMNS,
    "return_unexpected_index_query": False,
}


@dataclass
class CheckOutcome:
    code: str
    layer: str
    passed: bool
    evaluated: int  # rows judged against the warning value
    insufficient: int  # rows with 数据不足: too small a denominator or no value
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


def build_expectation(point: ControlPoint) -> gx.expectations.ExpectColumnValuesToBeBetween:
    """The warning value as a GE bound. Bounds are inclusive: a value equal to the warning
    value passes, matching the strictly-beyond rule of the registry."""
    import great_expectations as gx

    bound = {"min_value": point.warning_value} if point.direction == "higher" else {"max_value": point.warning_value}
    comparison = "≥" if point.direction == "higher" else "≤"
    return gx.expectations.ExpectColumnValuesToBeBetween(
        column="value",
        **bound,
        description=f"{point.name_zh}（{point.code}）{comparison} 预警值 {point.warning_value:g}",
        meta={
            "control_point": point.code,
            "direction": point.direction,
            "warning_value": point.warning_value,
            "owner_department_code": point.owner_department_code,
        },
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


def _read_status_rows(warehouse: Path, codes: list[str]) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        exists = connection.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts' and table_name = 'mart_quality__status'"
        ).fetchone()[0]
        if not exists:
            raise RuntimeError(f"仓库 {warehouse} 中没有 {STATUS_TABLE}：请先运行 dbt build")
        frame = connection.execute(
            f"""
            select indicator_code, entity_id, entity_name, unit_id, unit_name, period,
                   cast(value as double) as value, cast(denominator as double) as denominator
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


def _has_enough_data(rows: pd.DataFrame, point: ControlPoint) -> pd.Series:
    enough = rows["value"].notna()
    if point.min_denominator is not None:
        enough &= rows["denominator"].notna() & (rows["denominator"] >= point.min_denominator)
    return enough


def _plain(value: Any) -> Any:
    """GE hands back numpy scalars and NaN; the ledger and e-mails want plain Python."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _validate_point(batch_definition, point: ControlPoint, rows: pd.DataFrame) -> CheckOutcome:
    outcome = CheckOutcome(
        code=point.code,
        layer=point.layer,
        passed=True,
        evaluated=0,
        insufficient=0,
        failing=[],
        success_percent=None,
        name_zh=point.name_zh,
        direction=point.direction,
        warning_value=point.warning_value,
        owner_department_code=point.owner_department_code,
        has_data=not rows.empty,
    )
    if rows.empty:
        return outcome
    enough = _has_enough_data(rows, point)
    judged = rows[enough].reset_index(drop=True)
    outcome.insufficient = int((~enough).sum())
    outcome.evaluated = len(judged)
    outcome.evaluated_values = dict(
        zip(zip(judged["entity_id"], judged["period"]), judged["value"].astype(float))
    )
    if judged.empty:
        return outcome
    batch = batch_definition.get_batch(batch_parameters={"dataframe": judged})
    result = batch.validate(build_expectation(point), result_format=RESULT_FORMAT)
    if result.exception_info and result.exception_info.get("raised_exception"):
        raise RuntimeError(f"质控点 {point.code} 校验出错: {result.exception_info.get('exception_message')}")
    outcome.passed = bool(result.success)
    unexpected_percent = result.result.get("unexpected_percent") or 0.0
    outcome.success_percent = 100.0 - float(unexpected_percent)
    outcome.failing = [
        {
            **{column: _plain(item.get(column)) for column in ENTITY_COLUMNS},
            "value": _plain(item.get("value")),
            "warning_value": point.warning_value,
        }
        for item in result.result.get("unexpected_index_list") or []
    ]
    return outcome


def validate_control_points(warehouse: Path, codes: list[str] | None = None) -> list[CheckOutcome]:
    """Judge every (or the chosen) control point of the registry in the warehouse."""
    points = load_registry(warehouse)
    if codes is not None:
        unknown = sorted(set(codes) - {point.code for point in points})
        if unknown:
            raise KeyError(f"注册表中没有这些质控点: {unknown}")
        points = [point for point in points if point.code in set(codes)]
    rows = _read_status_rows(warehouse, [point.code for point in points])
    rows_by_code = {code: group for code, group in rows.groupby("indicator_code", sort=False)}
    batch_definition = _batch_definition()
    empty = rows.iloc[0:0]
    return [_validate_point(batch_definition, point, rows_by_code.get(point.code, empty)) for point in points]


def status_mismatches(warehouse: Path, outcomes: list[CheckOutcome]) -> list[dict[str, Any]]:
    """Rows where the expectations and the dbt status disagree about 预警 (should be none)."""
    failing = {(outcome.code, item["entity_id"], item["period"]) for outcome in outcomes for item in outcome.failing}
    codes = [outcome.code for outcome in outcomes]
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        flagged = connection.execute(
            f"""
            select indicator_code, coalesce(entity_id, ''), coalesce(period, '')
            from {STATUS_TABLE}
            where status = ? and indicator_code in (select unnest(?::varchar[]))
            """,
            [WARNING_STATUS, codes],
        ).fetchall()
    warned = set(flagged)
    mismatches = [
        {"indicator_code": code, "entity_id": entity, "period": period, "problem": "dbt 状态为预警，期望未失败"}
        for code, entity, period in sorted(warned - failing)
    ]
    mismatches += [
        {"indicator_code": code, "entity_id": entity, "period": period, "problem": "期望失败，dbt 状态不是预警"}
        for code, entity, period in sorted(failing - warned)
    ]
    return mismatches
