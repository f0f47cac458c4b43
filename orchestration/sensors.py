"""Sensors: who hears what after a run.

- `dispatch_after_nightly_sensor` launches `dispatch_warnings` once per finished nightly or
  same-day run that updated the warnings ledger and left changes nobody has been told (a
  same-day run records only the same-day control points, so the others stay daily).
- `dispatch_backlog_sensor` launches it for what is due between nights: a send that failed
  (retried every `retry_after_minutes` of the dispatch policy), a reminder or escalation that
  came due, a warning closed by hand. It leaves a freshly finished nightly run to the first.
- `run_failure_alert_sensor` e-mails the data center engineers the failed step and error.
- `data_quality_alert_sensor` e-mails them what a successful nightly run could not judge or
  load, by source table, key and column with counts (the findings check), and the other
  data-quality checks (not control points) that failed: a failed data test or non-blocking
  check does not fail its run, so the run-failure sensor never sees it. A run `zhengai sync`
  ran (tagged) gets its alert from the sync's own process instead.
Sensors read the ledger and the registry seeds, never the warehouse: a tick must not hold
the DuckDB file while the nightly run wants to write it.
"""

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import dagster as dg

from alerting.engineer_alerts import data_quality_alert_text, send_alert
from alerting.ledger import pending_summary
from expectations.registry import load_departments_csv, load_dispatch_policy_csv
from orchestration.assets.warnings_ledger import WARNINGS_LEDGER
from orchestration.dbt_project import data_center_project
from orchestration.jobs import DISPATCHED_IN_PROCESS_TAG, dispatch_warnings
from orchestration.resources import ZhengaiPaths
from orchestration.run_records import (data_quality_findings, failed_control_points, failed_data_quality_details,
                                       materialized)
from zhengai.clock import parse_school_time, school_now
from zhengai.settings import REGISTRY_DIR

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
NOTHING_PENDING = "没有待通知的预警变化"


def _finished_runs(instance: dg.DagsterInstance, job_names: list[str], after: str | None) -> list:
    """Runs of the jobs finished since `after`, oldest first; without `after` only the latest."""
    records = []
    for job_name in job_names:
        if after is None:
            records += instance.get_run_records(dg.RunsFilter(job_name=job_name, statuses=FINISHED), limit=1,
                                                order_by="update_timestamp")
        else:
            records += instance.get_run_records(
                dg.RunsFilter(job_name=job_name, statuses=FINISHED, updated_after=datetime.fromisoformat(after)),
                limit=100, order_by="update_timestamp", ascending=True,
            )
    records.sort(key=lambda record: record.update_timestamp)
    return records[-1:] if after is None else records


def _pending_fingerprint(paths: ZhengaiPaths, now: datetime) -> str | None:
    """A fingerprint of the changes the ledger has to tell, or None when there are none."""
    if not Path(paths.ledger).exists():
        return None
    due = pending_summary(paths.ledger, now, load_dispatch_policy_csv(REGISTRY_DIR / "dispatch_policy.csv"))
    return hashlib.sha256(json.dumps(due).encode()).hexdigest()[:16] if due else None


def _active_run(instance: dg.DagsterInstance, job_names: list[str]):
    for job_name in job_names:
        records = instance.get_run_records(dg.RunsFilter(job_name=job_name, statuses=ACTIVE), limit=1)
        if records:
            return records[0].dagster_run
    return None


def build_dispatch_after_nightly_sensor(sync_jobs: list) -> dg.SensorDefinition:
    @dg.sensor(
        name="dispatch_after_nightly_sensor",
        description="夜间同步或当天同步结束后：若本次运行更新了预警台账且有尚未通知的变化，启动 dispatch_warnings（每次运行只触发一次）。",
        job=dispatch_warnings,
        minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def dispatch_after_nightly_sensor(context: dg.SensorEvaluationContext, paths: ZhengaiPaths):
        latest = None
        for record in _finished_runs(context.instance, [job.name for job in sync_jobs], context.cursor):
            context.update_cursor(record.update_timestamp.isoformat())
            if record.dagster_run.tags.get(DISPATCHED_IN_PROCESS_TAG):
                continue  # `zhengai sync` dispatches its own night, in its own process
            if materialized(context.instance, record.dagster_run.run_id, WARNINGS_LEDGER):
                latest = record.dagster_run  # one dispatch covers every run since the last tick
        if latest is None:
            return dg.SkipReason("没有新结束并更新了预警台账的同步")
        if _pending_fingerprint(paths, school_now()) is None:
            return dg.SkipReason(NOTHING_PENDING)
        failed = ",".join(failed_control_points(context.instance, latest.run_id))
        return dg.RunRequest(
            run_key=f"dispatch-after-{latest.run_id}",
            tags={"zhengai/trigger": f"nightly:{latest.run_id}", "zhengai/failed_control_points": failed[:4000]},
        )

    return dispatch_after_nightly_sensor


@dataclass
class BacklogCursor:
    nightly_seen_until: str | None = None  # update time of the latest finished nightly run seen
    pending_fingerprint: str | None = None  # the pending changes the last dispatch was launched for
    requested_at: str | None = None  # when that dispatch was launched (school time)

    @classmethod
    def parse(cls, text: str | None) -> "BacklogCursor":
        return cls(**json.loads(text)) if text else cls()

    def dump(self) -> str:
        return json.dumps(asdict(self))


def build_dispatch_backlog_sensor(sync_jobs: list) -> dg.SensorDefinition:
    @dg.sensor(
        name="dispatch_backlog_sensor",
        description=(
            "两次夜间同步之间：台账中有尚未通知的变化（发送失败待重试、到期提醒、升级督办、手工解除）时启动 "
            "dispatch_warnings；同一批变化按分发策略的 retry_after_minutes 重试。刚结束的夜间同步留给 dispatch_after_nightly_sensor。"
        ),
        job=dispatch_warnings,
        minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def dispatch_backlog_sensor(context: dg.SensorEvaluationContext, paths: ZhengaiPaths):
        cursor = BacklogCursor.parse(context.cursor)
        now = school_now()
        fresh = _finished_runs(context.instance, [job.name for job in sync_jobs], cursor.nightly_seen_until)
        if fresh:
            cursor.nightly_seen_until = fresh[-1].update_timestamp.isoformat()
            context.update_cursor(cursor.dump())
            return dg.SkipReason("同步刚结束，由 dispatch_after_nightly_sensor 分发")
        fingerprint = _pending_fingerprint(paths, now)
        if fingerprint is None:
            return dg.SkipReason(NOTHING_PENDING)
        active = _active_run(context.instance, [*(job.name for job in sync_jobs), dispatch_warnings.name])
        if active is not None:
            return dg.SkipReason(f"运行 {active.run_id}（{active.job_name}）尚未结束，稍后再检查待通知的预警")
        retry_after = load_dispatch_policy_csv(REGISTRY_DIR / "dispatch_policy.csv").retry_after_minutes
        if fingerprint == cursor.pending_fingerprint and cursor.requested_at:
            if (now - parse_school_time(cursor.requested_at)).total_seconds() < retry_after * 60:
                return dg.SkipReason(f"上次分发后仍未送达的变化将在 {retry_after} 分钟后重试")
        cursor.pending_fingerprint, cursor.requested_at = fingerprint, now.isoformat()
        context.update_cursor(cursor.dump())
        return dg.RunRequest(run_key=f"dispatch-pending-{fingerprint}-{now:%Y%m%dT%H%M%S}", tags={"zhengai/trigger": "pending"})

    return dispatch_backlog_sensor


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


def _data_test_columns() -> dict[str, str]:
    """Check name → column of every dbt data test on a column (the manifest is a file, not the warehouse)."""
    manifest = Path(data_center_project().manifest_path)
    if not manifest.exists():
        return {}
    nodes = json.loads(manifest.read_text())["nodes"].values()
    return {node["name"]: node["column_name"] for node in nodes
            if node["resource_type"] == "test" and node.get("column_name")}


def data_quality_alert(instance: dg.DagsterInstance, run: dg.DagsterRun) -> tuple[str, str] | None:
    """Subject and body of the engineers' data-quality alert for a finished run, or None when
    it has nothing new to tell. Failed checks and unjudged records stand until fixed, and a
    workbook's refused rows are set aside again each time it is read, so what the previous
    good run of the job already reported is left out: an unchanged night alerts nobody again."""
    columns = _data_test_columns()
    failed = failed_data_quality_details(instance, run.run_id, columns)
    unjudged, quarantined, deleted = data_quality_findings(instance, run.run_id)
    previous = _previous_success(instance, run)
    if previous is not None:
        told_failed = failed_data_quality_details(instance, previous.run_id, columns)
        told_unjudged, told_quarantined, _ = data_quality_findings(instance, previous.run_id)
        failed = [item for item in failed if item not in told_failed]
        unjudged = [item for item in unjudged if item not in told_unjudged]
        quarantined = [item for item in quarantined if item not in told_quarantined]
    if not failed and not unjudged and not quarantined and not deleted:
        return None
    return data_quality_alert_text(run.job_name, run.run_id, unjudged, quarantined, failed, deleted)


def _previous_success(instance: dg.DagsterInstance, run: dg.DagsterRun) -> dg.DagsterRun | None:
    created = instance.get_run_record_by_id(run.run_id).create_timestamp
    records = instance.get_run_records(dg.RunsFilter(job_name=run.job_name, statuses=[dg.DagsterRunStatus.SUCCESS],
                                                     created_before=created), limit=1)
    return records[0].dagster_run if records else None


def build_data_quality_sensor(nightly_job) -> dg.SensorDefinition:
    @dg.run_status_sensor(
        name="data_quality_alert_sensor",
        description="夜间同步成功但有未能判定的记录、本次隔离的行，或数据质量检查（加载、数据测试等，非质控点）未通过时，给数据中心工程师（角色 data_center）发邮件：逐项列出来源表、主键、列与条数。",
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=[nightly_job],
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    )
    def data_quality_alert_sensor(context: dg.RunStatusSensorContext, paths: ZhengaiPaths):
        run = context.dagster_run
        if run.tags.get(DISPATCHED_IN_PROCESS_TAG):
            return dg.SkipReason("该运行由 zhengai sync 在本进程内发送数据质量告警")
        subject_body = data_quality_alert(context.instance, run)
        if subject_body is None:
            return dg.SkipReason("本次同步的数据质量检查全部通过")
        subject, body = subject_body
        departments = load_departments_csv(REGISTRY_DIR / "departments.csv")
        send_alert(departments, subject, body, f"data-quality-{run.run_id}", paths.smtp_url, paths.outbox, school_now())
        return dg.SkipReason(f"已告警：{subject}")

    return data_quality_alert_sensor


def build_sensors(nightly_job, same_day_job) -> list[dg.SensorDefinition]:
    return [
        build_dispatch_after_nightly_sensor([nightly_job, same_day_job]),
        build_dispatch_backlog_sensor([nightly_job, same_day_job]),
        run_failure_alert_sensor,
        build_data_quality_sensor(nightly_job),
    ]
