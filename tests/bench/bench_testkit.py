"""Shared figures and helpers of the benchmark tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path

SMALL_STUDENTS = 300


def rows_on(sources: Path, day: str) -> dict[str, list[tuple]]:
    """The session, check-in and dorm-check rows of one day, in id order."""
    with sqlite3.connect(sources / "jw.sqlite") as jw, sqlite3.connect(sources / "xg.sqlite") as xg:
        return {
            "sessions": jw.execute("SELECT * FROM JW_KQ_SKJLB WHERE SKRQ = ? ORDER BY SKJL_ID", [day]).fetchall(),
            "check_ins": jw.execute(
                "SELECT k.* FROM JW_KQ_XSKQB k JOIN JW_KQ_SKJLB s USING (SKJL_ID) WHERE s.SKRQ = ? ORDER BY KQ_ID",
                [day]).fetchall(),
            "dorm_checks": xg.execute("SELECT * FROM XG_CQJL WHERE CQRQ = ? ORDER BY JL_ID", [day]).fetchall(),
        }


def max_ids(sources: Path) -> dict[str, int]:
    with sqlite3.connect(sources / "jw.sqlite") as jw, sqlite3.connect(sources / "xg.sqlite") as xg:
        return {"SKJL_ID": jw.execute("SELECT max(SKJL_ID) FROM JW_KQ_SKJLB").fetchone()[0],
                "KQ_ID": jw.execute("SELECT max(KQ_ID) FROM JW_KQ_XSKQB").fetchone()[0],
                "JL_ID": xg.execute("SELECT max(JL_ID) FROM XG_CQJL").fetchone()[0]}
