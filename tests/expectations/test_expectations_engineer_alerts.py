"""The engineers' data-quality alert, sent over a real SMTP server: every finding by source
table, key and column with its count, tonight's quarantine, the failed checks; no password."""

from __future__ import annotations

from datetime import datetime

from alerting.engineer_alerts import data_quality_alert_text, hide_passwords, send_alert

from tests.expectations.smtp_testkit import DEPARTMENTS, smtp_server

DATA_CENTER = next(d for d in DEPARTMENTS.values() if d.role == "data_center")
UNJUDGED = [
    {"source_table": "raw_jw.JW_KQ_SKJLB", "key_column": "SKJL_ID", "column_name": "SKRQ", "reason": "missing_date",
     "records": 1, "sample_keys": ["900001"]},
    {"source_table": "raw_jw.JW_KQ_XSKQB", "key_column": "KQ_ID", "column_name": "SKJL_ID",
     "reason": "session_without_date", "records": 7, "sample_keys": ["1", "2", "3", "4", "5"]},
]
QUARANTINED = [
    {"source_table": "raw_jw.JW_KQ_XSKQB", "key_column": "KQ_ID", "column_name": "KQZT", "reason": "code_not_allowed",
     "records": 1, "sample_keys": ["900010"], "detail": "KQZT: '9' is not one of [1, 2, 3, 4, 5]"},
    {"source_table": "raw_jw.JW_CJ_XSCJB", "key_column": "CJ_ID", "column_name": "GXSJ", "reason": "clock_skew",
     "records": 2, "sample_keys": ["F1", "F2"], "detail": None},
]
FAILED = [
    {"asset": "core/fct_grade", "check": "not_null_fct_grade_term_name", "severity": "WARN", "column": "term_name",
     "failed_rows": 3, "error": ""},
    {"asset": "raw_hr/rs_pxjl", "check": "rows_accounted", "severity": "ERROR", "column": None, "failed_rows": None,
     "error": "OperationalError: could not connect to postgresql+psycopg2://zhengai:Night-Secret-42@10.0.0.5:5432/hr"},
]


def test_the_alert_names_table_key_column_and_count_of_every_finding():
    subject, body = data_quality_alert_text("nightly_sync", "run-1", UNJUDGED, QUARANTINED, FAILED)
    assert subject == "【数据质量】nightly_sync：未能判定 8 条，隔离 3 行，2 项检查未通过"
    assert "一、未能判定的记录 8 条" in body and "二、本次隔离的行 3 条" in body and "三、未通过的数据检查 2 项" in body
    assert "表 raw_jw.JW_KQ_SKJLB，主键 SKJL_ID，列 SKRQ：缺日期或日期无法识别（missing_date）1 条；键值 900001" in body
    # five keys shown of seven
    assert "表 raw_jw.JW_KQ_XSKQB，主键 KQ_ID，列 SKJL_ID：上课记录无日期（session_without_date）7 条；键值 1、2、3、4、5 等" in body
    assert "表 raw_jw.JW_KQ_XSKQB，主键 KQ_ID，列 KQZT：代码超出约定（code_not_allowed）1 条；键值 900010；例：KQZT: '9'" in body
    # a rule this module has no words for is shown by its code
    assert "列 GXSJ：clock_skew（clock_skew）2 条；键值 F1、F2" in body
    assert "core/fct_grade · not_null_fct_grade_term_name（WARN），列 term_name，3 行未通过" in body
    assert "run-1" in body


def test_rows_deleted_in_a_source_are_counted_per_table():
    deleted = [{"source_table": "raw_jw.JW_CJ_XSCJB", "key_column": "CJ_ID", "records": 2}]
    subject, body = data_quality_alert_text("nightly_sync", "run-3", [], [], [], deleted)
    assert subject == "【数据质量】nightly_sync：源系统删除 2 行"
    assert "  - 表 raw_jw.JW_CJ_XSCJB，主键 CJ_ID：源系统已删除 2 行" in body


def test_the_alert_goes_to_the_data_center_over_smtp_without_the_password_of_a_url(tmp_path):
    subject, body = data_quality_alert_text("nightly_sync", "run-2", UNJUDGED, QUARANTINED, FAILED)
    with smtp_server() as (url, collector):
        send_alert(list(DEPARTMENTS.values()), subject, body, "data-quality-run-2", url, tmp_path, datetime(2025, 9, 1, 2, 30))
    (received,) = collector.received
    assert received.message["To"] == DATA_CENTER.email and received.subject == subject
    assert "Night-Secret-42" not in received.message.as_string()
    assert "postgresql+psycopg2://zhengai:***@10.0.0.5:5432/hr" in received.text


def test_passwords_are_hidden_in_every_url_of_a_text():
    text = ("scanner: Unable to connect to Postgres at \"postgresql://u:p%40ss@db:5432/jw\"; "
            "fallback mysql+pymysql://root:Secret!9@10.1.1.1/xg; sqlite:////srv/jw.sqlite; https://example.org/a:b")
    assert hide_passwords(text) == (
        "scanner: Unable to connect to Postgres at \"postgresql://u:***@db:5432/jw\"; "
        "fallback mysql+pymysql://root:***@10.1.1.1/xg; sqlite:////srv/jw.sqlite; https://example.org/a:b")
