"""The dbt project as Dagster assets: staging, intermediate, core, data quality, marts, registry."""

import json
import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

import ingest

from orchestration.build_scope import BuildScope, plan_build, record_build
from orchestration.dbt_project import data_center_project
from orchestration.resources import ZhengaiPaths
from zhengai.clock import school_now

# The nightly job checks data, not code: dbt's unit tests read fixtures, never the
# warehouse, so they run in `make test`, not every night.
NIGHTLY_BUILD_ARGS = ["build", "--exclude", "resource_type:unit_test"]
STATUS_MART = dg.AssetKey(["marts", "mart_quality__status"])


class ZhengaiDbtTranslator(DagsterDbtTranslator):
    """Keys read like the warehouse: raw_jw/jw_kq_xskqb, core/dim_student, marts/mart_…"""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            # Sources are keyed by their warehouse schema, as the ingest assets are.
            return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"].lower()])
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props["schema"]

    def get_asset_check_spec(self, asset_spec: dg.AssetSpec, manifest: Mapping[str, Any], unique_id: str,
                             project: DbtProject | None) -> dg.AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        # A failing error-severity test already stops dbt and fails the data_center step, and
        # with it everything downstream; Dagster's own blocking would add nothing but turn each
        # downstream input into a multi-source one, which the snapshot's fan-in cannot take.
        if spec is None or not spec.blocking:
            return spec
        return dg.AssetCheckSpec(spec.name, asset=spec.asset_key, description=spec.description,
                                 additional_deps=spec.additional_deps, metadata=spec.metadata, blocking=False)


class DataCenterBuild(dg.Config):
    """`zhengai sync --full-refresh` rebuilds the incremental models from all of raw; the
    same-day sync builds only what changed since the last good build (build_scope)."""

    full_refresh: bool = False
    only_changed: bool = False


def full_refresh_config() -> dict:
    """Run config of nightly_sync that rebuilds the incremental dbt models from all of raw."""
    ops = {"data_center": {"config": {"full_refresh": True}}}
    # and the ingest reconciles the keys of its watermark tables whenever last reconciled
    ops |= {f"ingest_{name}": {"config": {"full_refresh": True}} for name in ingest.load_config().sources}
    return {"ops": ops}


def build_data_center_assets() -> dg.AssetsDefinition:
    project = data_center_project()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=ZhengaiDbtTranslator(),
        # DuckDB has one writer: never run this next to the ingest step.
        pool="warehouse_writer",
    )
    def data_center(context: dg.AssetExecutionContext, dbt: DbtCliResource, paths: ZhengaiPaths,
                    config: DataCenterBuild):
        """Staging, core (校本数据中心), data quality, the registry seeds and the indicator marts."""
        # The dbt subprocess reads the warehouse path from the profile's environment.
        os.environ["ZHENGAI_WAREHOUSE"] = str(paths.warehouse_path)
        as_of = school_now().date()
        manifest = json.loads(project.manifest_path.read_text())
        scope = (plan_build(paths.warehouse_path, manifest, as_of) if config.only_changed and not config.full_refresh
                 else BuildScope(full=True, reason="完整构建"))
        context.log.info(f"dbt 构建范围：{scope.reason}")
        started_at = datetime.now()
        if not scope.empty:
            args = NIGHTLY_BUILD_ARGS + (["--full-refresh"] if config.full_refresh else [])
            if not scope.full:
                args += ["--exclude", " ".join(scope.excluded_names)]
            # the task board runs to the school's current month
            args += ["--vars", json.dumps({"as_of_month": as_of.strftime("%Y-%m")})]
            yield from dbt.cli(args, context=context, target_path=paths.dbt_target_path).stream()
        # Reached only when dbt succeeded: the next same-day build starts from here.
        record_build(paths.warehouse_path, manifest, scope, run_id=context.run.run_id, started_at=started_at, as_of=as_of)

    return data_center
