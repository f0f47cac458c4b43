"""The warnings ledger as an asset: what the data center judged 预警, opened, worsened or resolved."""

import dagster as dg

from alerting.improvement import load_terms
from alerting.ledger import update_ledger
from expectations.registry import load_dispatch_policy, load_registry
from expectations.suites import judge_from_status
from orchestration.assets.data_center import STATUS_MART
from orchestration.resources import ZhengaiPaths
from zhengai.clock import school_now
from zhengai.periods import history_rule

WARNINGS_LEDGER = dg.AssetKey(["warnings", "ledger"])


class LedgerScope(dg.Config):
    """The same-day sync judges only the control points with same_day_digest in the registry."""

    same_day_only: bool = False


@dg.asset(
    key=WARNINGS_LEDGER,
    deps=[STATUS_MART],
    group_name="warnings",
    kinds={"sqlite"},
    # It reads the warehouse in the process that writes it: never next to a writing step.
    pool="warehouse_writer",
    description=(
        "预警台账：按 mart_quality__status 的判定记录新增、加重、恢复解除的预警（SQLite，重建仓库也保留）"
        " · the warnings ledger, updated from the judged status"
    ),
)
def warnings_ledger(context: dg.AssetExecutionContext, paths: ZhengaiPaths, config: LedgerScope) -> dg.MaterializeResult:
    # Periods that ended before the policy's notify_from are history: baseline, not news.
    is_history = history_rule(load_dispatch_policy(paths.warehouse_path).notify_from, load_terms(paths.warehouse_path))
    codes = None
    if config.same_day_only:
        codes = [point.code for point in load_registry(paths.warehouse_path) if point.same_day_digest]
        context.log.info(f"当天同步：只判定当天通知的质控点（{'、'.join(codes) or '无'}），其余留待夜间同步")
    changes = update_ledger(paths.ledger, judge_from_status(paths.warehouse_path, codes) if codes != [] else [],
                            now=school_now(), is_history=is_history)
    context.log.info(
        f"预警台账：新增 {len(changes.new)}，加重 {len(changes.worsened)}，解除 {len(changes.resolved)}，"
        f"未变 {len(changes.unchanged)}，历史基线 {len(changes.baseline)}"
    )
    return dg.MaterializeResult(metadata={
        "new": len(changes.new), "worsened": len(changes.worsened),
        "resolved": len(changes.resolved), "unchanged": len(changes.unchanged), "baseline": len(changes.baseline),
    })
