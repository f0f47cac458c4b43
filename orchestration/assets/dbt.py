"""The dbt project as Dagster assets: one cached DbtProject, one translator."""

import os
import sys
from pathlib import Path
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from orchestration.resources import ZhengaiPaths
from orchestration.settings import DBT_PROJECT_DIR, Settings

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def ensure_manifest() -> None:
    """Parse the project when the manifest is missing or older than the project files.

    `dagster dev` prepares it itself; the CLI, tests and the daemon load definitions
    without it, and a stale manifest would silently hide a new model.
    """
    manifest = dbt_project.manifest_path
    newest_source = max(
        p.stat().st_mtime
        for folder in ("models", "seeds", "macros", "snapshots", "tests")
        if (DBT_PROJECT_DIR / folder).exists()
        for p in (DBT_PROJECT_DIR / folder).rglob("*")
        if p.is_file()
    )
    newest_source = max(newest_source, (DBT_PROJECT_DIR / "dbt_project.yml").stat().st_mtime)
    if manifest.exists() and manifest.stat().st_mtime >= newest_source:
        return
    # Parsing reads the profile, which needs the warehouse path; parse opens no connection.
    os.environ.setdefault("ZHENGAI_WAREHOUSE", str(Settings.from_env().warehouse))
    dbt_project.preparer.prepare(dbt_project)


class ZhengaiDbtTranslator(DagsterDbtTranslator):
    """Keys read like the warehouse: raw_jw/jw_kq_xskqb, core/dim_student, marts/mart_…"""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            # Sources are keyed by their warehouse schema, as the ingest assets are.
            return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"].lower()])
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props["schema"]


ensure_manifest()

# The nightly job checks data, not code: dbt's unit tests read fixtures, never the
# warehouse, so they run in `make test` (tests/dbt_project), not every night.
NIGHTLY_BUILD_ARGS = ["build", "--exclude", "resource_type:unit_test"]


class DataCenterBuild(dg.Config):
    """`zhengai sync --full-refresh`: rebuild the incremental big-log intermediates from all
    of raw (needed after rows were deleted in a source, or a dimension changed without
    its own rows being reloaded; see dbt_project/README.md)."""

    full_refresh: bool = False


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=ZhengaiDbtTranslator(),
    # DuckDB has one writer: never run this next to the ingest step.
    pool="warehouse_writer",
)
def data_center(context: dg.AssetExecutionContext, dbt: DbtCliResource, paths: ZhengaiPaths,
                config: DataCenterBuild):
    """Staging, core (校本数据中心), the registry seeds and the indicator marts."""
    os.environ["ZHENGAI_WAREHOUSE"] = str(paths.warehouse_path)
    args = NIGHTLY_BUILD_ARGS + (["--full-refresh"] if config.full_refresh else [])
    yield from dbt.cli(args, context=context).stream()


def dbt_resource() -> DbtCliResource:
    # The dbt beside this interpreter, so `.venv/bin/zhengai` works without an activated venv.
    beside = Path(sys.executable).parent / "dbt"
    return DbtCliResource(
        project_dir=dbt_project,
        global_config_flags=["--no-use-colors"],
        dbt_executable=str(beside) if beside.exists() else "dbt",
    )
