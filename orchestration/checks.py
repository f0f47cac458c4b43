"""Threshold checks: one Dagster asset check per control point, built from the registry.

Each layer's checks run together after its mart is built, validate the Great
Expectations built from the registry rows, and record what failed in the warnings
ledger. The warning sensor reads these check results; dispatch reads the ledger.
"""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg

from expectations import load_registry_csv, update_ledger, validate_control_points
from orchestration.resources import ZhengaiPaths
from orchestration.settings import REGISTRY_DIR

SCHOOL_TZ = ZoneInfo("Asia/Shanghai")
STATUS_MART = dg.AssetKey(["marts", "mart_quality__status"])
# Check metadata key that marks a check as a control point (the sensor looks for it).
CONTROL_POINT_KEY = "control_point"
SAMPLE_ROWS = 20


def layer_mart_key(layer: str) -> dg.AssetKey:
    return dg.AssetKey(["marts", f"mart_{layer}__indicators"])


def built_models() -> set[str]:
    # Imported here: loading the dbt project parses it, and the sensors and the CLI import
    # this module without needing dbt.
    from orchestration.assets.dbt import dbt_project

    manifest = json.loads(dbt_project.manifest_path.read_text())
    return {node["name"] for node in manifest["nodes"].values() if node["resource_type"] == "model"}


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


def build_layer_checks(layer: str, points: list) -> dg.AssetChecksDefinition:
    by_name = {check_name(p.code): p for p in points}

    @dg.multi_asset_check(
        name=f"{layer}_control_points",
        specs=[
            dg.AssetCheckSpec(
                name,
                asset=layer_mart_key(layer),
                additional_deps=[STATUS_MART],
                description=f"质控点 {p.code} {p.name_zh}：无实体越过预警值",
                blocking=False,
            )
            for name, p in by_name.items()
        ],
    )
    def layer_checks(context: dg.AssetCheckExecutionContext, paths: ZhengaiPaths):
        outcomes = validate_control_points(paths.warehouse_path, codes=[p.code for p in points])
        changes = update_ledger(paths.ledger, outcomes, now=datetime.now(SCHOOL_TZ).replace(tzinfo=None))
        context.log.info(f"{layer}: ledger {changes}")
        for outcome in outcomes:
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
    models = built_models()
    points = load_registry_csv(REGISTRY_DIR / "quality_control_points.csv")
    layers = sorted({p.layer for p in points if f"mart_{p.layer}__indicators" in models})
    return [build_layer_checks(layer, [p for p in points if p.layer == layer]) for layer in layers]
