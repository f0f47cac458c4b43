"""One small generated school, synced once while an analyst holds the snapshot open.

Before the sync, yesterday's snapshot (of a miniature warehouse) sits at ZHENGAI_SNAPSHOT
and an analyst in another process opens it read-only and keeps querying it. Then the full
nightly sync runs in this process and publishes today's snapshot over it. What the analyst
saw is kept for test_serving_snapshot.py; every serving test reads today's snapshot.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from serving.snapshot import publish_snapshot, read_snapshot_info
from zhengai.settings import Settings
from orchestration.run_once import SyncSummary, run_sync
from school_generator import generate
from tests.serving.serving_testkit import build_small_warehouse

READER = Path(__file__).with_name("snapshot_reader.py")


@dataclass
class ReaderWatch:
    """The analyst's side of the sync."""

    yesterday: dict  # snapshot_info of the snapshot the analyst opened
    inode_before: int
    sync_started: float
    sync_finished: float
    returncode: int
    queries: list[dict]
    error: str | None


@dataclass
class SyncedSchool:
    settings: Settings
    planted: dict
    summary: SyncSummary
    reader: ReaderWatch

    @property
    def sources(self) -> Path:
        return self.settings.state_path.parent


def start_reader(snapshot: Path, folder: Path) -> subprocess.Popen:
    folder.mkdir(parents=True, exist_ok=True)
    reader = subprocess.Popen([sys.executable, str(READER), str(snapshot), str(folder)])
    deadline = time.time() + 60
    while not (folder / "ready").exists():
        if reader.poll() is not None or time.time() > deadline:
            reader.kill()
            pytest.fail(f"the analyst could not open the snapshot: {(folder / 'result.json').read_text()}"
                        if (folder / "result.json").exists() else "the analyst could not open the snapshot")
        time.sleep(0.1)
    return reader


@pytest.fixture(scope="session")
def synced_school(tmp_path_factory) -> SyncedSchool:
    base = tmp_path_factory.mktemp("serving")
    generate(base / "sources", students=300, seed=11)
    settings = Settings.from_env({"ZHENGAI_DATA_DIR": str(base)})
    publish_snapshot(build_small_warehouse(base / "yesterday" / "warehouse.duckdb"), settings.snapshot,
                     run_id="yesterday")
    yesterday = read_snapshot_info(settings.snapshot)
    inode_before = settings.snapshot.stat().st_ino

    reader_folder = base / "analyst"
    reader = start_reader(settings.snapshot, reader_folder)
    try:
        sync_started = time.time()
        summary = run_sync(settings, instance=dg.DagsterInstance.ephemeral())
        sync_finished = time.time()
        time.sleep(1)  # the analyst goes on querying after the snapshot was replaced
    finally:
        (reader_folder / "stop").touch()
        reader.wait(timeout=60)
    if not summary.succeeded:
        pytest.fail("the sync of the serving school failed: " + "; ".join(summary.errors))
    seen = json.loads((reader_folder / "result.json").read_text())
    watch = ReaderWatch(yesterday, inode_before, sync_started, sync_finished, reader.returncode,
                        seen["queries"], seen["error"])
    planted = json.loads((base / "sources" / "planted.json").read_text(encoding="utf-8"))
    return SyncedSchool(settings, planted, summary, watch)
