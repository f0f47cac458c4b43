"""Each kind of bad input of the corpus (bad_input_testkit) costs only its own rows: the night
goes on for everyone else, the row is quarantined, left out or its load failed with its reason,
rows in = loaded + quarantined, and the engineers' alert names its table, key and column."""

from __future__ import annotations

import json
import re

import pytest

from expectations.registry import load_registry_csv
from zhengai.settings import REGISTRY_DIR

from tests.bad_input.bad_input_testkit import SOURCE_PASSWORD, Case

NIGHTS = (1, 2)


def cases_of(corpus) -> dict[str, Case]:
    return {f"{case.kind}-{case.table}": case for night in corpus.nights.values() for case in night.night.cases}


CASE_IDS = ["impossible_date-JW_KQ_SKJLB", "code_outside_contract-JW_KQ_XSKQB", "future_timestamp-JW_CJ_XSCJB",
            "out_of_range_score-JW_CJ_XSCJB", "unknown_grade_word-JW_CJ_XSCJB", "null_key-JW_CJ_XSCJB",
            "out_of_range_score-JW_PJ_XSPFB", "impossible_date-XG_WJCF", "odd_text-RS_PXJL",
            "deleted_source_row-JW_CJ_XSCJB", "resent_append_id-JW_KQ_XSKQB", "renamed_column-XG_JZXJ",
            "missing_sheet-a6_1", "corrupt_workbook-own_targets", "bad_password_url-RS_PXJL"]


def test_the_corpus_has_every_kind_of_bad_input(corpus):
    kinds = {case.kind for case in cases_of(corpus).values()}
    assert kinds == {"impossible_date", "future_timestamp", "deleted_source_row", "resent_append_id",
                     "out_of_range_score", "unknown_grade_word", "bad_password_url", "corrupt_workbook",
                     "renamed_column", "missing_sheet", "null_key", "code_outside_contract", "odd_text"}
    assert sorted(cases_of(corpus)) == sorted(CASE_IDS)


@pytest.mark.parametrize("night", NIGHTS)
def test_the_night_goes_on_for_everyone_else(corpus, night):
    run = corpus.nights[night]
    assert run.summary.succeeded, run.summary.errors
    assert run.summary.control_points_evaluated == len(load_registry_csv(REGISTRY_DIR / "quality_control_points.csv"))
    assert run.summary.snapshot == str(corpus.settings.snapshot)
    assert run.summary.report_site is not None
    # the night's e-mails went out over SMTP: the digests (first night) and the engineers' alert
    assert run.alert is not None
    if night == 1:
        assert [email for email in run.emails if email.subject.startswith("【质量预警】")]


@pytest.mark.parametrize("name", CASE_IDS)
def test_the_bad_input_is_set_aside_with_its_reason(corpus, name):
    case = cases_of(corpus)[name]
    run = corpus.nights[case.night]
    with corpus.warehouse() as warehouse:
        quarantined = warehouse.execute(
            "select rule, detail from meta.quarantine where run_id = ? and source = ? and table_name = ? and row_key = ?",
            [run.run_id, case.source, case.table, case.key]).fetchall()
        audit = warehouse.execute(
            "select * from meta.load_audit where run_id = ? and source = ? and table_name = ?",
            [run.run_id, case.source, case.table]).fetchdf().to_dict("records")
        if case.outcome == "quarantine":
            assert quarantined, f"{case.raw_table} {case.key_column}={case.key!r} is not in meta.quarantine"
            rule, detail = quarantined[0]
            assert not case.rules or rule in case.rules
            assert detail and (not case.column or case.column in detail or case.key_column in detail)
        elif case.outcome == "deleted":
            in_core = warehouse.execute("select count(*) from core.fct_grade where grade_id = ?", [case.key]).fetchone()[0]
            assert in_core == 0
            deletions = [value for record in audit for column, value in record.items() if "delet" in column]
            assert deletions and max(deletions) >= 1
        elif case.outcome == "load_failed":
            assert audit and audit[0]["status"] == "failed" and audit[0]["rows_loaded"] == 0 and audit[0]["error"]
            # the table keeps the first night's rows
            kept = warehouse.execute(f'select count(*) from {case.raw_table}').fetchone()[0]
            assert kept > 0
        elif case.outcome == "loaded":
            assert quarantined == []
            column = warehouse.execute(
                f'select "{case.column}" from {case.raw_table} where "{case.key_column}" = ?', [case.key]).fetchall()
            assert column == [(case.value,)]


@pytest.mark.parametrize("name", CASE_IDS)
def test_rows_in_are_rows_loaded_plus_quarantined(corpus, name):
    case = cases_of(corpus)[name]
    run = corpus.nights[case.night]
    with corpus.warehouse() as warehouse:
        audits = warehouse.execute(
            "select * from meta.load_audit where run_id = ?", [run.run_id]).fetchdf().to_dict("records")
    for audit in audits:
        assert audit["rows_read"] == audit["rows_loaded"] + audit["rows_quarantined"], audit
    (audit,) = [a for a in audits if a["source"] == case.source and a["table_name"] == case.table]
    if case.night == 1 and case.raw_table in run.night.source_rows:
        # the first load reads the whole table: every source row is loaded or quarantined
        assert audit["rows_read"] == run.night.source_rows[case.raw_table]
    if case.outcome == "deleted":
        deleted = [value for column, value in audit.items() if "delet" in column]
        assert deleted and max(deleted) >= 1, "the load audit counts no deletion"
    if case.night == 2 and case.raw_table in run.night.source_rows:
        # across both nights: every row the source holds is in raw (and not deleted) or quarantined
        with corpus.warehouse() as warehouse:
            schema, table = case.raw_table.split(".")
            marks = [name for (name,) in warehouse.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ?"
                " and column_name ilike '%delet%'", [schema, table]).fetchall()]
            kept = " and ".join(f'"{mark}" is null' for mark in marks) or "true"
            in_raw = warehouse.execute(f"select count(*) from {case.raw_table} where {kept}").fetchone()[0]
            # a row quarantined again on a later night (a future stamp read again) is still one row
            quarantined = warehouse.execute(
                "select count(distinct row_key) from meta.quarantine where source = ? and table_name = ?",
                [case.source, case.table]).fetchone()[0]
        assert in_raw + quarantined == run.night.source_rows[case.raw_table]


def _names(line: str, word: str) -> bool:
    """word stands on its own in line (a key 1 is not found in 12 or in CJ_ID1)."""
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", line) is not None


@pytest.mark.parametrize("name", CASE_IDS)
def test_the_engineers_alert_names_table_key_and_column(corpus, name):
    """One line of the night's alert names the case's table, key column, column and key."""
    case = cases_of(corpus)[name]
    alert = corpus.nights[case.night].alert
    assert alert is not None
    def names(line: str, word: str) -> bool:
        # a key counts only among the keys the line lists (a key 1 is not the count "1 条")
        return _names(line.split("键值", 1)[1] if "键值" in line else "", word) if word == case.key else _names(line, word)

    lines = [line for line in alert.text.splitlines() if all(names(line, word) for word in case.named_in_alert)]
    assert lines, f"no line names {case.named_in_alert}:\n{alert.text}"


def test_a_data_test_that_does_not_pass_is_in_the_engineers_alert_with_its_column_and_rows(corpus):
    """dbt's data tests are not Dagster checks: the data_center step records the ones that did
    not pass, and the alert names the model, the test, the column and the rows it found."""
    alert = corpus.nights[1].alert
    assert alert is not None
    assert ("core/dim_student · relationships_dim_student_counsellor_staff_id__staff_id__ref_dim_staff_（WARN），"
            "列 counsellor_staff_id，1 行未通过") in alert.text
    # an unchanged failure is told once: the second night's alert leaves it out
    assert "relationships_dim_student_counsellor_staff_id" not in corpus.nights[2].alert.text


def _texts_of_the_run(corpus) -> dict[str, list[str]]:
    texts = {"Dagster events": corpus.event_log}
    texts["summaries"] = [json.dumps(night.summary.errors + night.summary.failed_tables, ensure_ascii=False)
                          for night in corpus.nights.values()]
    texts["e-mails"] = [email.message.as_string() for night in corpus.nights.values() for email in night.emails]
    texts["outbox"] = [path.read_text(errors="replace") for path in corpus.settings.outbox.glob("*.eml")]
    with corpus.warehouse() as warehouse:
        texts["load audit"] = [str(row) for row in warehouse.execute("select * from meta.load_audit").fetchall()]
        texts["quarantine"] = [str(row) for row in warehouse.execute("select * from meta.quarantine").fetchall()]
    return texts


def _leaks(texts: dict[str, list[str]]) -> dict[str, list[str]]:
    found = {where: [line[:300] for line in lines if SOURCE_PASSWORD in line] for where, lines in texts.items()}
    return {where: lines for where, lines in found.items() if lines}


def test_no_alert_event_audit_or_exception_of_the_run_holds_a_source_password(corpus):
    """The second night reads HR from a PostgreSQL URL with a password where nothing listens:
    no Dagster event (step errors, check metadata), load audit, quarantine row, summary error,
    alert or e-mail may carry the password."""
    assert [table for table in corpus.nights[2].summary.failed_tables if table.startswith("hr.")]
    texts = _texts_of_the_run(corpus)
    assert any("rs_pxjl" in line.lower() for line in texts["Dagster events"])
    assert _leaks(texts) == {}
    assert "raw_hr/rs_pxjl" in corpus.nights[2].alert.text


def test_no_log_line_of_the_run_holds_a_source_password(corpus):
    """Every log record of every logger during both nights, with its exception."""
    assert any("hr" in line for line in corpus.log_lines)
    assert _leaks({"log lines": corpus.log_lines}) == {}
