"""Reading what a finished run recorded: its check evaluations and materializations."""

from __future__ import annotations

import dagster as dg

from orchestration.checks import CONTROL_POINT_KEY


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


def materialized(instance: dg.DagsterInstance, run_id: str, key: dg.AssetKey) -> bool:
    records = instance.get_records_for_run(run_id=run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
    return any(record.event_log_entry.dagster_event.asset_key == key for record in records)
