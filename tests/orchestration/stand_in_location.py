"""A Dagster code location for the tests: the shipped control-point checks, warnings ledger,
sensors, dispatch job and paths resource, over a hand-made warehouse instead of ingest + dbt.

`nightly_sync` here runs only the asset checks and the ledger (the marts are external
assets), so a nightly run with failed control points costs a second, not a full build.
Settings come from the ZHENGAI_* environment, as in orchestration/definitions.py.
"""

import dagster as dg
import duckdb

from expectations.registry import load_registry_csv
from orchestration.assets.data_center import STATUS_MART
from orchestration.assets.warnings_ledger import WARNINGS_LEDGER, warnings_ledger
from orchestration.checks import build_layer_checks, control_point_check_key, layer_mart_key
from orchestration.jobs import SAME_DAY_LEDGER_CONFIG, dispatch_warnings
from orchestration.resources import ZhengaiPaths
from orchestration.sensors import build_sensors
from zhengai.settings import REGISTRY_DIR, Settings


@dg.asset_check(asset=STATUS_MART, description="数据质量：状态表的所属单位都在部门登记表中（无孤儿记录）", blocking=False)
def status_units_known(paths: ZhengaiPaths) -> dg.AssetCheckResult:
    # Stands in for the data-quality checks of the real pipeline (ingest loads, dbt tests).
    with duckdb.connect(str(paths.warehouse_path), read_only=True) as connection:
        orphans = connection.execute(
            "select count(*) from marts.mart_quality__status where unit_id is not null "
            "and unit_id not in (select department_code from registry.departments)"
        ).fetchone()[0]
    return dg.AssetCheckResult(passed=orphans == 0, severity=dg.AssetCheckSeverity.WARN, metadata={"orphans": orphans})


@dg.op
def load_that_breaks():
    raise RuntimeError("源系统连接被拒绝：jw.sqlite 不可读")


@dg.job(description="测试用：总是失败的作业")
def broken_job():
    load_that_breaks()


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    points = load_registry_csv(REGISTRY_DIR / "quality_control_points.csv")
    layers = sorted({point.layer for point in points})
    nightly_sync = dg.define_asset_job(
        "nightly_sync",
        selection=dg.AssetSelection.all_asset_checks() | dg.AssetSelection.assets(WARNINGS_LEDGER),
        description="测试用夜间同步：只运行资产检查和预警台账",
        executor_def=dg.in_process_executor,
    )
    same_day_sync = dg.define_asset_job(
        "same_day_sync",
        selection=dg.AssetSelection.checks(*(control_point_check_key(p) for p in points if p.same_day_digest))
        | dg.AssetSelection.assets(WARNINGS_LEDGER),
        description="测试用当天同步：当天通知质控点的检查和只判定它们的预警台账",
        config=SAME_DAY_LEDGER_CONFIG,
        executor_def=dg.in_process_executor,
    )
    return dg.Definitions(
        assets=[dg.AssetSpec(layer_mart_key(layer)) for layer in layers] + [dg.AssetSpec(STATUS_MART), warnings_ledger],
        asset_checks=[build_layer_checks(layer, [p for p in points if p.layer == layer]) for layer in layers]
        + [status_units_known],
        jobs=[nightly_sync, same_day_sync, dispatch_warnings, broken_job],
        sensors=build_sensors(nightly_sync, same_day_sync),
        resources={"paths": ZhengaiPaths.from_settings(settings or Settings.from_env())},
    )


defs = build_definitions()
