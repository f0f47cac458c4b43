"""The foundation's promise, end to end: sources → warehouse → checks → ledger → e-mails.

A 300-student school is generated, synced through the real Dagster jobs, then synced
again with nothing changed in the sources.
"""

from __future__ import annotations

import email
import io
import re
from email import policy

import duckdb
import openpyxl

from expectations.registry import load_departments_csv, load_registry_csv
from zhengai.settings import REGISTRY_DIR

from tests.end_to_end.end_to_end_testkit import ledger_rows, raw_row_counts

ID_NUMBER = re.compile(r"\b\d{17}[\dX]\b")
PHONE = re.compile(r"\b1[3-9]\d{9}\b")


def read_outbox(outbox):
    messages = []
    for path in sorted(outbox.glob("*.eml")):
        messages.append(email.message_from_bytes(path.read_bytes(), policy=policy.default))
    return messages


def attachment_rows(message) -> list[dict]:
    for part in message.iter_attachments():
        if part.get_filename().endswith(".xlsx"):
            sheet = openpyxl.load_workbook(io.BytesIO(part.get_content())).worksheets[0]
            rows = list(sheet.iter_rows(values_only=True))
            return [dict(zip(rows[0], row)) for row in rows[1:]]
    return []


def owner_email(code: str) -> str:
    point = next(p for p in load_registry_csv(REGISTRY_DIR / "quality_control_points.csv") if p.code == code)
    department = next(
        d for d in load_departments_csv(REGISTRY_DIR / "departments.csv")
        if d.department_code == point.owner_department_code
    )
    return department.email


def planted_entities(planted: dict, code: str) -> set[tuple[str, str]]:
    return {(w["entity_id"], w["period"]) for w in planted["expected_warnings"] if w["indicator_code"] == code}


def test_first_sync_succeeds_and_reports(two_syncs):
    first = two_syncs.first
    assert first.succeeded, first.errors
    assert set(first.rows_by_source) == {"jw", "hr", "xg", "state", "plan"}
    for source, (read, loaded, quarantined) in first.rows_by_source.items():
        assert read == loaded + quarantined, source
        assert loaded > 0, source
    assert first.models_built > 50
    assert first.control_points_evaluated == 38
    assert not first.failed_tables


def test_every_source_table_lands_minus_quarantine(two_syncs, planted_json):
    with duckdb.connect(str(two_syncs.settings.warehouse), read_only=True) as con:
        quarantined = dict(
            con.execute(
                "select table_name, count(*) from meta.quarantine group by table_name"
            ).fetchall()
        )
        raw = con.execute(
            "select table_name, table_schema from information_schema.tables where table_schema in ('raw_jw', 'raw_hr', 'raw_xg')"
        ).fetchall()
        assert {table for table, _ in raw} == set(planted_json["row_counts"])
        for table, schema in raw:
            loaded = con.execute(f'select count(*) from {schema}."{table}"').fetchone()[0]
            assert loaded == planted_json["row_counts"][table] - quarantined.get(table, 0), table
        reasons = con.execute("select table_name, rule from meta.quarantine where source <> 'plan'").fetchall()
        # each sync reads the plan workbooks whole: the same rows refused each time
        refused = con.execute("select distinct raw_values->>'_origin', rule from meta.quarantine "
                              "where source = 'plan'").fetchall()
    # The generator plants exactly one duplicated check-in, and the plan rows the data center must refuse.
    assert reasons == [("JW_KQ_XSKQB", "duplicate_key")]
    assert sorted(refused) == sorted((f"{r['workbook']}!{r['sheet']} row {r['row']}", r["rule"])
                                     for r in planted_json["plan"]["refused"])


def test_planted_findings_are_warnings(two_syncs, planted_json):
    with duckdb.connect(str(two_syncs.settings.warehouse), read_only=True) as con:
        warnings = set(
            con.execute(
                "select indicator_code, entity_id, period from marts.mart_quality__status where status = '预警'"
            ).fetchall()
        )
    expected = {(w["indicator_code"], w["entity_id"], w["period"]) for w in planted_json["expected_warnings"]}
    assert expected <= warnings


def test_absence_email_names_exactly_the_planted_students(two_syncs, planted_json):
    recipient = owner_email("STU_ABSENT_PERIODS")
    to_owner = [m for m in read_outbox(two_syncs.settings.outbox) if recipient in m["To"]]
    assert len(to_owner) == 1, "one digest per department"
    message = to_owner[0]
    assert message["Subject"].startswith("【质量预警】")
    rows = [r for r in attachment_rows(message) if r["质控点代码"] == "STU_ABSENT_PERIODS"]
    assert {(r["编号"], r["周期"]) for r in rows} == planted_entities(planted_json, "STU_ABSENT_PERIODS")
    body = message.get_body(preferencelist=("plain",)).get_content()
    for student, _ in planted_entities(planted_json, "STU_ABSENT_PERIODS"):
        assert student in body


def test_emails_carry_no_personal_numbers(two_syncs):
    messages = read_outbox(two_syncs.settings.outbox)
    assert messages
    for message in messages:
        text = message.get_body(preferencelist=("plain",)).get_content()
        assert not ID_NUMBER.search(text) and not PHONE.search(text), message["Subject"]


def test_second_sync_changes_nothing(two_syncs):
    second = two_syncs.second
    assert second.succeeded, second.errors
    assert raw_row_counts(two_syncs.settings.warehouse) == two_syncs.raw_counts_after_first
    assert sorted(p.name for p in two_syncs.settings.outbox.glob("*.eml")) == two_syncs.outbox_after_first
    assert second.emails == []
    # Same warnings, same states: nothing new was raised and nothing re-notified.
    assert ledger_rows(two_syncs.settings.ledger) == two_syncs.ledger_after_first


def test_the_department_graded_not_met_hears_it(two_syncs, planted_json):
    """The 不达标 department's digest names it and its 部门目标达成度 of the year's last month."""
    (finding,) = [f for f in planted_json["findings"] if f["indicator_code"] == "DEP_TASK_ACHIEVEMENT"]
    (entity,) = finding["entities"]
    department = next(d for d in load_departments_csv(REGISTRY_DIR / "departments.csv")
                      if d.department_code == entity["entity_id"])
    (message,) = [m for m in read_outbox(two_syncs.settings.outbox) if department.email in m["To"]]
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "部门目标达成度" in message["Subject"] and "】部门目标达成度（低于 80%即预警）" in body
    line = next(line for line in body.splitlines() if f"周期 {entity['period']}" in line and "部门代码" in line)
    shown = f"{entity['achievement']:.1f}"  # the registry's decimals for 目标达成度
    assert department.name_zh in line and f"当前值 {shown}%" in line
    rows = [r for r in attachment_rows(message) if r["质控点代码"] == "DEP_TASK_ACHIEVEMENT"]
    assert (department.department_code, entity["period"]) in {(r["编号"], r["周期"]) for r in rows}


def test_the_summary_shows_the_board_and_the_achievement(two_syncs, planted_json):
    year = max(planted_json["plan"]["task_years"])
    graded = planted_json["plan"]["task_years"][year]
    names = {d.department_code: d.name_zh for d in load_departments_csv(REGISTRY_DIR / "departments.csv")}
    board, achievement, _, refused = two_syncs.first.task_board
    assert refused == f"  工作簿中未采用 {len(planted_json['plan']['refused'])} 行（行号与原因见 data_quality.dq_plan_refusals）"
    assert board.startswith(f"  任务看板（{year}-12）：任务 ") and "已完成" in board
    assert f"{names[graded['failing']]} {graded['december'][graded['failing']]['value']:.1f}%（不达标）" in achievement
    assert f"{names[graded['basic']]} {graded['december'][graded['basic']]['value']:.1f}%（基本达标）" in achievement
    assert achievement.startswith(f"  目标达成度（{year}-12）：全校 {graded['december']['school']['value']:.1f}%")
