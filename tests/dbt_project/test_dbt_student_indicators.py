"""Each STU_ indicator on the hand-made school of conftest.build_school, where the answer is known."""

import pytest

from tests.dbt_project.dbt_school import TERM_1, TERM_2


def value_of(indicators, code, student, period):
    row = indicators[(code, student, period)]
    return row["value"], row["numerator"], row["denominator"]


def test_attendance_rate_leaves_leave_out_and_counts_a_repeated_check_in_once(indicators):
    # 2024001: 20 periods present (出勤, 迟到, 早退), 2 absent (the KQ_ID sent twice), 2 on leave.
    assert value_of(indicators, "STU_ATTEND_RATE", "2024001", TERM_1) == (pytest.approx(100 * 20 / 22), 20, 22)
    assert value_of(indicators, "STU_ATTEND_RATE", "2024001", TERM_2) == (100, 20, 20)
    # 2024004: 18 present + 2 on leave: 100 % over 18 periods, not 90 % over 20.
    assert value_of(indicators, "STU_ATTEND_RATE", "2024004", TERM_1) == (100, 18, 18)


def test_absent_periods_sum_session_periods(indicators):
    expected = {"2024001": 2, "2024002": 2, "2024003": 3, "2024004": 0, "2024005": 9, "2024006": 10}
    actual = {student: indicators[("STU_ABSENT_PERIODS", student, TERM_1)]["value"] for student in expected}
    assert actual == expected


def test_a_repeated_check_in_is_one_fact_row(warehouse):
    rows, distinct_ids = warehouse.execute(
        "select count(*), count(distinct check_in_id) from core.fct_attendance where student_number = '2024001'"
        f" and term_name = '{TERM_1}'"
    ).fetchone()
    assert rows == distinct_ids == 12


def test_orphan_check_ins_are_reported_not_dropped(warehouse):
    orphans = warehouse.execute("select student_id, reason from data_quality.dq_orphan_check_ins "
                                "order by reason").fetchall()
    # every distinct KQ_ID is in the fact or in the data-quality model, nowhere both
    assert orphans == [("S11", "session_without_date"), ("X999", "student_not_in_register")]
    raw_ids = warehouse.execute('select count(distinct KQ_ID) from raw_jw."JW_KQ_XSKQB"').fetchone()[0]
    kept = warehouse.execute("select count(*) from core.fct_attendance").fetchone()[0]
    assert kept + len(orphans) == raw_ids


def test_nights_out_and_late_returns_per_month(indicators):
    # Only these students have dorm checks; nobody else gets a dorm row.
    nights = {key[1:]: row["value"] for key, row in indicators.items() if key[0] == "STU_NIGHTS_OUT"}
    late = {key[1:]: row["value"] for key, row in indicators.items() if key[0] == "STU_LATE_RETURNS"}
    assert nights == {("2024001", "2024-10"): 1, ("2024001", "2024-11"): 0, ("2024002", "2024-10"): 0,
                      ("2024003", "2024-10"): 0, ("2024004", "2024-10"): 0}
    assert late == {("2024001", "2024-10"): 1, ("2024001", "2024-11"): 0, ("2024002", "2024-10"): 0,
                    ("2024003", "2024-10"): 3, ("2024004", "2024-10"): 4}
    assert indicators[("STU_NIGHTS_OUT", "2024001", "2024-10")]["denominator"] == 10


def test_failed_courses_use_regular_exams_and_text_grades(indicators):
    # 2024001: 55 fails (its 补考 70 does not rewrite the term), 缓考 left out;
    # 2024002: 不及格, 缺考, 作弊 all fail; 2024003: 及格 and 60 pass; 2024005: 59.5 fails, 重修 ignored.
    expected = {"2024001": (1, 3), "2024002": (3, 3), "2024003": (0, 2), "2024004": (0, 1), "2024005": (1, 2)}
    actual = {student: value_of(indicators, "STU_FAILED_COURSES", student, TERM_1)[::2] for student in expected}
    assert actual == expected


def test_gpa_is_credit_weighted_over_regular_exams(indicators):
    # 2024001: (4.0×4 + 3.5×2 + 0×1) / 7; 缓考 (3 credits) and the 补考 are left out.
    assert value_of(indicators, "STU_GPA", "2024001", TERM_1) == (pytest.approx(23 / 7), 23, 7)
    assert value_of(indicators, "STU_GPA", "2024003", TERM_1) == (1.5, 9, 6)
    assert value_of(indicators, "STU_GPA", "2024004", TERM_1) == (2.5, 10, 4)
    # 2024005: (4.5×4 + 1.0×2) / 6; the 重修 grade (3 credits, 0 points) is not a term record.
    assert value_of(indicators, "STU_GPA", "2024005", TERM_1) == (pytest.approx(20 / 6), 20, 6)


def test_sanctions_in_force_per_term(indicators):
    sanctions = {key[1:]: row["value"] for key, row in indicators.items()
                 if key[0] == "STU_SANCTIONS" and key[1].startswith("202400")}
    assert sanctions == {
        ("2024001", TERM_1): 1, ("2024001", TERM_2): 1,  # never lifted
        ("2024002", TERM_1): 1, ("2024002", TERM_2): 0,  # lifted between the terms
        ("2024003", TERM_1): 1,                          # imposed and lifted in the winter break
        ("2024004", TERM_1): 1, ("2024004", TERM_2): 0,  # lifted on the first day of term 1
        ("2024005", TERM_1): 1, ("2024005", TERM_2): 1,  # imposed on the last day of term 1
        ("2024006", TERM_1): 2, ("2024006", TERM_2): 1,  # two in term 1, one lifted in December
        ("2024007", TERM_1): 1, ("2024007", TERM_2): 1,  # no other data: the sanction alone gives rows
    }


def test_long_shape_and_units(warehouse):
    columns = warehouse.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'marts' and table_name = 'mart_student__indicators' order by ordinal_position"
    ).fetchall()
    assert columns == [("indicator_code", "VARCHAR"), ("entity_id", "VARCHAR"), ("entity_name", "VARCHAR"),
                       ("unit_id", "VARCHAR"), ("period", "VARCHAR"), ("value", "DOUBLE"),
                       ("numerator", "DOUBLE"), ("denominator", "DOUBLE"),
                       ("period_type", "VARCHAR"), ("period_label_zh", "VARCHAR"), ("school_year", "VARCHAR"),
                       ("period_start", "DATE"), ("period_end", "DATE"), ("indicator_name_zh", "VARCHAR"),
                       ("indicator_unit", "VARCHAR"), ("unit_name", "VARCHAR"), ("status", "VARCHAR")]
    units = dict(warehouse.execute(
        "select distinct entity_id, unit_id from marts.mart_student__indicators where entity_id in ('2024001', '2024007')"
    ).fetchall())
    assert units == {"2024001": "101", "2024007": "102"}
