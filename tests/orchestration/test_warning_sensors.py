"""The warning sensors evaluated tick by tick against a real (temporary) Dagster instance."""

from __future__ import annotations

import email
import email.policy
import json
from datetime import datetime, timedelta

import dagster as dg
import pytest

from alerting.ledger import load_warnings, resolve_warning
from zhengai.settings import Settings
from orchestration.checks import CONTROL_POINT_KEY, JUDGED_IN_RUN_KEY
from orchestration.run_records import failed_control_points, failed_data_quality_checks
from zhengai.clock import school_now

from tests.expectations.expectations_testkit import BASE_ROWS, create_warehouse, free_port
from tests.expectations.smtp_testkit import DEPARTMENTS, smtp_server
from tests.orchestration.stand_in_location import build_definitions

PASSING_ROWS = [row for row in BASE_ROWS if row[0] == "STU_ATTEND_RATE" and row[1] != "2024010101"]
DATA_CENTER = next(d for d in DEPARTMENTS.values() if d.role == "data_center")


class Site:
    """Paths, definitions and instance of one test deployment."""

    def __init__(self, tmp_path, instance, smtp_url=None):
        self.tmp_path, self.instance = tmp_path, instance
        self.warehouse = tmp_path / "warehouse.duckdb"
        env = {"ZHENGAI_DATA_DIR": str(tmp_path), "ZHENGAI_WAREHOUSE": str(self.warehouse)}
        if smtp_url:
            env["ZHENGAI_SMTP_URL"] = smtp_url
        self.settings = Settings.from_env(env)
        self.defs = build_definitions(self.settings)
        self.paths = self.defs.resources["paths"]

    def nightly(self, rows):
        create_warehouse(self.warehouse, rows)
        result = self.defs.resolve_job_def("nightly_sync").execute_in_process(instance=self.instance)
        assert result.success
        return result.run_id

    def dispatch(self):
        config = {"ops": {"send_warning_digests": {"config": {"retries": 1, "backoff_seconds": 0.01}}}}
        return self.defs.resolve_job_def("dispatch_warnings").execute_in_process(instance=self.instance, run_config=config)

    def tick(self, name, cursor=None):
        sensor = self.defs.resolve_sensor_def(name)
        context = dg.build_sensor_context(instance=self.instance, cursor=cursor, resources={"paths": self.paths}, definitions=self.defs)
        return sensor.evaluate_tick(context)


@pytest.fixture
def instance(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        yield instance


def test_checks_carry_the_failing_entities_and_fill_the_ledger(tmp_path, instance):
    site = Site(tmp_path, instance)
    run_id = site.nightly(BASE_ROWS)
    assert failed_control_points(instance, run_id) == sorted(
        ["STU_ABSENT_PERIODS", "STU_NIGHTS_OUT", "STU_ATTEND_RATE", "STU_GPA", "TCH_TRAINING_HOURS", "SCH_BUILDING_PER_STUDENT"]
    )
    evaluations = {
        record.event_log_entry.dagster_event.event_specific_data.check_name: record.event_log_entry.dagster_event.event_specific_data
        for record in instance.get_records_for_run(run_id=run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    }
    assert len(evaluations) == 39  # every control point of every layer, and the data-quality stand-in
    absent = evaluations["stu_absent_periods"]
    assert absent.metadata["warnings"].value == 1 and "2024010101" in absent.metadata["failing"].value
    attendance = evaluations["stu_attend_rate"]
    assert attendance.metadata["insufficient_data"].value == 2  # 数据不足 is never a warning
    assert len(load_warnings(site.settings.ledger)) == 6
    assert failed_data_quality_checks(instance, run_id) == []


AFTER_NIGHTLY, BACKLOG = "dispatch_after_nightly_sensor", "dispatch_backlog_sensor"


def _control_point_results(instance, run_id) -> dict:
    return {record.event_log_entry.dagster_event.event_specific_data.check_name: record.event_log_entry.dagster_event.event_specific_data
            for record in instance.get_records_for_run(run_id=run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
            if CONTROL_POINT_KEY in record.event_log_entry.dagster_event.event_specific_data.metadata}


def test_a_check_whose_rows_did_not_change_repeats_the_validation_it_had(tmp_path, instance):
    site = Site(tmp_path, instance)
    first_run = site.nightly(BASE_ROWS)
    first = _control_point_results(instance, first_run)
    assert first and not any(JUDGED_IN_RUN_KEY in result.metadata for result in first.values())

    # the same rows again: every check repeats the first run's validation, outcome and entities
    second_run = site.nightly(BASE_ROWS)
    second = _control_point_results(instance, second_run)
    assert second.keys() == first.keys()
    for name, result in second.items():
        assert result.metadata[JUDGED_IN_RUN_KEY].value == first_run, name
        assert result.passed == first[name].passed and result.metadata["failing"] == first[name].metadata["failing"]
    assert failed_control_points(instance, second_run) == failed_control_points(instance, first_run)

    # one student's absences drop below the warning value: that check validates again and passes
    fixed = [row[:5] + (4.0, None) if row[:2] == ("STU_ABSENT_PERIODS", "2024010101") else row for row in BASE_ROWS]
    third_run = site.nightly(fixed)
    third = _control_point_results(instance, third_run)
    assert JUDGED_IN_RUN_KEY not in third["stu_absent_periods"].metadata and third["stu_absent_periods"].passed
    assert not first["stu_absent_periods"].passed
    assert third["stu_nights_out"].metadata[JUDGED_IN_RUN_KEY].value == first_run  # the run that validated it
    assert "STU_ABSENT_PERIODS" not in failed_control_points(instance, third_run)


def test_after_nightly_sensor_launches_once_per_run_that_left_changes_to_tell(tmp_path, instance):
    site = Site(tmp_path, instance)
    run_id = site.nightly(BASE_ROWS)

    first = site.tick(AFTER_NIGHTLY)
    assert [r.run_key for r in first.run_requests] == [f"dispatch-after-{run_id}"]
    assert first.run_requests[0].tags["zhengai/failed_control_points"].split(",")[0] == "SCH_BUILDING_PER_STUDENT"
    again = site.tick(AFTER_NIGHTLY, cursor=first.cursor)
    assert again.run_requests == []  # the same run never launches twice

    site.dispatch()
    site.nightly(BASE_ROWS)  # the same warnings again: nothing new to tell
    quiet = site.tick(AFTER_NIGHTLY, cursor=first.cursor)
    assert quiet.run_requests == [] and quiet.skip_message == "没有待通知的预警变化"


def test_after_nightly_sensor_on_a_fresh_daemon_skips_a_night_already_dispatched(tmp_path, instance):
    # `zhengai sync` ran the night and its dispatch; a daemon started afterwards sends nothing.
    site = Site(tmp_path, instance)
    site.nightly(BASE_ROWS)
    site.dispatch()
    result = site.tick(AFTER_NIGHTLY)
    assert result.run_requests == [] and result.skip_message == "没有待通知的预警变化"
    assert site.tick(BACKLOG).run_requests == []


def test_backlog_sensor_leaves_the_night_to_the_other_and_retries_only_after_the_policy_interval(tmp_path, instance):
    closed_port = f"smtp://127.0.0.1:{free_port()}"  # no server: every send fails
    site = Site(tmp_path, instance, smtp_url=closed_port)
    site.nightly(BASE_ROWS)

    first = site.tick(BACKLOG)
    assert first.run_requests == [] and "dispatch_after_nightly_sensor" in first.skip_message
    dispatch = site.dispatch()  # launched by the after-nightly sensor; SMTP down: nothing is marked sent
    assert dispatch.output_for_node("send_warning_digests").pending == 15

    retry = site.tick(BACKLOG, cursor=first.cursor)
    assert len(retry.run_requests) == 1 and retry.run_requests[0].run_key.startswith("dispatch-pending-")
    assert site.tick(BACKLOG, cursor=retry.cursor).run_requests == []  # within retry_after_minutes
    cursor = json.loads(retry.cursor)
    cursor["requested_at"] = (school_now() - timedelta(hours=2)).isoformat()
    later = site.tick(BACKLOG, cursor=json.dumps(cursor))
    assert len(later.run_requests) == 1

    site = Site(tmp_path, instance)  # the same deployment without SMTP: the outbox takes everything
    site.dispatch()
    quiet = site.tick(BACKLOG, cursor=later.cursor)
    assert quiet.run_requests == [] and quiet.skip_message == "没有待通知的预警变化"


def test_backlog_sensor_launches_for_a_hand_closed_warning_and_skips_a_clean_night(tmp_path, instance):
    site = Site(tmp_path, instance)
    site.nightly(BASE_ROWS)
    first = site.tick(BACKLOG)
    site.dispatch()
    assert site.tick(BACKLOG, cursor=first.cursor).skip_message == "没有待通知的预警变化"

    warning = load_warnings(site.settings.ledger)[0]
    resolve_warning(site.settings.ledger, warning.id, "已整改", datetime.now(), by="质量办 张老师")
    closed = site.tick(BACKLOG, cursor=first.cursor)
    assert len(closed.run_requests) == 1 and closed.run_requests[0].tags["zhengai/trigger"] == "pending"
    site.dispatch()

    site.nightly(PASSING_ROWS)  # no failed control point; 孙八's attendance passes, nothing recovers
    assert site.tick(AFTER_NIGHTLY).run_requests == []
    assert site.tick(BACKLOG, cursor=closed.cursor).run_requests == []


def test_run_failure_sensor_emails_the_data_center_the_step_and_error(tmp_path, instance):
    with smtp_server() as (url, collector):
        site = Site(tmp_path, instance, smtp_url=url)
        result = site.defs.resolve_job_def("broken_job").execute_in_process(instance=instance, raise_on_error=False)
        assert not result.success
        run = instance.get_run_by_id(result.run_id)
        failure = next(event for event in result.all_events if event.event_type == dg.DagsterEventType.RUN_FAILURE)
        context = dg.build_run_status_sensor_context(
            sensor_name="run_failure_alert_sensor", dagster_event=failure, dagster_instance=instance,
            dagster_run=run, resources={"paths": site.paths},
        ).for_run_failure()
        site.defs.resolve_sensor_def("run_failure_alert_sensor")(context)
    (received,) = collector.received
    assert received.message["To"] == DATA_CENTER.email
    assert received.subject == "【运行失败】broken_job：load_that_breaks 失败"
    assert "失败步骤：load_that_breaks" in received.text and "源系统连接被拒绝：jw.sqlite 不可读" in received.text
    assert result.run_id in received.text


def test_data_quality_failure_in_a_successful_run_alerts_the_data_center(tmp_path, instance):
    site = Site(tmp_path, instance)
    orphan = ("STU_ABSENT_PERIODS", "2024010199", "无单位", "999", "2024-2025-1", 1.0, None)  # unit 999 is unknown
    run_id = site.nightly(BASE_ROWS + [orphan])
    assert failed_data_quality_checks(instance, run_id) == ["marts/mart_quality__status · status_units_known（WARN）"]
    run = instance.get_run_by_id(run_id)
    success = instance.get_records_for_run(run_id=run_id, of_type=dg.DagsterEventType.RUN_SUCCESS).records[0]
    context = dg.build_run_status_sensor_context(
        sensor_name="data_quality_alert_sensor", dagster_event=success.event_log_entry.dagster_event,
        dagster_instance=instance, dagster_run=run, resources={"paths": site.paths},
    )
    site.defs.resolve_sensor_def("data_quality_alert_sensor")(context)
    (alert,) = (tmp_path / "outbox").glob("*_alert_*.eml")
    message = email.message_from_bytes(alert.read_bytes(), policy=email.policy.default)
    assert message["To"] == DATA_CENTER.email and message["Subject"] == "【数据质量】nightly_sync：1 项检查未通过"
    assert "marts/mart_quality__status · status_units_known（WARN）" in message.get_content()
    assert run_id in message.get_content()


def _told_codes(site: Site, report) -> set[tuple[str, str]]:
    """(control point, entity) of the changes the digests of one dispatch told."""
    import sqlite3

    ids = [email.message_id for email in report.emails]
    with sqlite3.connect(site.settings.ledger) as con:
        return set(con.execute(
            f"select w.indicator_code, w.entity_id from notifications n join warnings w on w.id = n.warning_id "
            f"where n.message_id in ({', '.join('?' for _ in ids)})", ids).fetchall()) if ids else set()


def test_same_day_runs_tell_only_same_day_control_points_once_and_nothing_when_nothing_crossed(tmp_path, instance):
    day_rows = [("STU_NIGHTS_OUT", "2024010104", "赵六", "101", "2024-10", 1.0, None) if row[:2] == ("STU_NIGHTS_OUT", "2024010104")
                else ("STU_ATTEND_RATE", "2024010106", "孙八", "103", "2024-2025-1", 85.0, 100.0)
                if row[:2] == ("STU_ATTEND_RATE", "2024010106") else row for row in BASE_ROWS]
    with smtp_server() as (smtp_url, collector):
        site = Site(tmp_path, instance, smtp_url=smtp_url)
        night = site.tick(AFTER_NIGHTLY)
        site.nightly(BASE_ROWS)
        night = site.tick(AFTER_NIGHTLY, cursor=night.cursor)
        site.dispatch()
        collector.take()

        def same_day(rows):
            create_warehouse(site.warehouse, rows)
            result = site.defs.resolve_job_def("same_day_sync").execute_in_process(instance=instance)
            assert result.success
            return result.run_id

        # An hour in which a student spends a night away (same-day) and another one's attendance drops (daily).
        run_id = same_day(day_rows)
        hour = site.tick(AFTER_NIGHTLY, cursor=night.cursor)
        assert [r.run_key for r in hour.run_requests] == [f"dispatch-after-{run_id}"]
        report = site.dispatch().output_for_node("send_warning_digests")
        assert _told_codes(site, report) == {("STU_NIGHTS_OUT", "2024010104")}
        assert collector.take()
        assert not [w for w in load_warnings(site.settings.ledger) if w.indicator_code == "STU_ATTEND_RATE" and w.entity_id == "2024010106"]

        # The next hour, nothing new crossed a line: no dispatch, no e-mail.
        same_day(day_rows)
        quiet = site.tick(AFTER_NIGHTLY, cursor=hour.cursor)
        assert quiet.run_requests == [] and quiet.skip_message == "没有待通知的预警变化"
        assert site.tick(BACKLOG).run_requests == []
        assert site.dispatch().output_for_node("send_warning_digests").emails == [] and collector.take() == []

        # The night: the attendance warning is recorded and told once; the night away is not told again.
        site.nightly(day_rows)
        assert site.tick(AFTER_NIGHTLY, cursor=quiet.cursor).run_requests
        report = site.dispatch().output_for_node("send_warning_digests")
        assert _told_codes(site, report) == {("STU_ATTEND_RATE", "2024010106")}
        assert collector.take()
