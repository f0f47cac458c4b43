"""Dagster definitions: `dagster dev -m orchestration.definitions` (or `make ui`)."""

from __future__ import annotations

import dagster as dg

from orchestration.assets.dbt import data_center, dbt_resource
from orchestration.assets.ingest import source_assets
from orchestration.assets.serving import AnalystSnapshot, build_snapshot_asset
from orchestration.checks import threshold_checks
from orchestration.resources import ZhengaiPaths
from orchestration.settings import Settings
from orchestration.warnings import build_warning_sensors, dispatch_warnings

nightly_sync = dg.define_asset_job(
    "nightly_sync",
    selection=dg.AssetSelection.all(),
    description="夜间同步：四个源系统 → raw → dbt 数据中心与指标集市 → 质控点检查 → 分析快照。",
    # One process writes the DuckDB file, one step at a time.
    executor_def=dg.in_process_executor,
)

nightly_schedule = dg.ScheduleDefinition(
    name="nightly_sync_0200",
    job=nightly_sync,
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Shanghai",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="每天北京时间 02:00 运行夜间同步。",
)


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    settings = settings or Settings.from_env()
    return dg.Definitions(
        assets=[*source_assets(), data_center, build_snapshot_asset(data_center)],
        asset_checks=threshold_checks(),
        jobs=[nightly_sync, dispatch_warnings],
        schedules=[nightly_schedule],
        sensors=build_warning_sensors(nightly_sync),
        resources={
            "paths": ZhengaiPaths.from_settings(settings),
            "dbt": dbt_resource(),
            "snapshot": AnalystSnapshot.from_settings(settings),
        },
    )


defs = build_definitions()
