"""The warnings ledger survives `dbt build --full-refresh` and a deleted warehouse file.

A tiny school in the raw layout (every dbt source table, a student with two nights away from
the dorm in October, the counsellor in 学工 and 人事) is built with the real dbt project; the
counsellor is found through core.dim_student and core.dim_staff as dispatch reads them.
"""

from __future__ import annotations

import csv
import os
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
import yaml

from alerting.dispatch import dispatch_warnings
from alerting.ledger import load_warnings, update_ledger
from expectations.suites import validate_control_points
from zhengai.clock import school_stamp

from tests.expectations.expectations_testkit import DIM_STAFF_CSV, REPO_ROOT
from tests.expectations.smtp_testkit import DEPARTMENTS

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
NIGHTS_OUT_KEY = ("STU_NIGHTS_OUT", "2024010101", "2024-10")
COUNSELLOR = next(row for row in csv.DictReader(DIM_STAFF_CSV.open(encoding="utf-8")) if row["staff_id"] == "T9001")
STAMP = "2024-09-01 08:00:00"
RAW_ROWS = {
    "raw_jw.ZFTAL_XTGL_JGDMB": [{"JG_ID": "JG102", "JGDM": "102", "JGMC": DEPARTMENTS["102"].name_zh, "LX": "教学单位"}],
    "raw_jw.JW_XJGL_XSJBXXB": [{
        "XH_ID": "X0001", "XH": "2024010101", "XM": "张三", "XBM": 1, "CSRQ": "20050101", "ZYH_ID": "ZY01",
        "BH_ID": "BJ01", "NJDM_ID": 2024, "JG_ID": "JG102", "XJZTDM": "01", "RXRQ": "2024-09-01", "GXSJ": STAMP,
    }],
    "raw_xg.XG_XSXX": [{"XH": "2024010101", "XM": "张三", "BJMC": "class-01", "FDYGH": "T9001", "GXSJ": STAMP}],
    "raw_hr.RS_BMXX": [{"BMDM": DEPARTMENTS["202"].hr_code, "BMMC": DEPARTMENTS["202"].name_zh}],
    "raw_hr.RS_JZGJBXX": [{
        "GH": "T9001", "XM": COUNSELLOR["staff_name"], "DZYX": COUNSELLOR["email"],
        "BMDM": DEPARTMENTS["202"].hr_code, "RYLB": "辅导员", "ZT": "在职", "GXSJ": STAMP,
    }],
    "raw_xg.XG_CQJL": [
        {"JL_ID": n, "XH": "2024010101", "CQRQ": f"2024-10-{n:02d}", "ZT": status, "JLR": "宿管", "JLSJ": f"2024-10-{n:02d} 23:00:00"}
        for n, status in enumerate(["在寝", "夜不归宿", "在寝", "夜不归宿"], start=1)
    ],
}


def create_raw_warehouse(path: Path) -> None:
    """Every raw table dbt reads, from the project's sources YAML, holding RAW_ROWS."""
    with duckdb.connect(str(path)) as connection:
        for sources_yml in sorted((DBT_PROJECT_DIR / "models").rglob("_*__sources.yml")):
            for source in yaml.safe_load(sources_yml.read_text(encoding="utf-8"))["sources"]:
                schema = source.get("schema", source["name"])
                for table in source["tables"]:
                    columns = [(column["name"], column["data_type"]) for column in table["columns"]]
                    connection.execute(f"create schema if not exists {schema}")
                    definition = ", ".join(f'"{name}" {type_}' for name, type_ in columns)
                    connection.execute(f'create table {schema}."{table["name"]}" ({definition}, _load_id VARCHAR, _loaded_at TIMESTAMP)')
                    rows = RAW_ROWS.get(f"{schema}.{table['name']}", [])
                    names = [name for name, _ in columns]
                    assert all(set(row) <= set(names) for row in rows), table["name"]
                    if not rows:
                        continue
                    connection.executemany(
                        f'insert into {schema}."{table["name"]}" values ({", ".join("?" for _ in range(len(names) + 2))})',
                        [[row.get(name) for name in names] + ["test-load", datetime(2025, 8, 31, 23)] for row in rows],
                    )


def dbt_build(work_dir: Path, warehouse: Path, *flags: str) -> None:
    # A child process: dbt-duckdb holds its connection for the life of the process. The
    # project's data tests are other helpers' business and this school is deliberately tiny.
    command = [
        str(Path(sys.executable).with_name("dbt")), "build", *flags, "--exclude", "resource_type:test", "resource_type:unit_test",
        "--no-use-colors", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs"),
    ]
    env = {**os.environ, "ZHENGAI_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"dbt build failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"


def evaluations(ledger: Path) -> int:
    with sqlite3.connect(ledger) as connection:
        return connection.execute("select count(*) from evaluations").fetchone()[0]


def test_ledger_survives_full_refresh_and_a_deleted_warehouse(tmp_path):
    warehouse, ledger, outbox = tmp_path / "warehouse.duckdb", tmp_path / "ledger.sqlite", tmp_path / "outbox"
    create_raw_warehouse(warehouse)
    dbt_build(tmp_path, warehouse)
    first_night = datetime(2025, 9, 1, 2, 0)
    changes = update_ledger(ledger, validate_control_points(warehouse), first_night)
    assert changes.new == [NIGHTS_OUT_KEY]
    sent = dispatch_warnings(warehouse, ledger, outbox, None, first_night)
    assert sent.warnings_per_department == {"202": 1, "102": 1, "counsellor:T9001": 1}  # counsellor via dim_student → dim_staff
    before = {(w.indicator_code, w.entity_id, w.period): (w.id, w.first_seen, w.state, w.revision) for w in load_warnings(ledger)}

    dbt_build(tmp_path, warehouse, "--full-refresh")
    second_night = datetime(2025, 9, 2, 2, 0)
    changes = update_ledger(ledger, validate_control_points(warehouse), second_night)
    assert (changes.new, changes.worsened, changes.resolved, changes.unchanged) == ([], [], [], [NIGHTS_OUT_KEY])
    assert dispatch_warnings(warehouse, ledger, outbox, None, second_night).emails == []

    warehouse.unlink()
    with pytest.raises((RuntimeError, duckdb.Error)):
        validate_control_points(warehouse)  # no warehouse: the checks fail loudly, the ledger is untouched
    with pytest.raises((RuntimeError, duckdb.Error)):
        dispatch_warnings(warehouse, ledger, outbox, None, second_night)
    assert {(w.indicator_code, w.entity_id, w.period): (w.id, w.first_seen, w.state, w.revision) for w in load_warnings(ledger)} == before

    create_raw_warehouse(warehouse)
    dbt_build(tmp_path, warehouse)
    third_night = datetime(2025, 9, 3, 2, 0)
    changes = update_ledger(ledger, validate_control_points(warehouse), third_night)
    assert changes.unchanged == [NIGHTS_OUT_KEY] and not changes.new and not changes.resolved
    assert dispatch_warnings(warehouse, ledger, outbox, None, third_night).emails == []
    (warning,) = load_warnings(ledger)
    assert (warning.first_seen, warning.last_seen, warning.state) == (school_stamp(first_night), school_stamp(third_night), "已通知")
    assert evaluations(ledger) == 3 and len(list(outbox.glob("*.eml"))) == 3
