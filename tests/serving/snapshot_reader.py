"""An analyst in another process: one read-only connection, queries until told to stop.

    python snapshot_reader.py <snapshot> <folder>

Writes <folder>/ready once connected, stops when <folder>/stop appears, and writes what it
saw to <folder>/result.json: every query's start time, duration and answer, or the error.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

QUERY = """
select (select run_id from snapshot_info) as run_id,
       (select count(*) from marts.mart_quality__status) as status_rows,
       (select round(sum(value), 6) from marts.mart_quality__status) as status_value_sum,
       (select count(*) from core.fct_attendance) as check_ins,
       (select count(*) from core.dim_student) as students
"""


def main(snapshot: str, folder: str) -> int:
    folder_path = Path(folder)
    queries, error = [], None
    try:
        with duckdb.connect(snapshot, read_only=True) as con:
            (folder_path / "ready").write_text(str(con.execute(QUERY).fetchone()[0]))
            while not (folder_path / "stop").exists():
                started = time.time()
                answer = con.execute(QUERY).fetchone()
                queries.append({"at": started, "seconds": time.time() - started, "answer": list(answer)})
                time.sleep(0.2)
    except Exception as exc:  # noqa: BLE001 - whatever breaks the analyst is the finding
        error = f"{type(exc).__name__}: {exc}"
    (folder_path / "result.json").write_text(json.dumps({"queries": queries, "error": error}))
    return 1 if error else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
