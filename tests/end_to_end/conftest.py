"""One small generated school, synced twice through the real Dagster jobs, shared by the tests."""

from __future__ import annotations

import json
from dataclasses import dataclass

import dagster as dg
import pytest

from zhengai.settings import Settings
from orchestration.run_once import SyncSummary, run_sync
from school_generator import generate

from tests.end_to_end.end_to_end_testkit import ledger_rows, raw_row_counts


@dataclass
class TwoSyncs:
    settings: Settings
    planted: dict
    first: SyncSummary
    raw_counts_after_first: dict[str, int]
    outbox_after_first: list[str]
    ledger_after_first: list[tuple]
    second: SyncSummary
    instance: dg.DagsterInstance


@pytest.fixture(scope="session")
def two_syncs(tmp_path_factory) -> TwoSyncs:
    base = tmp_path_factory.mktemp("demo")
    planted = generate(base / "sources", students=300, seed=11, years=1)
    settings = Settings.from_env({"ZHENGAI_DATA_DIR": str(base)})
    instance = dg.DagsterInstance.ephemeral()
    first = run_sync(settings, instance=instance)
    counts = raw_row_counts(settings.warehouse)
    outbox = sorted(p.name for p in settings.outbox.glob("*.eml"))
    ledger = ledger_rows(settings.ledger)
    second = run_sync(settings, instance=instance)
    return TwoSyncs(settings, planted, first, counts, outbox, ledger, second, instance)


@pytest.fixture(scope="session")
def planted_json(two_syncs: TwoSyncs) -> dict:
    return json.loads((two_syncs.settings.state_path.parent / "planted.json").read_text(encoding="utf-8"))
