"""Control-point checks: one Dagster asset check per registry row, on its layer's mart; and
the night's data-quality findings for the engineers.

They only judge (Great Expectations over `marts.mart_quality__status`); the warnings ledger
is updated by its own asset, so running checks from the UI changes nothing.
"""

import json
from pathlib import Path

import dagster as dg
import duckdb

import ingest

from expectations.registry import ControlPoint, load_registry_csv
from expectations.suites import status_fingerprints, validate_control_points
from orchestration.assets.data_center import STATUS_MART
from orchestration.dbt_project import data_center_project
from orchestration.resources import ZhengaiPaths
from zhengai.settings import REGISTRY_DIR

# Check metadata key that marks a check as a control point (sensors and the summary look for it).
CONTROL_POINT_KEY = "control_point"
# What a control-point check read (expectations.suites.status_fingerprints), and, on a result
# repeated because that did not change, the run whose validation it repeats.
FINGERPRINT_KEY = "status_fingerprint"
JUDGED_IN_RUN_KEY = "judged_in_run"
RECENT_EXECUTIONS = 24  # a school day of hourly runs that may have skipped the check
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
        fingerprints = status_fingerprints(paths.warehouse_path, codes)
        to_validate = []
        for code in codes:
            repeated = _unchanged_result(context.instance, layer, code, fingerprints[code])
            if repeated is None:
                to_validate.append(code)
            else:
                yield repeated
        for outcome in validate_control_points(paths.warehouse_path, codes=to_validate) if to_validate else []:
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
                    FINGERPRINT_KEY: fingerprints[outcome.code],
                },
            )

    return layer_checks


def _unchanged_result(instance: dg.DagsterInstance, layer: str, code: str, fingerprint: str) -> dg.AssetCheckResult | None:
    """The last completed evaluation of the check again, when what it read has not changed since
    (same fingerprint): the hourly runs judge the same-day control points, whose rows mostly
    change at night, and Great Expectations would validate the same rows to the same outcome.
    The result names the run that validated them."""
    key = dg.AssetCheckKey(layer_mart_key(layer), check_name(code))
    # newest first: this run's own planned execution, maybe runs that skipped the check, then
    # the last evaluation (none found among them means validate)
    history = instance.event_log_storage.get_asset_check_execution_history(key, limit=RECENT_EXECUTIONS)
    last = next((record for record in history if record.event is not None and record.event.dagster_event is not None
                 and isinstance(record.event.dagster_event.event_specific_data, dg.AssetCheckEvaluation)), None)
    if last is None:
        return None
    evaluation = last.event.dagster_event.event_specific_data
    recorded = evaluation.metadata.get(FINGERPRINT_KEY)
    if recorded is None or recorded.value != fingerprint:
        return None
    judged_in = evaluation.metadata.get(JUDGED_IN_RUN_KEY)
    return dg.AssetCheckResult(
        asset_key=key.asset_key, check_name=key.name, passed=evaluation.passed, severity=dg.AssetCheckSeverity.WARN,
        metadata={**evaluation.metadata, JUDGED_IN_RUN_KEY: judged_in.value if judged_in else last.run_id},
    )


def threshold_checks() -> list[dg.AssetChecksDefinition]:
    """Checks for every control point whose layer mart exists in the dbt project."""
    manifest = data_center_project().manifest_path
    models = {node["name"] for node in json.loads(manifest.read_text())["nodes"].values()
              if node["resource_type"] == "model"}
    points = load_registry_csv(REGISTRY_DIR / "quality_control_points.csv")
    layers = sorted({p.layer for p in points if f"mart_{p.layer}__indicators" in models})
    return [build_layer_checks(layer, [p for p in points if p.layer == layer]) for layer in layers]


# The night's data-quality findings: what the models left out of judging and what ingest
# quarantined in this run, grouped by table, column and reason for the engineers' alert.
UNJUDGED_RECORDS = dg.AssetKey(["data_quality", "dq_unjudged_records"])
DATA_QUALITY_FINDINGS = "data_quality_findings"
SAMPLE_KEYS = 5
FINDING_GROUPS = 50  # groups listed per kind; the tables hold every row


def _grouped(connection, sql: str, params: list) -> list[dict]:
    cursor = connection.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchmany(FINDING_GROUPS)]


def _key_columns() -> dict[str, str]:
    """{"raw_jw.JW_CJ_XSCJB": "CJ_ID"} from the source contract: quarantine rows carry key values only."""
    config = ingest.load_config()
    return {f"raw_{source}.{table.name}": "|".join(table.key)
            for source, spec in config.sources.items() for table in spec.tables}


def read_findings(warehouse: Path, run_id: str) -> tuple[list[dict], list[dict], list[dict]]:
    """(records left out of judging, rows quarantined by this run, rows this run found deleted
    in the source), the first two grouped by source table, key column, column and reason with a
    count and a few keys, the deletions per table (when the load audit counts them)."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        unjudged = _grouped(connection, f"""
            select source_table, key_column, column_name, reason, count(*) as records,
                list(record_key order by record_key)[1:{SAMPLE_KEYS}] as sample_keys
            from data_quality.dq_unjudged_records
            group by source_table, key_column, column_name, reason
            order by source_table, key_column, column_name, reason""", [])
        quarantined = _grouped(connection, f"""
            select source_table, column_name, rule as reason, count(*) as records,
                list(row_key order by row_key)[1:{SAMPLE_KEYS}] as sample_keys, min(detail) as detail
            from staging.stg_meta__quarantine
            where run_id = ?
            group by source_table, column_name, rule
            order by source_table, column_name, rule""", [run_id])
        deleted = _grouped(connection, """
            select 'raw_' || source || '.' || table_name as source_table, rows_deleted as records
            from meta.load_audit where run_id = ? and rows_deleted > 0
            order by source, table_name""", [run_id]) if _has_column(connection, "load_audit", "rows_deleted") else []
    key_columns = _key_columns()
    for row in deleted:
        row["key_column"] = key_columns.get(row["source_table"])
    for row in quarantined:
        row["key_column"] = key_columns.get(row["source_table"])
        if row["column_name"] is None and row["reason"] == "duplicate_key":
            row["column_name"] = row["key_column"]  # the key itself came twice
    return unjudged, quarantined, deleted


def _has_column(connection, table: str, column: str) -> bool:
    return connection.execute(
        "select count(*) from information_schema.columns where table_schema = 'meta' and table_name = ? and column_name = ?",
        [table, column]).fetchone()[0] > 0


@dg.asset_check(
    asset=UNJUDGED_RECORDS,
    name=DATA_QUALITY_FINDINGS,
    description="数据质量：未能判定的记录（已排除在指标之外）与本次隔离的行，按来源表、主键、列与原因汇总，供数据中心工程师告警",
    blocking=False,
)
def data_quality_findings(context: dg.AssetCheckExecutionContext, paths: ZhengaiPaths) -> dg.AssetCheckResult:
    unjudged, quarantined, deleted = read_findings(paths.warehouse_path, context.run.run_id)
    return dg.AssetCheckResult(
        passed=not unjudged and not quarantined and not deleted,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "unjudged_records": sum(row["records"] for row in unjudged),
            "quarantined_rows": sum(row["records"] for row in quarantined),
            "unjudged": dg.MetadataValue.json(unjudged),
            "quarantined": dg.MetadataValue.json(quarantined),
            "deleted": dg.MetadataValue.json(deleted),
        },
    )
