"""Same arguments, same data; another seed, other data; regenerating replaces the files."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from tests.school_generator.school_generator_testkit import SMALL

from school_generator import generate


def table_hashes(directory: Path) -> dict[str, str]:
    hashes = {}
    for system in ("jw", "hr", "xg"):
        con = sqlite3.connect(directory / f"{system}.sqlite")
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            digest = hashlib.sha256()
            for row in con.execute(f"SELECT * FROM {table} ORDER BY rowid"):
                digest.update(repr(row).encode())
            hashes[table] = digest.hexdigest()
        con.close()
    return hashes


def test_same_seed_same_data_other_seed_other_data(school_dir: Path, tmp_path: Path):
    again = generate(tmp_path / "again", students=SMALL, seed=11)
    assert table_hashes(tmp_path / "again") == table_hashes(school_dir)
    assert again == json.loads((school_dir / "planted.json").read_text(encoding="utf-8"))
    assert (tmp_path / "again/state/2025.xlsx").read_bytes() == (school_dir / "state/2025.xlsx").read_bytes()

    generate(tmp_path / "other", students=SMALL, seed=12)
    other = table_hashes(tmp_path / "other")
    differ = {t for t, h in table_hashes(school_dir).items() if other[t] != h}
    assert {"JW_XJGL_XSJBXXB", "JW_KQ_XSKQB", "JW_CJ_XSCJB", "RS_JZGJBXX", "XG_CQJL", "XG_BYQX"} <= differ


def test_generating_again_replaces_the_files(tmp_path: Path):
    first = generate(tmp_path, students=SMALL, seed=5)
    second = generate(tmp_path, students=SMALL, seed=5)
    con = sqlite3.connect(tmp_path / "jw.sqlite")
    assert con.execute("SELECT COUNT(*) FROM JW_KQ_XSKQB").fetchone()[0] == second["row_counts"]["JW_KQ_XSKQB"]
    assert first["row_counts"] == second["row_counts"]
    # one workbook per school year of the default two: collection years 2024 and 2025
    assert sorted(p.name for p in (tmp_path / "state").iterdir()) == ["2024.xlsx", "2025.xlsx"]
