"""Fixtures for the ingest tests; the builders live in ingest_testkit."""

from pathlib import Path

import pytest

from ingest_testkit import Sources


@pytest.fixture
def school(tmp_path: Path) -> Sources:
    return Sources(tmp_path / "sources")


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"
