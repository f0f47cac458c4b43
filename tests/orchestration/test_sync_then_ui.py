"""`zhengai sync` dispatches its own night; a daemon (`make ui`) must not dispatch it again,
even when a sensor ticks between the end of the nightly run and the sync's own dispatch. The
same for the engineers' data-quality alert: the sync sends it, the sensor leaves that run."""

from __future__ import annotations

import dagster as dg
import pytest

from orchestration.run_once import SYNC_TAGS, format_summary, send_data_quality_alert, SyncSummary

from tests.expectations.expectations_testkit import BASE_ROWS, create_warehouse
from tests.expectations.smtp_testkit import smtp_server
from tests.orchestration.test_warning_sensors import AFTER_NIGHTLY, BACKLOG, DATA_CENTER, Site


@pytest.fixture
def instance(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        yield instance


def nightly(site: Site, tags: dict[str, str] | None, rows=BASE_ROWS) -> str:
    create_warehouse(site.warehouse, rows)
    result = site.defs.resolve_job_def("nightly_sync").execute_in_process(instance=site.instance, tags=tags)
    assert result.success
    return result.run_id


def test_a_daemon_ticking_between_the_syncs_night_and_its_dispatch_launches_nothing(tmp_path, instance):
    site = Site(tmp_path, instance)
    nightly(site, SYNC_TAGS)  # the night `zhengai sync` ran; its dispatch has not started yet

    after = site.tick(AFTER_NIGHTLY)
    assert after.run_requests == [] and after.skip_message == "没有新结束并更新了预警台账的同步"
    backlog = site.tick(BACKLOG)
    assert backlog.run_requests == []

    dispatch = site.dispatch()  # the sync's own dispatch
    assert dispatch.output_for_node("send_warning_digests").emails
    assert site.tick(AFTER_NIGHTLY, cursor=after.cursor).run_requests == []
    assert site.tick(BACKLOG, cursor=backlog.cursor).run_requests == []


def test_the_schedules_night_is_still_dispatched_by_the_sensor(tmp_path, instance):
    site = Site(tmp_path, instance)
    run_id = nightly(site, None)  # a night the daemon's schedule launched: nobody dispatches it but the sensor
    result = site.tick(AFTER_NIGHTLY)
    assert [request.run_key for request in result.run_requests] == [f"dispatch-after-{run_id}"]


def data_quality_sensor(site: Site, run_id: str):
    run = site.instance.get_run_by_id(run_id)
    success = site.instance.get_records_for_run(run_id=run_id, of_type=dg.DagsterEventType.RUN_SUCCESS).records[0]
    context = dg.build_run_status_sensor_context(
        sensor_name="data_quality_alert_sensor", dagster_event=success.event_log_entry.dagster_event,
        dagster_instance=site.instance, dagster_run=run, resources={"paths": site.paths},
    )
    return site.defs.resolve_sensor_def("data_quality_alert_sensor")(context)


def test_the_syncs_data_quality_alert_goes_out_once_from_the_sync_and_only_for_new_findings(tmp_path, instance):
    orphan = ("STU_ABSENT_PERIODS", "2024010199", "无单位", "999", "2024-2025-1", 1.0, None)  # unit 999 is unknown
    with smtp_server() as (url, collector):
        site = Site(tmp_path, instance, smtp_url=url)
        first = nightly(site, SYNC_TAGS, BASE_ROWS + [orphan])
        sent = send_data_quality_alert(instance, first, site.settings)  # what run_sync calls after the night
        skipped = data_quality_sensor(site, first)  # a daemon running beside the sync
        # the next night has nothing new to tell: no alert from the sync, none from the sensor
        second = nightly(site, SYNC_TAGS)
        quiet = send_data_quality_alert(instance, second, site.settings)
        data_quality_sensor(site, second)
        # a night the daemon ran itself (no sync) is still the sensor's to tell
        third = nightly(site, None, BASE_ROWS + [orphan])
        data_quality_sensor(site, third)

    first_alert, third_alert = collector.received
    assert first_alert.message["To"] == DATA_CENTER.email
    assert first_alert.subject == sent.subject == "【数据质量】nightly_sync：1 项检查未通过"
    assert first in first_alert.text and "status_units_known" in first_alert.text
    assert skipped.skip_message == "该运行由 zhengai sync 在本进程内发送数据质量告警"
    assert quiet is None
    assert third in third_alert.text and first not in third_alert.text
    summary = format_summary(SyncSummary(succeeded=True, seconds=1.0, data_quality_alert=sent))
    assert f"数据质量告警：已发给 {DATA_CENTER.email}（【数据质量】nightly_sync：1 项检查未通过）" in summary
