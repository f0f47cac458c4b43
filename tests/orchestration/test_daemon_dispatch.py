"""The shipped daemon path for real: a nightly run with failed control-point checks is
materialised, then `dagster-daemon run` (sensor daemon, run queue, run worker process)
ticks dispatch_after_nightly_sensor, which launches dispatch_warnings, and the digests arrive
at an SMTP server listening in this test."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import yaml

from alerting.ledger import load_warnings
from zhengai.settings import Settings

from tests.expectations.expectations_testkit import BASE_ROWS, create_warehouse
from tests.expectations.smtp_testkit import smtp_server
from tests.orchestration.stand_in_location import build_definitions

LOCATION = Path(__file__).resolve().parent / "stand_in_location.py"
REPO_ROOT = Path(__file__).resolve().parents[2]
# BASE_ROWS warn 202 ×3, 201, 203, 205, college 102 ×5 and counsellors T9001 ×3, T9002 ×1.
EXPECTED = {"102": 5, "201": 1, "202": 3, "203": 1, "205": 1, "counsellor:T9001": 3, "counsellor:T9002": 1}
TIMEOUT_SECONDS = 180  # only a failing run waits this long; on an idle machine mail arrives in ~25 s
SHIPPED_INSTANCE_CONFIG = REPO_ROOT / "orchestration" / "dagster.yaml"


def stop(process: subprocess.Popen) -> None:
    """Stop the daemon and the processes it started (its own session), by its id."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def test_daemon_sensor_tick_launches_dispatch_and_mail_arrives(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(SHIPPED_INSTANCE_CONFIG, home / "dagster.yaml")  # as the Makefile does
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(
        yaml.safe_dump({"load_from": [{"python_file": {"relative_path": str(LOCATION), "attribute": "defs",
                                                        "working_directory": str(REPO_ROOT)}}]}),
        encoding="utf-8",
    )
    warehouse = create_warehouse(tmp_path / "warehouse.duckdb", BASE_ROWS)

    with smtp_server() as (url, collector):
        env = {
            **os.environ,
            "DAGSTER_HOME": str(home),
            "ZHENGAI_DATA_DIR": str(tmp_path),
            "ZHENGAI_WAREHOUSE": str(warehouse),
            "ZHENGAI_SMTP_URL": url,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        }
        settings = Settings.from_env(env)
        instance = dg.DagsterInstance.from_config(str(home))
        nightly = build_definitions(settings).resolve_job_def("nightly_sync").execute_in_process(instance=instance)
        assert nightly.success and len(load_warnings(settings.ledger)) == 6

        started = time.monotonic()
        daemon = subprocess.Popen(
            [str(Path(sys.executable).with_name("dagster-daemon")), "run", "-w", str(workspace)],
            env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            while len(collector.received) < len(EXPECTED) and time.monotonic() - started < TIMEOUT_SECONDS:
                assert daemon.poll() is None, daemon.stdout.read().decode(errors="replace")[-4000:]
                time.sleep(0.5)
            seconds = time.monotonic() - started
        finally:
            stop(daemon)
        log = daemon.stdout.read().decode(errors="replace")
        received = {item.recipient_key: item for item in collector.received}

    assert len(collector.received) == len(EXPECTED), f"after {seconds:.0f} s:\n{log[-4000:]}"
    assert set(received) == set(EXPECTED)
    for key, count in EXPECTED.items():
        assert f"新增 {count} 条" in received[key].subject
    dispatch_runs = instance.get_run_records(dg.RunsFilter(job_name="dispatch_warnings"))
    assert len(dispatch_runs) == 1
    run = dispatch_runs[0].dagster_run
    assert run.tags["dagster/sensor_name"] == "dispatch_after_nightly_sensor"
    assert run.tags["dagster/run_key"] == f"dispatch-after-{nightly.run_id}"
    assert {w.state for w in load_warnings(settings.ledger)} == {"已通知"}
    print(f"daemon: e-mails arrived {seconds:.1f} s after start")
