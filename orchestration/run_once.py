"""`zhengai sync`: the nightly (or the same-day) job and then the warning dispatch, once, in this process.

After a nightly run it also sends the engineers' data-quality alert the daemon's sensor would
send (the run is tagged, so the sensor leaves it to this process and nobody gets it twice).

The same job definitions the daemon runs, on the persistent instance when DAGSTER_HOME is
set (so the runs show in the UI), for schools that run it from cron or by hand.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import dagster as dg
import duckdb

from alerting.engineer_alerts import AlertResult, send_alert
from alerting.routing import COUNSELLOR_KEY
from expectations.registry import load_departments_csv
from orchestration.assets.analyst_snapshot import SNAPSHOT_KEY
from orchestration.assets.data_center import full_refresh_config
from orchestration.assets.reports import REPORT_DRAFTS, REPORT_SITE
from orchestration.checks import JUDGED_IN_RUN_KEY
from orchestration.jobs import DISPATCHED_IN_PROCESS_TAG, SAME_DAY_CONFIG
from orchestration.progress import listened_run_id
from orchestration.resources import ReportsRoom
from orchestration.run_records import control_point_evaluations, failed_control_points
from orchestration.sensors import data_quality_alert
from serving.report_data import LAYER_ZH
from zhengai.clock import school_now
from orchestration.task_board_summary import task_board_lines
from zhengai.settings import REGISTRY_DIR, Settings


@dataclass
class SyncSummary:
    succeeded: bool
    seconds: float
    rows_by_source: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # read, loaded, quarantined
    changes_by_source: dict[str, tuple[int, int]] = field(default_factory=dict)  # rows written, deleted in raw
    failed_tables: list[str] = field(default_factory=list)
    models_built: int = 0
    control_points_evaluated: int = 0
    control_points_repeated: int = 0  # of those, the rows unchanged since the run that validated them
    control_points_failed: list[str] = field(default_factory=list)
    warnings_per_department: dict[str, int] = field(default_factory=dict)
    emails: list = field(default_factory=list)
    snapshot: str | None = None  # the analysts' snapshot, when this run replaced it
    outbox: str | None = None  # where e-mails were written when no SMTP server is set
    report_site: str | None = None  # the report site's front page, when this run brought it up to date
    report_drafts: str | None = None  # the drafts the calendar asked for this run, when there were any
    task_board: list[str] = field(default_factory=list)  # the board's latest month and 目标达成度
    errors: list[str] = field(default_factory=list)
    job: str = "nightly_sync"
    data_quality_alert: AlertResult | None = None  # the engineers' alert, when this run had findings


# The nightly run is dispatched below, in this process: the daemon's dispatch sensors and its
# data-quality alert sensor leave it alone, even when they tick between its end and this
# dispatch (`make ui` during a sync).
SYNC_TAGS = {DISPATCHED_IN_PROCESS_TAG: "zhengai sync"}


def _instance() -> dg.DagsterInstance:
    return dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()


def _load_audit(settings: Settings, run_id: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(
            "select source, table_name, rows_read, rows_loaded, rows_quarantined, status, "
            "coalesce(rows_written, rows_loaded), coalesce(rows_removed, 0) + coalesce(rows_deleted, 0) "
            "from meta.load_audit where run_id = ? order by source, table_name",
            [run_id],
        ).fetchall()


def run_sync(settings: Settings, instance: dg.DagsterInstance | None = None,
             full_refresh: bool = False, same_day: bool = False,
             on_stage: Callable[[str], None] | None = None) -> SyncSummary:
    from orchestration.definitions import build_definitions

    started = time.perf_counter()
    instance = instance or _instance()
    defs = build_definitions(settings)
    job = "same_day_sync" if same_day else "nightly_sync"
    run_config = full_refresh_config() if full_refresh else None
    if same_day and full_refresh:
        # the job's own same-day config, with the full refresh on top (a full refresh builds everything)
        run_config = {"ops": {name: {"config": {**SAME_DAY_CONFIG["ops"].get(name, {}).get("config", {}),
                                                 **op["config"]}}
                              for name, op in {**SAME_DAY_CONFIG["ops"], **run_config["ops"]}.items()}}
    nightly = defs.resolve_job_def(job).execute_in_process(
        instance=instance, raise_on_error=False, run_config=run_config,
        run_id=listened_run_id(instance, on_stage), tags=SYNC_TAGS)
    summary = SyncSummary(succeeded=nightly.success, seconds=0.0, job=job)

    for event in nightly.all_events:
        if event.is_step_failure:
            summary.errors.append(f"{event.step_key}: {event.event_specific_data.error.message.strip()}")
    materialized = [event.asset_key.path for event in nightly.get_asset_materialization_events()]
    summary.models_built = sum(1 for path in materialized if path[0] in {"staging", "intermediate", "core", "data_quality", "marts", "registry"})
    if SNAPSHOT_KEY.path in materialized:
        summary.snapshot = str(settings.snapshot)
    if REPORT_SITE.path in materialized:
        summary.report_site = ReportsRoom.from_settings(settings).base_url + "index.html"
    for event in nightly.get_asset_materialization_events():
        if event.asset_key == REPORT_DRAFTS:
            summary.report_drafts = drafts_line(
                {name: entry.value for name, entry in event.event_specific_data.materialization.metadata.items()})
    sources: dict[str, list[int]] = {}
    changes: dict[str, list[int]] = {}
    for source, table, read, loaded, quarantined, status, written, deleted in _load_audit(settings, nightly.run_id):
        totals = sources.setdefault(source, [0, 0, 0])
        totals[0] += read
        totals[1] += loaded
        totals[2] += quarantined
        changed = changes.setdefault(source, [0, 0])
        changed[0] += written
        changed[1] += deleted
        if status != "ok":
            summary.failed_tables.append(f"{source}.{table}")
    summary.rows_by_source = {k: tuple(v) for k, v in sources.items()}
    summary.changes_by_source = {k: tuple(v) for k, v in changes.items()}

    evaluations = control_point_evaluations(instance, nightly.run_id)
    summary.control_points_evaluated = len(evaluations)
    summary.control_points_repeated = sum(JUDGED_IN_RUN_KEY in evaluation.metadata for evaluation in evaluations)
    summary.control_points_failed = failed_control_points(instance, nightly.run_id)
    summary.task_board = task_board_lines(settings.warehouse)

    if nightly.success and job == "nightly_sync":  # the sensor watches the nightly job only
        try:
            summary.data_quality_alert = send_data_quality_alert(instance, nightly.run_id, settings)
        except Exception as error:  # the night's data stands; the alert is in the outbox
            summary.errors.append(f"数据质量告警发送失败：{error}")
    if nightly.success:
        dispatch = defs.resolve_job_def("dispatch_warnings").execute_in_process(
            instance=instance, run_id=listened_run_id(instance, on_stage),
            tags={"zhengai/trigger": f"zhengai sync:{nightly.run_id}"})
        report = dispatch.output_for_node("send_warning_digests")
        summary.warnings_per_department = dict(report.warnings_per_department)
        summary.emails = list(report.emails)
        summary.outbox = None if settings.smtp_url else str(settings.outbox)
    summary.seconds = time.perf_counter() - started
    return summary


def send_data_quality_alert(instance: dg.DagsterInstance, run_id: str,
                            settings: Settings) -> AlertResult | None:
    """The engineers' data-quality alert of a finished run, as the sensor decides it (this
    run's findings: the rows it quarantined or found deleted, the records left unjudged, the
    checks that failed), under the sensor's key, so the message is the same one; None when
    there is nothing to tell."""
    subject_body = data_quality_alert(instance, instance.get_run_by_id(run_id))
    if subject_body is None:
        return None
    subject, body = subject_body
    departments = load_departments_csv(REGISTRY_DIR / "departments.csv")
    return send_alert(departments, subject, body, f"data-quality-{run_id}", settings.smtp_url,
                      settings.outbox, school_now())


RECIPIENTS_PER_LINE = 5


def report_site_line(summary: SyncSummary) -> str:
    if summary.report_site:
        return f"  报告网站（画像、驾驶舱）：{summary.report_site}（已更新，可用浏览器直接打开）"
    return f"  报告网站：未更新（{_not_updated_because(summary)}）"


def drafts_line(metadata: dict) -> str | None:
    """The report_drafts asset's metadata (drafts_<layer>, pending_<layer>) as a line of the summary."""
    layers = [name.removeprefix("drafts_") for name in metadata if name.startswith("drafts_")]
    if not layers:
        return None
    made = "、".join(f"{LAYER_ZH[layer]}层面 {metadata[f'drafts_{layer}']:,} 份"
                     + (f"（另有 {metadata[f'pending_{layer}']:,} 份留待之后的夜间）" if metadata.get(f"pending_{layer}") else "")
                     for layer in layers)
    return f"  诊改报告草稿（{metadata['period']} 学年）：{made}"


def _not_updated_because(summary: SyncSummary) -> str:
    # A good same-day run that rebuilt nothing the page or the snapshot reads leaves them as they are.
    return "本次构建未成功" if not summary.succeeded else "本次没有重建它所依据的模型，沿用上次的版本"


def format_summary(summary: SyncSummary) -> str:
    lines = ["", f"══ zhengai {'当天同步' if summary.job == 'same_day_sync' else '夜间同步'}摘要 ══"]
    source_names = {"jw": "教务系统", "hr": "人事系统", "xg": "学工系统", "state": "状态数据平台",
                    "plan": "目标任务与个体目标"}
    for source, (read, loaded, quarantined) in summary.rows_by_source.items():
        written, deleted = summary.changes_by_source.get(source, (loaded, 0))
        lines.append(
            f"  {source_names.get(source, source)}（{source}）：读取 {read:,} 行，新增或变更 {written:,} 行"
            + (f"，删除 {deleted:,} 行" if deleted else "") + f"，隔离 {quarantined:,} 行"
        )
    if summary.failed_tables:
        lines.append(f"  加载失败的表：{'、'.join(summary.failed_tables)}（保留上次数据，见 meta.load_audit）")
    lines.append(f"  dbt 构建模型与种子：{summary.models_built} 个")
    lines.append(
        f"  质控点检查：{summary.control_points_evaluated} 个"
        + (f"（其中 {summary.control_points_repeated} 个数据未变，沿用上次校验结果）" if summary.control_points_repeated else "")
        + f"，未通过 {len(summary.control_points_failed)} 个"
        + (f"（{'、'.join(summary.control_points_failed)}）" if summary.control_points_failed else "")
    )
    lines += summary.task_board
    if summary.warnings_per_department:
        names = {d.department_code: d.name_zh for d in load_departments_csv(REGISTRY_DIR / "departments.csv")}
        counsellors = {k: v for k, v in summary.warnings_per_department.items() if k.startswith(COUNSELLOR_KEY)}
        told = [f"{names.get(key, key)} {count} 条" for key, count in sorted(summary.warnings_per_department.items())
                if key not in counsellors]
        if counsellors:
            told.append(f"辅导员 {len(counsellors)} 人共 {sum(counsellors.values())} 条")
        lines.append("  本次通知预警（按收件人）：")
        # a few recipients a line: the summary stays within a screen
        lines += ["    " + "、".join(told[i:i + RECIPIENTS_PER_LINE]) for i in range(0, len(told), RECIPIENTS_PER_LINE)]
    else:
        lines.append("  本次无新增预警需要通知")
    lines.append(f"  分析快照：{summary.snapshot}（已更新）" if summary.snapshot
                 else f"  分析快照：未更新（{_not_updated_because(summary)}）")
    lines.append(report_site_line(summary))
    if summary.report_drafts:
        lines.append(summary.report_drafts)
    if summary.data_quality_alert:
        alert = summary.data_quality_alert
        lines.append(f"  数据质量告警：已发给 {alert.recipient}（{alert.subject}）")
    lines.append(f"  邮件：{len(summary.emails)} 封" + (f"（主题与收件人见 {summary.outbox}）" if summary.emails and summary.outbox else ""))
    for error in summary.errors:  # the first line; the whole error is in the run's log
        lines.append(f"  错误：{error.strip().splitlines()[0] if error.strip() else error}")
    lines.append(f"  用时：{summary.seconds:.1f} 秒" + ("" if summary.succeeded else "（同步失败）"))
    return "\n".join(lines)
