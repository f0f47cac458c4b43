"""From failed control-point checks to warning e-mails: the dispatch job and its sensor."""

from __future__ import annotations

from datetime import datetime

import dagster as dg

from expectations import dispatch_warnings as send_digests
from orchestration.checks import CONTROL_POINT_KEY, SCHOOL_TZ
from orchestration.resources import ZhengaiPaths


@dg.op(description="把台账中未通知的预警按责任部门汇总，每个部门一封摘要邮件（无 SMTP 时写入 outbox）。")
def send_warning_digests(context: dg.OpExecutionContext, paths: ZhengaiPaths):
    report = send_digests(
        paths.warehouse_path,
        paths.ledger,
        paths.outbox,
        paths.smtp_url,
        now=datetime.now(SCHOOL_TZ).replace(tzinfo=None),
    )
    context.add_output_metadata(
        {
            "emails": len(report.emails),
            "warnings_per_department": dict(report.warnings_per_department),
            "subjects": [e.subject for e in report.emails],
        }
    )
    return report


@dg.job(description="预警分发：台账中的新预警 → 各责任部门的摘要邮件。由 threshold_warning_sensor 触发。")
def dispatch_warnings():
    send_warning_digests()


def failed_control_points(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """Control points whose threshold check failed in the given run."""
    records = instance.get_records_for_run(
        run_id=run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    failed = []
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if not evaluation.passed and CONTROL_POINT_KEY in evaluation.metadata:
            failed.append(evaluation.metadata[CONTROL_POINT_KEY].value)
    return sorted(set(failed))


def build_threshold_sensor(nightly_job) -> dg.SensorDefinition:
    # Failed control-point checks are non-blocking, so the run still succeeds: watch
    # successful runs and read their check results (a run-failure sensor never sees them).
    @dg.run_status_sensor(
        name="threshold_warning_sensor",
        description="夜间同步成功后，若有质控点检查未通过，触发预警分发。",
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=[nightly_job],
        request_job=dispatch_warnings,
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=30,
    )
    def threshold_warning_sensor(context: dg.RunStatusSensorContext):
        failed = failed_control_points(context.instance, context.dagster_run.run_id)
        if not failed:
            return dg.SkipReason("本次同步所有质控点检查均通过")
        return dg.RunRequest(
            run_key=f"dispatch-after-{context.dagster_run.run_id}",
            tags={"zhengai/failed_control_points": ",".join(failed)},
        )

    return threshold_warning_sensor
