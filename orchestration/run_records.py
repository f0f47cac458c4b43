"""Reading what a finished run recorded: its check evaluations and materializations."""

from __future__ import annotations

import dagster as dg

from orchestration.checks import CONTROL_POINT_KEY, DATA_QUALITY_FINDINGS

FAILED_ROWS = "dagster_dbt/failed_row_count"  # set by dagster-dbt on a data test's check
ERROR_CHARACTERS = 300  # of a load check's error in the engineers' alert


def check_evaluations(instance: dg.DagsterInstance, run_id: str) -> list:
    records = instance.get_records_for_run(run_id=run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    return [record.event_log_entry.dagster_event.event_specific_data for record in records]


def control_point_evaluations(instance: dg.DagsterInstance, run_id: str) -> list:
    return [e for e in check_evaluations(instance, run_id) if CONTROL_POINT_KEY in e.metadata]


def failed_control_points(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """Control points whose check failed in the given run."""
    return sorted({e.metadata[CONTROL_POINT_KEY].value for e in control_point_evaluations(instance, run_id) if not e.passed})


def failed_data_quality_checks(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """Failed checks of the run that are not control points: loads, keys, orphans, cross-system counts."""
    failed = {
        f"{evaluation.asset_key.to_user_string()} · {evaluation.check_name}（{evaluation.severity.value}）"
        for evaluation in check_evaluations(instance, run_id)
        if not evaluation.passed and CONTROL_POINT_KEY not in evaluation.metadata
    }
    return sorted(failed)


def failed_data_quality_details(instance: dg.DagsterInstance, run_id: str,
                                test_columns: dict[str, str] | None = None) -> list[dict]:
    """The failed checks of failed_data_quality_checks (the findings check aside, its rows are
    listed by data_quality_findings) with what the engineers need: the column of a data test
    (`test_columns`: check name → column), the rows that failed, a load's error."""
    details = []
    for evaluation in check_evaluations(instance, run_id):
        if evaluation.passed or CONTROL_POINT_KEY in evaluation.metadata or evaluation.check_name == DATA_QUALITY_FINDINGS:
            continue
        failed_rows = evaluation.metadata.get(FAILED_ROWS)
        error = evaluation.metadata.get("error")
        details.append({
            "asset": evaluation.asset_key.to_user_string(),
            "check": evaluation.check_name,
            "severity": evaluation.severity.value,
            "column": (test_columns or {}).get(evaluation.check_name),
            "failed_rows": failed_rows.value if failed_rows is not None else None,
            "error": (error.value or "")[:ERROR_CHARACTERS] if error is not None else "",
        })
    return sorted(details, key=lambda item: (item["asset"], item["check"]))


def data_quality_findings(instance: dg.DagsterInstance, run_id: str) -> tuple[list[dict], list[dict], list[dict]]:
    """(records left out of judging, rows quarantined by the run, rows found deleted in the
    source) as the findings check recorded them."""
    for evaluation in check_evaluations(instance, run_id):
        if evaluation.check_name == DATA_QUALITY_FINDINGS:
            metadata = evaluation.metadata
            deleted = metadata["deleted"].value if "deleted" in metadata else []
            return metadata["unjudged"].value, metadata["quarantined"].value, deleted
    return [], [], []


def materialized(instance: dg.DagsterInstance, run_id: str, key: dg.AssetKey) -> bool:
    records = instance.get_records_for_run(run_id=run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
    return any(record.event_log_entry.dagster_event.asset_key == key for record in records)
