"""The Dagster definitions load, and every asset, check, job and schedule is what the UI should show."""

from __future__ import annotations

import dagster as dg
import pytest

from expectations.registry import load_registry_csv
from orchestration.definitions import build_definitions
from zhengai.settings import REGISTRY_DIR, Settings


@pytest.fixture(scope="module")
def defs():
    return build_definitions()


def test_module_definitions_load(defs):
    dg.Definitions.validate_loadable(defs)


def test_every_asset_has_a_group_and_a_description(tmp_path):
    definitions = build_definitions(Settings.from_env({"ZHENGAI_DATA_DIR": str(tmp_path)}))
    specs = [spec for assets in definitions.assets for spec in assets.specs]
    assert len(specs) > 100  # 35 raw tables, staging, core, marts, seeds
    for spec in specs:
        assert spec.group_name and spec.group_name != "default", spec.key
        assert spec.description, spec.key


def test_every_control_point_is_a_check_on_its_layer_mart(defs):
    points = load_registry_csv(REGISTRY_DIR / "quality_control_points.csv")
    repository = defs.get_repository_def()
    check_keys = {
        key
        for checks in repository.asset_checks_defs_by_key.values()
        for key in checks.check_keys
    }
    for point in points:
        expected = dg.AssetCheckKey(dg.AssetKey(["marts", f"mart_{point.layer}__indicators"]), point.code.lower())
        assert expected in check_keys, point.code


def test_nightly_schedule_runs_at_two_in_school_time(defs):
    schedule = defs.resolve_schedule_def("nightly_sync_0200")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Asia/Shanghai"
    assert schedule.job_name == "nightly_sync"
    assert defs.resolve_job_def("nightly_sync").executor_def.name == "in_process"


def test_jobs_and_sensors_are_described(defs):
    for job_name in ("nightly_sync", "dispatch_warnings"):
        assert defs.resolve_job_def(job_name).description
    sensor_names = {sensor.name for sensor in defs.sensors}
    assert {"dispatch_after_nightly_sensor", "dispatch_backlog_sensor", "run_failure_alert_sensor",
            "data_quality_alert_sensor"} <= sensor_names
    for sensor in defs.sensors:
        assert sensor.description, sensor.name


def test_full_refresh_reaches_the_dbt_build_as_run_config(defs):
    from orchestration.assets.data_center import full_refresh_config

    job = defs.resolve_job_def("nightly_sync")
    assert dg.validate_run_config(job, full_refresh_config())["ops"]["data_center"]["config"] == {
        "full_refresh": True, "only_changed": False}
    # the ingest reconciles the keys of its watermark tables too
    assert dg.validate_run_config(job, full_refresh_config())["ops"]["ingest_jw"]["config"] == {
        "full_refresh": True}
    # and without it the nightly run needs no config at all
    # the whole dbt project every night
    assert dg.validate_run_config(job, {})["ops"]["data_center"]["config"] == {"full_refresh": False,
                                                                               "only_changed": False}
    assert dg.validate_run_config(job, {})["ops"]["ingest_jw"]["config"] == {"full_refresh": False}
