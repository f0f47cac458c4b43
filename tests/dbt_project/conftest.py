"""Session fixtures: the hand-made school (dbt_school.build_school) is built once and
`dbt build` (seeds, models, data tests, unit tests) runs once against it."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tests.dbt_project.dbt_school import (AS_OF_DATE, build_school, create_raw_warehouse, load_plan_workbooks,
                                          run_dbt_build)


@pytest.fixture(scope="session")
def dbt_build_dir(tmp_path_factory) -> Path:
    """A folder holding warehouse.duckdb after `dbt build`, and dbt's target/ and logs/."""
    work_dir = tmp_path_factory.mktemp("dbt_build")
    path = work_dir / "warehouse.duckdb"
    school = build_school()
    create_raw_warehouse(path, school.rows, school.history)
    load_plan_workbooks(path, school, work_dir / "plan")
    run_dbt_build(work_dir, path, "--vars", json.dumps({"as_of_month": AS_OF_DATE[:7]}))
    return work_dir


@pytest.fixture(scope="session")
def warehouse(dbt_build_dir):
    con = duckdb.connect(str(dbt_build_dir / "warehouse.duckdb"), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="session")
def indicators(warehouse) -> dict[tuple[str, str, str], dict]:
    """mart_quality__status keyed by (indicator_code, entity_id, period)."""
    cursor = warehouse.execute("select * from marts.mart_quality__status")
    names = [column[0] for column in cursor.description]
    return {(row["indicator_code"], row["entity_id"], row["period"]): row
            for row in (dict(zip(names, values)) for values in cursor.fetchall())}
