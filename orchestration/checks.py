"""Control-point checks: one Dagster asset check per registry row, on its layer's mart.

They only judge (Great Expectations over `marts.mart_quality__status`); the warnings ledger
is updated by its own asset, so running checks from the UI changes nothing.
"""

import json

import dagster as dg

from expectations.registry import ControlPoint, load_registry_csv
from expectations.suites import validate_control_points
from orchestration.assets.data_center import STATUS_MART
from orchestration.dbt_project import data_center_project
from orchestration.resources import ZhengaiPaths
from zhengai.settings import REGISTRY_DIR

# Check metadata key that marks a check as a control point (sensors and the summary look for it).
CONTROL_POINT_KEY = "control_point"
SAMPLE_ROWS = 20


def layer_mart_key(layer: str) -> dg.AssetKey:
    return dg.AssetKey(["marts", f"mart_{layer}__indicators"])


def check_name(code: str) -> str:
    return code.lower()


def _failing_table(failing: list[dict]) -> str:
    lines = ["| 期间 | 编号 | 名称 | 单位 | 值 | 预警值 |", "| --- | --- | --- | --- | --- | --- |"]
    for row in failing[:SAMPLE_ROWS]:
        lines.append(
            f"| {row['period']} | {row['entity_id']} | {row.get('entity_name') or ''} | "
            f"{row.get('unit_id') or ''} | {row['value']:.2f} | {row['warning_value']:g} |"
        )
    if len(failing) > SAMPLE_ROWS:
        lines.append(f"| … 共 {len(failing)} 条 | | | | | |")
    return "\n".join(lines)


def control_point_check_key(point: ControlPoint) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(layer_mart_key(point.layer), check_name(point.code))


def build_layer_checks(layer: str, points: list[ControlPoint]) -> dg.AssetChecksDefinition:
    by_check_name = {check_name(point.code): point.code for point in points}

    @dg.multi_asset_check(
        name=f"{layer}_control_points",
        # The same-day sync selects only the control points it sends the same day.
        can_subset=True,
        specs=[
            dg.AssetCheckSpec(
                check_name(point.code),
                asset=layer_mart_key(layer),
                additional_deps=[STATUS_MART],
                description=f"质控点 {point.code} {point.name_zh}：无实体越过预警值",
                blocking=False,
            )
            for point in points
        ],
    )
    def layer_checks(context: dg.AssetCheckExecutionContext, paths: ZhengaiPaths):
        codes = [by_check_name[key.name] for key in context.selected_asset_check_keys]
        for outcome in validate_control_points(paths.warehouse_path, codes=codes):
            yield dg.AssetCheckResult(
                asset_key=layer_mart_key(layer),
                check_name=check_name(outcome.code),
                passed=outcome.passed,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={
                    CONTROL_POINT_KEY: outcome.code,
                    "evaluated": outcome.evaluated,
                    "insufficient_data": outcome.insufficient,
                    "warnings": len(outcome.failing),
                    "failing": dg.MetadataValue.md(_failing_table(outcome.failing)) if outcome.failing else "",
                },
            )

    return layer_checks


def threshold_checks() -> list[dg.AssetChecksDefinition]:
    """Checks for every control point whose layer mart exists in the dbt project."""
    manifest = data_center_project().manifest_path
    models = {node["name"] for node in json.loads(manifest.read_text())["nodes"].values()
              if node["resource_type"] == "model"}
    points = load_registry_csv(REGISTRY_DIR / "quality_control_points.csv")
    layers = sorted({p.layer for p in points if f"mart_{p.layer}__indicators" in models})
    return [build_layer_checks(layer, [p for p in points if p.layer == layer]) for layer in layers]
