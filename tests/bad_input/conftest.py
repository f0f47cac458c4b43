"""The corpus school through two real nights (`run_sync`, the Dagster jobs, a real SMTP server),
then the engineers' data-quality alert of each night through its sensor; everything any part
of the run wrote or logged is kept for the tests to read."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import dagster as dg
import duckdb
import pytest

from orchestration.definitions import build_definitions
from orchestration.run_once import SyncSummary, run_sync
from school_generator import generate
from zhengai.settings import Settings

from tests.bad_input.bad_input_testkit import SCHOOL, Night, inject_first_night, inject_second_night, unreachable_url
from tests.expectations.expectations_testkit import free_port
from tests.expectations.smtp_testkit import Received, smtp_server

DATA_QUALITY_SENSOR = "data_quality_alert_sensor"


class KeepEverything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage() + (f"\n{record.exc_text}" if record.exc_text else ""))
        if record.exc_info and record.exc_info[1] is not None:
            self.lines.append(repr(record.exc_info[1]))


@dataclass
class NightRun:
    night: Night
    summary: SyncSummary
    run_id: str
    emails: list[Received]  # what the SMTP server received during the night, digests and alert
    alert: Received | None  # the engineers' data-quality alert


@dataclass
class Corpus:
    settings: Settings
    nights: dict[int, NightRun] = field(default_factory=dict)
    log_lines: list[str] = field(default_factory=list)
    event_log: list[str] = field(default_factory=list)  # every Dagster event of every run, serialized

    def warehouse(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.settings.warehouse), read_only=True)


def _night(settings: Settings, instance: dg.DagsterInstance, collector, night: Night,
           full_refresh: bool = False) -> NightRun:
    received_before = len(collector.received)
    summary = run_sync(settings, instance=instance, full_refresh=full_refresh)
    run = instance.get_runs(filters=dg.RunsFilter(job_name="nightly_sync"), limit=1)[0]
    success = instance.get_records_for_run(run_id=run.run_id, of_type=dg.DagsterEventType.RUN_SUCCESS).records
    alert = None
    if success:
        defs = build_definitions(settings)
        context = dg.build_run_status_sensor_context(
            sensor_name=DATA_QUALITY_SENSOR, dagster_event=success[0].event_log_entry.dagster_event,
            dagster_instance=instance, dagster_run=run, resources={"paths": defs.resources["paths"]},
        )
        defs.resolve_sensor_def(DATA_QUALITY_SENSOR)(context)
        alerts = [r for r in collector.received[received_before:] if r.subject.startswith("【数据质量】")]
        alert = alerts[0] if alerts else None
    return NightRun(night, summary, run.run_id, list(collector.received[received_before:]), alert)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Corpus:
    base = tmp_path_factory.mktemp("bad_input")
    sources = base / "sources"
    generate(sources, **SCHOOL)
    (base / "dagster_home").mkdir()
    keeper = KeepEverything()
    root = logging.getLogger()
    level = root.level
    root.addHandler(keeper)
    root.setLevel(logging.DEBUG)
    try:
        with smtp_server() as (smtp_url, collector), dg.instance_for_test(temp_dir=str(base / "dagster_home")) as instance:
            environment = {"ZHENGAI_DATA_DIR": str(base), "ZHENGAI_SMTP_URL": smtp_url}
            corpus = Corpus(Settings.from_env(environment))
            corpus.nights[1] = _night(corpus.settings, instance, collector, inject_first_night(sources))
            second = inject_second_night(sources)
            settings = Settings.from_env({**environment, "ZHENGAI_HR_URL": unreachable_url(free_port())})
            # a full refresh: the keys of the watermark tables are reconciled with the source
            corpus.nights[2] = _night(settings, instance, collector, second, full_refresh=True)
            for run in instance.get_runs():
                corpus.event_log += [dg.serialize_value(entry) for entry in instance.all_logs(run.run_id)]
    finally:
        root.removeHandler(keeper)
        root.setLevel(level)
    corpus.log_lines = keeper.lines
    return corpus
