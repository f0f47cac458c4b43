"""A small generated school for the benchmark tests (the append-day tests copy it)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from school_generator import generate

from tests.bench.bench_testkit import SMALL_STUDENTS


@pytest.fixture(scope="session")
def pristine_school(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bench_school") / "sources"
    generate(out, students=SMALL_STUDENTS, seed=7, years=1)
    return out


@pytest.fixture
def school(pristine_school: Path, tmp_path: Path) -> Path:
    """A fresh copy per test: appending changes the sources."""
    return Path(shutil.copytree(pristine_school, tmp_path / "sources"))
