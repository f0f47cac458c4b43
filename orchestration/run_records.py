"""Reading what a finished run recorded: its check evaluations and materializations."""

from __future__ import annotations

import dagster as dg

from orchestration.assets.data_center import DATA_TEST_KEY, FAILED_ROWS
from orchestration.checks import CONTROL_POINT_KEY, DATA_QUALITY_FINDINGS

ERROR_CHARACTERS = 300  # of a load check's error in the engineers' alert


def check_evaluations(instance: dg.DagsterInstance, run_id: str) -> list:
    records = instance.get_records_for_run(run_id=run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    return [record.event_log_entry.dagster_event.event_specific_data for record in records]


def control_point_evaluations(instance: dg.DagsterInstance, run_id: str) -> list:
    return [e for e in check_evaluations(instance, run_id) if CONTROL_POINT_KEY in e.metadata]


def failed_control_points(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """Control points whose check failed in the given run."""
    return sorted({e.metadata[CONTROL_POINT_KEY].value for e in control_point_evaluations(instance, run_id) if not e.passed})


def failed_data_tests(instance: dg.DagsterInstance, run_id: str) -> list:
    """The dbt data tests of the run that did not pass (the data_center step records only those)."""
    records = instance.get_records_for_run(run_id=run_id, of_type=dg.DagsterEventType.ASSET_OBSERVATION).records
    observations = [record.event_log_entry.dagster_event.event_specific_data.asset_observation for record in records]
    return [observation for observation in observations if DATA_TEST_KEY in observation.metadata]


def failed_data_quality_checks(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """Failed checks of the run that are not control points: loads, keys, orphans, cross-system
    counts, and the dbt data tests that did not pass."""
    return sorted({f"{item['asset']} · {item['check']}（{item['severity']}）"
                   for item in failed_data_quality_details(instance, run_id, include_findings=True)})


def failed_data_quality_details(instance: dg.DagsterInstance, run_id: str,
                                test_columns: dict[str, str] | None = None, include_findings: bool = False) -> list[dict]:
    """The failed checks of failed_data_quality_checks (the findings check aside unless asked,
    its rows are listed by data_quality_findings) with what the engineers need: the column of a
    data test (`test_columns`: test name → column), the rows that failed, a load's error."""
    details = []
    for evaluation in check_evaluations(instance, run_id):
        if evaluation.passed or CONTROL_POINT_KEY in evaluation.metadata:
            continue
        if evaluation.check_name == DATA_QUALITY_FINDINGS and not include_findings:
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
    for observation in failed_data_tests(instance, run_id):
        name = observation.metadata[DATA_TEST_KEY].value
        details.append({
            "asset": observation.asset_key.to_user_string(),
            "check": name,
            "severity": observation.metadata["severity"].value,
            "column": (test_columns or {}).get(name),
            "failed_rows": observation.metadata[FAILED_ROWS].value,
            "error": "",
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
