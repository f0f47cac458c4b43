"""The dbt project as Dagster assets: staging, intermediate, core, data quality, marts, registry."""

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

import ingest

from orchestration.build_scope import BuildScope, plan_build, record_build
from orchestration.dbt_project import data_center_project
from orchestration.resources import ZhengaiPaths
from zhengai.clock import school_now

# The nightly job checks data, not code: dbt's unit tests read fixtures, never the
# warehouse, so they run in `make test`, not every night.
NIGHTLY_BUILD_ARGS = ["build", "--exclude", "resource_type:unit_test"]
STATUS_MART = dg.AssetKey(["marts", "mart_quality__status"])
# Observation metadata of a data test that did not pass: the test's name, and the rows it found.
DATA_TEST_KEY = "dbt_data_test"
FAILED_ROWS = "dagster_dbt/failed_row_count"


class ZhengaiDbtTranslator(DagsterDbtTranslator):
    """Keys read like the warehouse: raw_jw/jw_kq_xskqb, core/dim_student, marts/mart_…

    dbt's data tests are not Dagster asset checks: each check is an event when a run is
    planned and two more when its test runs, hundreds per run in Dagster's event log, which
    costs more than the tests themselves. `dbt build` still runs every test; the step records
    the ones that did not pass (`observe_failed_data_tests`) and logs the count of the others."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=False))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            # Sources are keyed by their warehouse schema, as the ingest assets are.
            return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"].lower()])
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props["schema"]


def observe_failed_data_tests(events: Iterable[Any], manifest: Mapping[str, Any], translator: DagsterDbtTranslator,
                      context: dg.AssetExecutionContext) -> Iterator[Any]:
    """dagster-dbt's events of a `dbt build`, with the data tests' observations (one per model a
    test reads, passed or not) replaced by one observation per test that did not pass, on the
    model the test is defined on, for the engineers' data-quality alert (run_records)."""
    passed, seen = 0, set()
    for event in events:
        found = event.metadata.get("unique_id") if isinstance(event, dg.AssetObservation) else None
        unique_id = str(found.value) if found is not None else ""
        if not unique_id.startswith("test."):
            yield event
            continue
        status = event.metadata["status"].value
        if status == "pass":
            passed += unique_id not in seen
        elif unique_id not in seen:
            test = manifest["nodes"][unique_id]
            tested = manifest["nodes"].get(test.get("attached_node") or "") or manifest["nodes"].get(
                test["depends_on"]["nodes"][-1]) or manifest["sources"][test["depends_on"]["nodes"][-1]]
            failed_rows = event.metadata.get(FAILED_ROWS)
            yield dg.AssetObservation(asset_key=translator.get_asset_key(tested), metadata={
                DATA_TEST_KEY: test["name"],
                "severity": "WARN" if status == "warn" else "ERROR",
                FAILED_ROWS: failed_rows.value if failed_rows is not None else None,
            })
        seen.add(unique_id)
    context.log.info(f"dbt 数据测试：{len(seen)} 项，通过 {passed} 项，未通过 {len(seen) - passed} 项")


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
    translator = ZhengaiDbtTranslator()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=translator,
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
            args += scope.exclude_args()
            # the task board runs to the school's current month
            args += ["--vars", json.dumps({"as_of_month": as_of.strftime("%Y-%m")})]
            events = dbt.cli(args, context=context, target_path=paths.dbt_target_path).stream()
            yield from observe_failed_data_tests(events, manifest, translator, context)
        # Reached only when dbt succeeded: the next same-day build starts from here.
        record_build(paths.warehouse_path, manifest, scope, run_id=context.run.run_id, started_at=started_at, as_of=as_of)

    return data_center
