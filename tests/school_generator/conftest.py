from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from school_generator import generate

from tests.school_generator.school_generator_testkit import SMALL


@pytest.fixture(scope="session")
def school_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("school")
    generate(out, students=SMALL, seed=11)
    return out


@pytest.fixture(scope="session")
def manifest(school_dir: Path) -> dict:
    return json.loads((school_dir / "planted.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def sources(school_dir: Path):
    """One connection with the three school systems attached: main = jw, hr, xg."""
    con = sqlite3.connect(school_dir / "jw.sqlite")
    con.execute(f"ATTACH '{school_dir / 'hr.sqlite'}' AS hr")
    con.execute(f"ATTACH '{school_dir / 'xg.sqlite'}' AS xg")
    yield con
    con.close()

