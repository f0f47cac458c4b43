"""Routing over a real SMTP server: owner office, the entity's unit, the student's counsellor,
the quality office as fallback; one digest per recipient, and nobody sees another's entities."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from alerting.dispatch import dispatch_warnings
from alerting.ledger import update_ledger
from expectations.suites import validate_control_points

from tests.expectations.expectations_testkit import DEPARTMENTS_CSV, create_warehouse
from tests.expectations.smtp_testkit import ADDRESSES, DEPARTMENTS, QUALITY_OFFICE, smtp_server

RUN = datetime(2025, 9, 1, 2, 0)
T1 = "2024-2025-1"
ROWS = [
    ("STU_ABSENT_PERIODS", "2024010101", "张三", "102", T1, 12.0, None),
    ("STU_ABSENT_PERIODS", "2024010103", "王五", "101", T1, 15.0, None),
    ("STU_NIGHTS_OUT", "2024010104", "赵六", "101", "2024-10", 1.0, None),
    ("STU_GPA", "2024010102", "李四", "102", T1, 1.2, 20.0),
    ("STU_ABSENT_PERIODS", "2024010105", "钱七", "103", T1, 10.0, None),  # counsellor T9003 has no address
    ("STU_ABSENT_PERIODS", "2024010106", "孙八", "103", T1, 11.0, None),  # no counsellor registered
    ("STU_ABSENT_PERIODS", "2024010107", "周九", "103", T1, 13.0, None),  # counsellor unknown to HR
    ("TCH_TRAINING_HOURS", "T0001", "吴老师", "102", "2024-2025", 20.0, None),
    ("SCH_BUILDING_PER_STUDENT", "13579", "演示学校", None, "2024-2025", 13.5, 8000.0),
    ("STU_ABSENT_PERIODS", "2024010108", "不预警", "101", T1, 2.0, None),  # passes: nobody hears of it
]
ALL_ENTITIES = {row[1] for row in ROWS}
# Who must see which entity, worked out by hand from the registry (owner, to_unit) and the counsellors.
EXPECTED = {
    "202": {"2024010101", "2024010103", "2024010104", "2024010105", "2024010106", "2024010107"},  # owner of STU_ABSENT/NIGHTS
    "201": {"2024010102"},  # owner of STU_GPA
    "203": {"T0001"},  # owner of TCH_TRAINING_HOURS
    "205": {"13579"},  # owner of SCH_BUILDING_PER_STUDENT; school level has no unit copy
    "101": {"2024010103", "2024010104"},
    "102": {"2024010101", "2024010102", "T0001"},
    "103": {"2024010105", "2024010106", "2024010107"},
    "counsellor:T9001": {"2024010101", "2024010103"},
    "counsellor:T9002": {"2024010102", "2024010104"},
    QUALITY_OFFICE.department_code: {"2024010105", "2024010106", "2024010107"},  # the three counsellor fallbacks
}


def ledger_with(tmp_path, rows=ROWS):
    warehouse = create_warehouse(tmp_path / "warehouse.duckdb", rows)
    ledger = tmp_path / "ledger.sqlite"
    update_ledger(ledger, validate_control_points(warehouse), RUN)
    return warehouse, ledger


def entity_ids_in(received) -> set[str]:
    sheets = received.sheets()
    changes, open_list = sheets["本次变化"], sheets["全部未解除预警"]
    change_column, open_column = changes[0].index("编号"), open_list[0].index("编号")
    return {row[change_column] for row in changes[1:]} | {row[open_column] for row in open_list[1:]}


def test_each_recipient_gets_one_digest_with_exactly_its_entities(tmp_path):
    warehouse, ledger = ledger_with(tmp_path)
    with smtp_server() as (url, collector):
        report = dispatch_warnings(warehouse, ledger, tmp_path / "outbox", url, RUN, backoff_seconds=0.01)
    assert report.failures == []
    by_key = collector.by_key()
    assert set(by_key) == set(EXPECTED)
    for key, messages in by_key.items():
        assert len(messages) == 1, f"{key} got {len(messages)} digests"
        received = messages[0]
        assert received.message["To"] == ADDRESSES[key]
        assert entity_ids_in(received) == EXPECTED[key], key
        content = received.everything()
        for foreign in ALL_ENTITIES - EXPECTED[key]:
            assert foreign not in content, f"{key} can read {foreign}"
    assert report.warnings_per_department == {key: len(ids) for key, ids in EXPECTED.items()}


def test_counsellor_digest_greets_the_counsellor_and_lists_students(tmp_path):
    warehouse, ledger = ledger_with(tmp_path)
    with smtp_server() as (url, collector):
        dispatch_warnings(warehouse, ledger, tmp_path / "outbox", url, RUN, backoff_seconds=0.01)
    (received,) = collector.by_key()["counsellor:T9001"]
    assert received.subject == "【质量预警】辅导员王辅导：新增 2 条（旷课学时 2）"
    assert received.text.startswith("辅导员王辅导：")
    assert "学号 2024010101 | 张三" in received.text and "学号 2024010103 | 王五" in received.text


def test_missing_counsellor_addresses_fall_back_to_the_quality_office_and_are_reported(tmp_path):
    warehouse, ledger = ledger_with(tmp_path)
    with smtp_server() as (url, collector):
        report = dispatch_warnings(warehouse, ledger, tmp_path / "outbox", url, RUN, backoff_seconds=0.01)
    fallbacks = {(f.department_code, f.routed_to, f.count): f.reason for f in report.fallbacks}
    qo = QUALITY_OFFICE.department_code
    assert fallbacks == {
        ("counsellor:T9003", qo, 1): "人事系统中该辅导员无邮箱（DZYX 为空）",
        ("counsellor:?", qo, 1): "学工系统未登记辅导员（FDYGH 为空）",
        ("counsellor:T9404", qo, 1): "人事系统中无此工号",
    }
    (received,) = collector.by_key()[qo]
    assert "辅导员陈辅导" in received.text and "没有可用的接收邮箱" in received.text
    assert "原收件人 辅导员陈辅导" in received.text


def test_department_without_address_falls_back_over_smtp(tmp_path):
    departments_csv = tmp_path / "departments.csv"
    college = DEPARTMENTS["101"]
    text = DEPARTMENTS_CSV.read_text(encoding="utf-8").replace(college.email, "")
    departments_csv.write_text(text, encoding="utf-8")
    warehouse = create_warehouse(tmp_path / "warehouse.duckdb", ROWS, departments_csv)
    ledger = tmp_path / "ledger.sqlite"
    update_ledger(ledger, validate_control_points(warehouse), RUN)
    with smtp_server() as (url, collector):
        report = dispatch_warnings(warehouse, ledger, tmp_path / "outbox", url, RUN, backoff_seconds=0.01)
    assert "101" not in collector.by_key()
    assert ("101", 2) in {(f.department_code, f.count) for f in report.fallbacks}
    (received,) = collector.by_key()[QUALITY_OFFICE.department_code]
    assert entity_ids_in(received) == EXPECTED[QUALITY_OFFICE.department_code] | EXPECTED["101"]
    assert college.name_zh in received.text


def test_student_warnings_need_the_counsellor_tables(tmp_path):
    warehouse, ledger = ledger_with(tmp_path)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("drop table core.dim_student")
    with pytest.raises(RuntimeError, match="core.dim_student"):
        dispatch_warnings(warehouse, ledger, tmp_path / "outbox", None, RUN)
