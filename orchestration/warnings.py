"""From failed control-point checks to warning e-mails, and alerts for the data center.

- `dispatch_warnings` job (op `send_warning_digests`): one digest per recipient of what the
  ledger has not told them yet.
- `threshold_warning_sensor`: launches that job after a finished nightly run with failed
  control-point checks, or when the ledger holds changes nobody has been told (a failed
  send, a reminder or escalation that came due, a warning closed by hand). Its cursor is
  the last nightly run it looked at plus the last pending set it launched for, so a run
  or an unchanged backlog never launches twice, and undeliverable changes are retried
  only every `retry_after_minutes` of the dispatch policy.
- `run_failure_alert_sensor`: e-mails the data center engineers the failed step and error.
- `data_quality_alert_sensor`: e-mails them the data-quality checks (not control points)
  that failed in a successful nightly run — a failed non-blocking check does not fail
  its run, so the run-failure sensor never sees it.
"""

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import dagster as dg

from expectations import dispatch_warnings as send_digests
from expectations import load_departments_csv, load_dispatch_policy_csv, pending_summary, send_alert
from orchestration.checks import CONTROL_POINT_KEY, SCHOOL_TZ
from orchestration.resources import ZhengaiPaths
from orchestration.settings import REGISTRY_DIR

SENSOR_INTERVAL_SECONDS = 60
ERROR_CHARACTERS = 3000  # of each error in an alert: the full trace is in the Dagster UI
FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE]
ACTIVE = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


def school_now() -> datetime:
    """The school's local time, as the ledger records it."""
    return datetime.now(SCHOOL_TZ).replace(tzinfo=None)


class DeliveryConfig(dg.Config):
    retries: int = 3  # further attempts per e-mail on a temporary SMTP error
    backoff_seconds: float = 2.0  # wait before the first retry; doubles each time


@dg.op(description="把台账中未通知的预警变化（新增、加重、解除、到期提醒、升级督办）按收件人汇总，每个收件人一封摘要邮件；无 SMTP 时写入 outbox。")
def send_warning_digests(context: dg.OpExecutionContext, config: DeliveryConfig, paths: ZhengaiPaths):
    report = send_digests(
        paths.warehouse_path, paths.ledger, paths.outbox, paths.smtp_url, now=school_now(),
        retries=config.retries, backoff_seconds=config.backoff_seconds,
    )
    for fallback in report.fallbacks:
        context.log.warning(
            f"{fallback.department_name}（{fallback.department_code}）没有可用邮箱（{fallback.reason}），"
            f"{fallback.count} 条预警转发质量办（{fallback.routed_to}）"
        )
    for failure in report.failures:
        # Nothing was marked as sent: the threshold sensor retries after retry_after_minutes.
        context.log.error(f"未送达，留待下次分发：{failure['recipient']}（{failure['department_code']}）：{failure['error']}")
    context.add_output_metadata(
        {
            "emails": len(report.emails),
            "warnings_per_recipient": dict(report.warnings_per_department),
            "subjects": [email.subject for email in report.emails],
            "fallbacks": [asdict(fallback) for fallback in report.fallbacks],
            "undelivered_changes": report.pending,
        }
    )
    return report


@dg.job(
    description="预警分发：台账中尚未通知的预警变化 → 各收件人（责任部门、实体所属单位、学生辅导员）的摘要邮件。"
    "由 threshold_warning_sensor 触发，也可手动运行。"
)
def dispatch_warnings():
    send_warning_digests()


def _check_evaluations(instance: dg.DagsterInstance, run_id: str) -> list:
    records = instance.get_records_for_run(run_id=run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    return [record.event_log_entry.dagster_event.event_specific_data for record in records]


def failed_control_points(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """Control points whose threshold check failed in the given run."""
    failed = {
        evaluation.metadata[CONTROL_POINT_KEY].value
        for evaluation in _check_evaluations(instance, run_id)
        if not evaluation.passed and CONTROL_POINT_KEY in evaluation.metadata
    }
    return sorted(failed)


def failed_data_quality_checks(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """Failed checks of the run that are not control points: loads, keys, orphans, cross-system counts."""
    failed = {
        f"{evaluation.asset_key.to_user_string()} · {evaluation.check_name}（{evaluation.severity.value}）"
        for evaluation in _check_evaluations(instance, run_id)
        if not evaluation.passed and CONTROL_POINT_KEY not in evaluation.metadata
    }
    return sorted(failed)


@dataclass
class ThresholdCursor:
    last_run_updated_at: str | None = None  # update time of the last finished nightly run looked at
    pending_fingerprint: str | None = None  # the pending changes the last dispatch was launched for
    requested_at: str | None = None  # when that dispatch was launched (school time)

    @classmethod
    def parse(cls, text: str | None) -> "ThresholdCursor":
        return cls(**json.loads(text)) if text else cls()

    def dump(self) -> str:
        return json.dumps(asdict(self))


def _finished_runs(instance: dg.DagsterInstance, job_name: str, after: str | None) -> list:
    """Nightly runs finished since the cursor, oldest first; on the first tick only the latest."""
    if after is None:
        return list(instance.get_run_records(dg.RunsFilter(job_name=job_name, statuses=FINISHED), limit=1, order_by="update_timestamp"))
    records = instance.get_run_records(
        dg.RunsFilter(job_name=job_name, statuses=FINISHED, updated_after=datetime.fromisoformat(after)),
        limit=100,
        order_by="update_timestamp",
        ascending=True,
    )
    return list(records)


@dataclass(frozen=True)
class _Backlog:
    fingerprint: str  # of the changes the ledger has to tell
    retry_after_minutes: int


def _backlog(paths: ZhengaiPaths, now: datetime) -> "_Backlog | dg.SkipReason":
    """What the ledger has to tell (without routing), or why there is nothing to launch for.

    Reads the ledger and the policy seed, never the warehouse: a sensor tick must not hold
    the DuckDB file while the nightly run wants to write it.
    """
    if not Path(paths.ledger).exists():
        return dg.SkipReason("预警台账尚未建立")
    policy = load_dispatch_policy_csv(REGISTRY_DIR / "dispatch_policy.csv")
    due = pending_summary(paths.ledger, now, policy)
    if not due:
        return dg.SkipReason("没有待通知的预警变化")
    return _Backlog(hashlib.sha256(json.dumps(due).encode()).hexdigest()[:16], policy.retry_after_minutes)


def _active_run(instance: dg.DagsterInstance, job_names: list[str]):
    for job_name in job_names:
        records = instance.get_run_records(dg.RunsFilter(job_name=job_name, statuses=ACTIVE), limit=1)
        if records:
            return records[0].dagster_run
    return None


def build_threshold_sensor(nightly_job) -> dg.SensorDefinition:
    @dg.sensor(
        name="threshold_warning_sensor",
        description=(
            "预警分发触发器：夜间同步结束且有质控点检查未通过时，或台账中有尚未通知的变化（发送失败待重试、"
            "到期提醒、升级督办、手工解除）时，启动 dispatch_warnings。游标记录已处理的同步运行，同一运行只触发一次；"
            "未送达的变化按分发策略的 retry_after_minutes 重试。"
        ),
        job=dispatch_warnings,
        minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def threshold_warning_sensor(context: dg.SensorEvaluationContext, paths: ZhengaiPaths):
        cursor = ThresholdCursor.parse(context.cursor)
        now = school_now()
        after_run, failed = None, []
        for record in _finished_runs(context.instance, nightly_job.name, cursor.last_run_updated_at):
            cursor.last_run_updated_at = record.update_timestamp.isoformat()
            failed_here = failed_control_points(context.instance, record.dagster_run.run_id)
            if failed_here:  # one dispatch covers every run since the last tick: take the latest
                after_run, failed = record.dagster_run, failed_here
        backlog = _backlog(paths, now)
        if after_run is not None:
            if isinstance(backlog, _Backlog):
                cursor.pending_fingerprint, cursor.requested_at = backlog.fingerprint, now.isoformat()
            context.update_cursor(cursor.dump())
            return dg.RunRequest(
                run_key=f"dispatch-after-{after_run.run_id}",
                tags={"zhengai/trigger": f"nightly:{after_run.run_id}", "zhengai/failed_control_points": ",".join(failed)[:4000]},
            )
        context.update_cursor(cursor.dump())
        if isinstance(backlog, dg.SkipReason):
            return backlog
        active = _active_run(context.instance, [nightly_job.name, dispatch_warnings.name])
        if active is not None:
            return dg.SkipReason(f"运行 {active.run_id}（{active.job_name}）尚未结束，稍后再检查待通知的预警")
        if backlog.fingerprint == cursor.pending_fingerprint and cursor.requested_at:
            waited = (now - datetime.fromisoformat(cursor.requested_at)).total_seconds()
            if waited < backlog.retry_after_minutes * 60:
                return dg.SkipReason(f"上次分发后仍未送达的变化将在 {backlog.retry_after_minutes} 分钟后重试")
        cursor.pending_fingerprint, cursor.requested_at = backlog.fingerprint, now.isoformat()
        context.update_cursor(cursor.dump())
        return dg.RunRequest(
            run_key=f"dispatch-pending-{backlog.fingerprint}-{now:%Y%m%dT%H%M%S}", tags={"zhengai/trigger": "pending"}
        )

    return threshold_warning_sensor


def _run_failure_text(context: dg.RunFailureSensorContext) -> tuple[str, str]:
    run = context.dagster_run
    steps = context.get_step_failure_events()
    lines = [f"作业 {run.job_name} 的运行 {run.run_id} 失败。", ""]
    if steps:
        for event in steps:
            error = event.event_specific_data.error
            message = error.to_string() if error else event.message or ""
            lines += [f"失败步骤：{event.step_key}", f"错误：{message[:ERROR_CHARACTERS].rstrip()}", ""]
    else:
        lines += [f"错误：{(context.failure_event.message or '')[:ERROR_CHARACTERS]}", ""]
    lines.append(f"请在 Dagster 界面的 Runs 页面打开运行 {run.run_id} 查看完整日志。")
    failed_steps = "、".join(event.step_key for event in steps) or "运行"
    return f"【运行失败】{run.job_name}：{failed_steps} 失败", "\n".join(lines)


@dg.run_failure_sensor(
    name="run_failure_alert_sensor",
    description="任一作业（夜间同步、预警分发）运行失败时，给数据中心工程师（departments.csv 中角色为 data_center 的部门）发邮件：失败的步骤和错误信息。",
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
)
def run_failure_alert_sensor(context: dg.RunFailureSensorContext, paths: ZhengaiPaths):
    subject, body = _run_failure_text(context)
    # The registry seed, not the warehouse: a failed run may have left the warehouse unusable.
    departments = load_departments_csv(REGISTRY_DIR / "departments.csv")
    result = send_alert(departments, subject, body, context.dagster_run.run_id, paths.smtp_url, paths.outbox, school_now())
    context.log.info(f"已通知 {result.recipient}：{subject}")


def build_data_quality_sensor(nightly_job) -> dg.SensorDefinition:
    @dg.run_status_sensor(
        name="data_quality_alert_sensor",
        description="夜间同步成功但有数据质量检查（加载、主键、孤儿记录、跨系统人数核对等，非质控点）未通过时，给数据中心工程师（角色 data_center）发邮件。",
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=[nightly_job],
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    )
    def data_quality_alert_sensor(context: dg.RunStatusSensorContext, paths: ZhengaiPaths):
        run = context.dagster_run
        failed = failed_data_quality_checks(context.instance, run.run_id)
        if not failed:
            return dg.SkipReason("本次同步的数据质量检查全部通过")
        body = "\n".join(
            [f"夜间同步 {run.run_id} 已完成，但以下 {len(failed)} 项数据质量检查未通过：", "", *[f"  - {item}" for item in failed], "",
             "详情见 Dagster 界面中该运行的资产检查结果，以及仓库 meta.load_audit、meta.quarantine。"]
        )
        subject = f"【数据质量】{run.job_name}：{len(failed)} 项检查未通过"
        departments = load_departments_csv(REGISTRY_DIR / "departments.csv")
        send_alert(departments, subject, body, f"data-quality-{run.run_id}", paths.smtp_url, paths.outbox, school_now())
        return dg.SkipReason(f"已告警：{subject}")

    return data_quality_alert_sensor


def build_warning_sensors(nightly_job) -> list[dg.SensorDefinition]:
    """Every sensor of the warnings workflow, for Definitions(sensors=...)."""
    return [build_threshold_sensor(nightly_job), run_failure_alert_sensor, build_data_quality_sensor(nightly_job)]
