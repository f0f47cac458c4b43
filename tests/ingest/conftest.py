"""Fixtures for the ingest tests; the builders live in ingest_testkit."""

from pathlib import Path

import pytest
import school_generator

from tests.ingest.ingest_testkit import Sources


@pytest.fixture
def school(tmp_path: Path) -> Sources:
    return Sources(tmp_path / "sources")


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


@pytest.fixture(scope="session")
def generated_school(tmp_path_factory) -> tuple[Path, dict]:
    """(folder, manifest) of a school written by the generator, shared: tests that change
    its sources copy it first (ingest_testkit.copy_school)."""
    folder = tmp_path_factory.mktemp("generated") / "school"
    manifest = school_generator.generate(folder, students=300, seed=7, years=1)
    return folder, manifest
