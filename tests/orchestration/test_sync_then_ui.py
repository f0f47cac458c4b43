"""`zhengai sync` dispatches its own night; a daemon (`make ui`) must not dispatch it again,
even when a sensor ticks between the end of the nightly run and the sync's own dispatch."""

from __future__ import annotations

import dagster as dg
import pytest

from orchestration.run_once import SYNC_TAGS

from tests.expectations.expectations_testkit import BASE_ROWS, create_warehouse
from tests.orchestration.test_warning_sensors import AFTER_NIGHTLY, BACKLOG, Site


@pytest.fixture
def instance(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        yield instance


def nightly(site: Site, tags: dict[str, str] | None) -> str:
    create_warehouse(site.warehouse, BASE_ROWS)
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
