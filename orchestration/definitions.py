"""Dagster definitions (`dagster dev -m orchestration.definitions`, or `make ui`).

Nothing is built when this module is imported: Dagster calls `defs()` when it loads the
code location, and the CLI and tests call `build_definitions()`.
"""

from __future__ import annotations

import dagster as dg

from orchestration.assets.analyst_snapshot import build_snapshot_asset
from orchestration.assets.data_center import build_data_center_assets
from orchestration.assets.ingest import source_assets
from orchestration.assets.reports import annual_tables, report_drafts, report_site
from orchestration.assets.warnings_ledger import warnings_ledger
from expectations.registry import load_registry_csv
from orchestration.checks import data_quality_findings, threshold_checks
from orchestration.jobs import build_same_day_sync, dispatch_warnings, nightly_sync
from orchestration.resources import build_resources
from orchestration.schedules import build_schedules
from orchestration.sensors import build_sensors
from zhengai.settings import REGISTRY_DIR, Settings, load_env_file


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    data_center = build_data_center_assets()
    same_day_sync = build_same_day_sync(load_registry_csv(REGISTRY_DIR / "quality_control_points.csv"))
    return dg.Definitions(
        assets=[*source_assets(), data_center, warnings_ledger, build_snapshot_asset(data_center),
                report_site, annual_tables, report_drafts],
        asset_checks=[*threshold_checks(), data_quality_findings],
        jobs=[nightly_sync, same_day_sync, dispatch_warnings],
        schedules=build_schedules(nightly_sync, same_day_sync),
        sensors=build_sensors(nightly_sync, same_day_sync),
        resources=build_resources(settings or Settings.from_env()),
    )


@dg.definitions
def defs() -> dg.Definitions:
    load_env_file()  # the daemon and the webserver read the same .env as the zhengai command
    return build_definitions()
