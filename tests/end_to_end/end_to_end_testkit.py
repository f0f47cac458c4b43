"""Readers of the warehouse and the ledger shared by the end-to-end tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import duckdb


def raw_row_counts(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema like 'raw_%' order by all"
        ).fetchall()
        return {f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0] for s, t in tables}


def ledger_rows(ledger: Path) -> list[tuple]:
    # Values to 9 significant digits: DuckDB's parallel sums differ in the last bits between builds.
    with sqlite3.connect(ledger) as con:
        rows = con.execute(
            "select indicator_code, entity_id, period, state, last_value from warnings order by 1, 2, 3"
        ).fetchall()
    return [(*row[:4], float(f"{row[4]:.9g}")) for row in rows]
