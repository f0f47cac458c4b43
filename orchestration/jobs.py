"""The jobs: the nightly sync, the same-day sync of the school day, and the warning dispatch."""

from dataclasses import asdict

import dagster as dg

from alerting.dispatch import dispatch_warnings as send_digests
from expectations.registry import ControlPoint
from orchestration.assets.reports import ANNUAL_TABLES, REPORT_DRAFTS
from orchestration.checks import control_point_check_key
from orchestration.resources import ZhengaiPaths
from zhengai.clock import school_now

# On a nightly run whose own process dispatches its warnings right after it (`zhengai sync`):
# the dispatch sensors leave that run to it.
DISPATCHED_IN_PROCESS_TAG = "zhengai/dispatched_in_process"

nightly_sync = dg.define_asset_job(
    "nightly_sync",
    selection=dg.AssetSelection.all(),
    description="夜间同步：源系统 → raw → dbt 数据中心与指标集市 → 质控点检查 → 预警台账 → 分析快照。",
    # One process writes the DuckDB file, one step at a time.
    executor_def=dg.in_process_executor,
)


# The ledger asset's config in the same-day job: judge only the same-day control points, so
# the others change the ledger (and the digests) once a day, at night.
SAME_DAY_LEDGER_CONFIG = {"ops": {"warnings__ledger": {"config": {"same_day_only": True}}}}
# and dbt builds only the nodes downstream of what changed since the last good build; the
# nightly job builds the whole project.
SAME_DAY_CONFIG = {"ops": {**SAME_DAY_LEDGER_CONFIG["ops"], "data_center": {"config": {"only_changed": True}}}}

SAME_DAY_SYNC = "same_day_sync"


def build_same_day_sync(points: list[ControlPoint]):
    """Everything the nightly job builds but the annual tables and the report drafts (made at
    night), with the control-point checks of the same-day control points only."""
    other_checks = [control_point_check_key(point) for point in points if not point.same_day_digest]
    return dg.define_asset_job(
        SAME_DAY_SYNC,
        selection=dg.AssetSelection.all() - dg.AssetSelection.assets(ANNUAL_TABLES, REPORT_DRAFTS)
        - dg.AssetSelection.checks(*other_checks),
        description="当天同步（上课日每小时）：新到数据入仓 → dbt 只构建受新数据影响的模型（模型的数据测试与数据质量发现留给夜间同步） → 只检查并判定当天通知的质控点、记入预警台账 → 分析快照与报告网站。",
        config=SAME_DAY_CONFIG,
        executor_def=dg.in_process_executor,
    )


class DeliveryConfig(dg.Config):
    retries: int = 3  # further attempts per e-mail on a temporary SMTP error
    backoff_seconds: float = 2.0  # wait before the first retry; doubles each time


@dg.op(description="把台账中未通知的预警变化（新增、加重、解除、到期提醒、升级督办）按收件人汇总，每个收件人一封摘要邮件；无 SMTP 时写入 outbox。")
def send_warning_digests(context: dg.OpExecutionContext, config: DeliveryConfig, paths: ZhengaiPaths):
    report = send_digests(
        paths.warehouse_path, paths.ledger, paths.outbox, paths.smtp_url, now=school_now(),
        retries=config.retries, backoff_seconds=config.backoff_seconds, page_base_url=paths.report_site_url,
    )
    for fallback in report.fallbacks:
        context.log.warning(
            f"{fallback.department_name}（{fallback.department_code}）没有可用邮箱（{fallback.reason}），"
            f"{fallback.count} 条预警转发质量办（{fallback.routed_to}）"
        )
    for failure in report.failures:
        # Nothing was marked as sent: the backlog sensor retries after retry_after_minutes.
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
    "夜间同步后由 dispatch_after_nightly_sensor 触发，发送失败或到期提醒由 dispatch_backlog_sensor 触发，也可手动运行。"
)
def dispatch_warnings():
    send_warning_digests()
