"""Test kit for tests/expectations: a hand-made warehouse (registry seeds + a small mart).

The warehouse holds registry.quality_control_points, registry.departments,
registry.dispatch_policy, marts.mart_quality__status and the core dimensions dispatch reads
counsellors and the digests' context from (core.dim_student, dim_staff, dim_class,
dim_teaching_class, from tests/expectations/data).
The status column is computed here with the rule of docs/indicators.md, independently of the
expectations, so the tests can cross-check the two.
"""

from __future__ import annotations

import os
import socket
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[2]
SEEDS = REPO_ROOT / "dbt_project" / "seeds"
CONTROL_POINTS_CSV = SEEDS / "quality_control_points.csv"
DEPARTMENTS_CSV = SEEDS / "departments.csv"
DISPATCH_POLICY_CSV = SEEDS / "dispatch_policy.csv"
TEST_DATA = Path(__file__).resolve().parent / "data"
# Counsellors: 2024010101/03 → T9001, 2024010102/04 → T9002 (addresses in dim_staff.csv);
# 2024010105 → T9003 without an address, 2024010106 none registered, 2024010107 → a staff id HR does not know.
DIM_STUDENT_CSV = TEST_DATA / "dim_student.csv"
DIM_STAFF_CSV = TEST_DATA / "dim_staff.csv"
# What digests show beside an entity: classes (张三 and 李四 in 计应2401班) and a teaching class taught by 吴老师.
DIM_CLASS_CSV = TEST_DATA / "dim_class.csv"
DIM_TEACHING_CLASS_CSV = TEST_DATA / "dim_teaching_class.csv"
NUMBER_COLUMNS = ("target_value", "standard_value", "warning_value", "min_denominator")

# indicator_code, entity_id, entity_name, unit_id, period, value, denominator
BASE_ROWS = [
    ("STU_ABSENT_PERIODS", "2024010101", "张三", "102", "2024-2025-1", 12.0, None),  # beyond 9: 预警
    ("STU_ABSENT_PERIODS", "2024010102", "李四", "102", "2024-2025-1", 9.0, None),  # at 9: passes
    ("STU_ABSENT_PERIODS", "2024010103", "王五", "101", "2024-2025-1", 3.0, None),
    ("STU_NIGHTS_OUT", "2024010101", "张三", "102", "2024-10", 2.0, None),  # beyond 0: 预警
    ("STU_NIGHTS_OUT", "2024010104", "赵六", "101", "2024-10", 0.0, None),
    ("STU_ATTEND_RATE", "2024010101", "张三", "102", "2024-2025-1", 80.0, 100.0),  # 预警
    ("STU_ATTEND_RATE", "2024010105", "钱七", "103", "2024-2025-1", 50.0, 10.0),  # 数据不足
    ("STU_ATTEND_RATE", "2024010106", "孙八", "103", "2024-2025-1", 90.0, 100.0),  # at 90: passes
    ("STU_ATTEND_RATE", "2024010107", "周九", "103", "2024-2025-1", None, 30.0),  # no value: 数据不足
    ("STU_GPA", "2024010102", "李四", "102", "2024-2025-1", 1.2, 20.0),  # 预警
    ("TCH_TRAINING_HOURS", "T0001", "吴老师", "102", "2024-2025", 20.0, None),  # 预警
    ("TCH_TRAINING_HOURS", "T0002", "郑老师", "101", "2024-2025", 40.0, None),
    ("SCH_BUILDING_PER_STUDENT", "13579", "演示学校", None, "2024-2025", 13.5, 8000.0),  # 预警
]


def mart_frame(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows, columns=["indicator_code", "entity_id", "entity_name", "unit_id", "period", "value", "denominator"]
    )
    frame["numerator"] = frame["value"]
    return frame


def create_warehouse(
    path: Path,
    rows: list[tuple],
    departments_csv: Path = DEPARTMENTS_CSV,
    dim_staff_csv: Path = DIM_STAFF_CSV,
    dispatch_policy_csv: Path = DISPATCH_POLICY_CSV,
) -> Path:
    """(Re)build the tables the expectations and dispatch read; replaces the file if it exists."""
    path.unlink(missing_ok=True)
    mart_input = mart_frame(rows)
    casts = ", ".join(f"try_cast({column} as double) as {column}" for column in NUMBER_COLUMNS)
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema registry; create schema marts; create schema core")
        connection.execute(f"create table registry.dispatch_policy as select * from read_csv('{dispatch_policy_csv}', header = true)")
        connection.execute(
            f"create table core.dim_student as select * from read_csv('{DIM_STUDENT_CSV}', header = true, all_varchar = true)"
        )
        connection.execute(
            f"create table core.dim_staff as select * from read_csv('{dim_staff_csv}', header = true, all_varchar = true)"
        )
        for table, csv_path in (("dim_class", DIM_CLASS_CSV), ("dim_teaching_class", DIM_TEACHING_CLASS_CSV)):
            connection.execute(f"create table core.{table} as select * from read_csv('{csv_path}', header = true, all_varchar = true)")
        connection.execute(
            f"create table registry.quality_control_points as select * replace ({casts}) "
            f"from read_csv('{CONTROL_POINTS_CSV}', header = true, all_varchar = true)"
        )
        connection.execute(
            f"create table registry.departments as select * "
            f"from read_csv('{departments_csv}', header = true, all_varchar = true)"
        )
        connection.register("mart_input", mart_input)
        connection.execute(
            """
            create table marts.mart_quality__status as
            select m.indicator_code, r.layer, r.entity_type, r.name_zh as indicator_name_zh,
                   r.unit as indicator_unit, m.entity_id, m.entity_name, m.unit_id,
                   d.name_zh as unit_name, m.period, cast(m.value as double) as value,
                   cast(m.numerator as double) as numerator, cast(m.denominator as double) as denominator,
                   r.direction, r.target_value, r.standard_value, r.warning_value, r.min_denominator,
                   case
                       when m.value is null then '数据不足'
                       when r.min_denominator is not null and coalesce(m.denominator, 0) < r.min_denominator then '数据不足'
                       when r.direction = 'higher' then case
                           when m.value >= r.target_value then '达成目标'
                           when m.value >= r.standard_value then '达标'
                           when m.value >= r.warning_value then '未达标'
                           else '预警' end
                       else case
                           when m.value <= r.target_value then '达成目标'
                           when m.value <= r.standard_value then '达标'
                           when m.value <= r.warning_value then '未达标'
                           else '预警' end
                   end as status,
                   r.owner_department_code, r.to_unit
            from mart_input as m
            join registry.quality_control_points as r on r.code = m.indicator_code
            left join registry.departments as d on d.department_code = m.unit_id
            """
        )
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def host_clock_in_utc() -> Iterator[None]:
    """The process's local time zone set to UTC, as on most servers, for the duration."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()
