"""The two schedules from sync_schedule.yml: the nightly sync at 02:00, the same-day sync every
hour of the school day, both on the school's clock, ticked through Dagster's own APIs."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from dagster._utils.schedules import cron_string_iterator

from orchestration.definitions import build_definitions
from expectations.registry import load_registry_csv
from orchestration.schedules import SyncSchedule
from zhengai.settings import REGISTRY_DIR

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def defs():
    return build_definitions()


def _ticks(schedule: dg.ScheduleDefinition, start: datetime, end: datetime) -> list[datetime]:
    """The times Dagster's daemon would tick the schedule between start and end."""
    ticks = []
    for tick in cron_string_iterator(start.timestamp(), schedule.cron_schedule, schedule.execution_timezone):
        if tick.timestamp() >= end.timestamp():
            return ticks
        ticks.append(tick.astimezone(SHANGHAI).replace(tzinfo=None))
    return ticks


def test_the_same_day_sync_ticks_every_school_day_hour_and_never_at_night_or_at_the_weekend(defs):
    schedule = defs.resolve_schedule_def("same_day_sync_hourly")
    config = SyncSchedule.load()
    week = _ticks(schedule, datetime(2025, 3, 2, 23, tzinfo=SHANGHAI), datetime(2025, 3, 9, 23, tzinfo=SHANGHAI))
    # Monday 3 to Friday 7 March 2025, 08:00 to 18:00 Beijing time, on the hour
    assert week == [datetime(2025, 3, day, hour) for day in range(3, 8)
                    for hour in range(config.first_hour, config.last_hour + 1)]
    assert (config.first_hour, config.last_hour, config.timezone) == (8, 18, "Asia/Shanghai")
    nightly = defs.resolve_schedule_def("nightly_sync_0200")
    nights = _ticks(nightly, datetime(2025, 3, 2, 23, tzinfo=SHANGHAI), datetime(2025, 3, 9, 23, tzinfo=SHANGHAI))
    assert nights == [datetime(2025, 3, day, 2) for day in range(3, 10)]
    assert not set(week) & set(nights)


@pytest.mark.parametrize("moment", [datetime(2025, 3, 3, 8), datetime(2025, 3, 5, 13), datetime(2025, 3, 7, 18)])
def test_a_school_day_tick_launches_the_same_day_job_judging_only_same_day_control_points(defs, moment):
    schedule = defs.resolve_schedule_def("same_day_sync_hourly")
    context = dg.build_schedule_context(scheduled_execution_time=moment.replace(tzinfo=SHANGHAI))
    [request] = schedule.evaluate_tick(context).run_requests
    assert (request.job_name or schedule.job_name) == "same_day_sync"
    job = defs.resolve_job_def("same_day_sync")
    run_config = dg.validate_run_config(job, request.run_config or None)
    assert run_config["ops"]["warnings__ledger"]["config"] == {"same_day_only": True}
    assert run_config["ops"]["data_center"]["config"] == {"full_refresh": False, "only_changed": True}
    # the report site is kept current every hour; drafts and annual tables wait for the night
    keys = job.asset_layer.executable_asset_keys
    assert dg.AssetKey(["reports", "site"]) in keys and dg.AssetKey(["serving", "analyst_snapshot"]) in keys
    assert dg.AssetKey(["reports", "drafts"]) not in keys and dg.AssetKey(["reports", "annual_tables"]) not in keys


def test_the_nightly_tick_stays_the_full_nightly_run(defs):
    schedule = defs.resolve_schedule_def("nightly_sync_0200")
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2025, 3, 4, 2, tzinfo=SHANGHAI))
    [request] = schedule.evaluate_tick(context).run_requests
    assert (request.job_name or schedule.job_name) == "nightly_sync"
    job = defs.resolve_job_def("nightly_sync")
    assert dg.validate_run_config(job, request.run_config or None)["ops"]["warnings__ledger"]["config"] == {
        "same_day_only": False}
    assert dg.AssetKey(["reports", "drafts"]) in job.asset_layer.executable_asset_keys


def test_hours_and_days_come_from_the_config_file(tmp_path):
    path = tmp_path / "sync_schedule.yml"
    path.write_text("timezone: Asia/Urumqi\nnightly: {hour: 3}\n"
                    "same_day: {first_hour: 9, last_hour: 17, weekdays: [mon, tue, wed, thu, fri, sat]}\n",
                    encoding="utf-8")
    config = SyncSchedule.load(path)
    assert (config.same_day_cron, config.nightly_cron, config.timezone) == ("0 9-17 * * 1,2,3,4,5,6", "0 3 * * *",
                                                                             "Asia/Urumqi")
    path.write_text("timezone: Asia/Shanghai\nnightly: {hour: 10}\n"
                    "same_day: {first_hour: 8, last_hour: 18, weekdays: [mon]}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="夜间同步"):
        SyncSchedule.load(path)
    path.write_text("timezone: Asia/Shanghai\nnightly: {hour: 2}\n"
                    "same_day: {first_hour: 8, last_hour: 18, weekdays: [montag]}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="weekdays"):
        SyncSchedule.load(path)



def _control_point_checks(defs, job_name: str) -> set[str]:
    job = next(job for job in defs.jobs if job.name == job_name)
    checks = job.selection.resolve_checks(defs.get_repository_def().asset_graph)
    codes = {point.code.lower() for point in load_registry_csv(REGISTRY_DIR / "quality_control_points.csv")}
    return {key.name.upper() for key in checks if key.name in codes}


def test_the_same_day_job_checks_only_the_same_day_control_points_and_the_nightly_all(defs):
    points = load_registry_csv(REGISTRY_DIR / "quality_control_points.csv")
    same_day = {point.code for point in points if point.same_day_digest}
    assert same_day == {"STU_NIGHTS_OUT"}          # the shipped registry: nights away → the counsellor
    assert _control_point_checks(defs, "same_day_sync") == same_day
    assert _control_point_checks(defs, "nightly_sync") == {point.code for point in points}
