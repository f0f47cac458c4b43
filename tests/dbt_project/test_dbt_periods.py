"""The period dimension (core.dim_period) and the period columns of every mart row, on the
hand-made school: every period a mart names is typed, dated and labelled, so a time axis
and lag() over like periods are possible."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.dbt_project.dbt_school import TERM_1, TERM_2, read_seed

PERIOD_COLUMNS = [("period_type", "VARCHAR"), ("period_label_zh", "VARCHAR"), ("school_year", "VARCHAR"),
                  ("period_start", "DATE"), ("period_end", "DATE")]
# every mart with a period, and the column holding it
MARTS_WITH_A_PERIOD = {
    "mart_school__indicators": "period", "mart_major__indicators": "period", "mart_course__indicators": "period",
    "mart_teacher__indicators": "period", "mart_student__indicators": "period", "mart_task__indicators": "period",
    "mart_quality__status": "period", "mart_quality__own_target_achievement": "period", "mart_task__board": "month",
}
# the registry's grain of a control point → the period type of its rows
GRAIN_TYPES = {"month": "month", "term": "term", "year": "school_year", "graduation_year": "graduation_year"}


def columns_of(warehouse, schema: str, table: str) -> list[tuple[str, str]]:
    return warehouse.execute(
        "select column_name, data_type from information_schema.columns "
        f"where table_schema = '{schema}' and table_name = '{table}' order by ordinal_position").fetchall()


@pytest.fixture(scope="module")
def periods(warehouse) -> dict[str, dict]:
    cursor = warehouse.execute("select * from core.dim_period")
    names = [c[0] for c in cursor.description]
    return {row["period"]: row for row in (dict(zip(names, values)) for values in cursor.fetchall())}


def test_the_dimension_has_typed_columns(warehouse):
    assert columns_of(warehouse, "core", "dim_period") == [
        ("period", "VARCHAR"), ("period_type", "VARCHAR"), ("period_type_zh", "VARCHAR"),
        ("period_label_zh", "VARCHAR"), ("school_year", "VARCHAR"), ("term_number", "INTEGER"),
        ("period_start", "DATE"), ("period_end", "DATE")]


def test_every_period_is_dated_and_each_kind_tiles_the_calendar_without_gaps(periods):
    assert all(p["period_start"] < p["period_end"] for p in periods.values())
    for kind in ("month", "term", "school_year", "graduation_year"):
        spans = sorted((p["period_start"], p["period_end"]) for p in periods.values() if p["period_type"] == kind)
        assert spans, kind
        assert all(end + dt.timedelta(days=1) == next_start
                   for (_, end), (next_start, _) in zip(spans, spans[1:])), kind
        assert spans[0][0].month == 9 and spans[0][0].day == 1 and (spans[-1][1].month, spans[-1][1].day) == (8, 31)


def test_worked_periods(periods):
    assert periods["2025-03"] == {
        "period": "2025-03", "period_type": "month", "period_type_zh": "月份", "period_label_zh": "2025年3月",
        "school_year": "2024-2025", "term_number": None,
        "period_start": dt.date(2025, 3, 1), "period_end": dt.date(2025, 3, 31)}
    # a term takes dim_term's dates: term 1 runs to the day before term 2's first session
    assert [(periods[t]["period_label_zh"], periods[t]["term_number"], periods[t]["period_start"],
             periods[t]["period_end"]) for t in (TERM_1, TERM_2)] == [
        ("2024-2025学年第一学期", 1, dt.date(2024, 9, 1), dt.date(2025, 2, 23)),
        ("2024-2025学年第二学期", 2, dt.date(2025, 2, 24), dt.date(2025, 8, 31))]
    assert (periods["2024-2025"]["period_type"], periods["2024-2025"]["period_label_zh"],
            periods["2024-2025"]["period_start"], periods["2024-2025"]["period_end"]) == (
        "school_year", "2024-2025学年", dt.date(2024, 9, 1), dt.date(2025, 8, 31))
    # the 2025 cohort graduates at the end of 2024-2025
    assert (periods["2025"]["period_type"], periods["2025"]["period_label_zh"], periods["2025"]["school_year"],
            periods["2025"]["period_start"], periods["2025"]["period_end"]) == (
        "graduation_year", "2025届", "2024-2025", dt.date(2024, 9, 1), dt.date(2025, 8, 31))
    # the task board's December 2025 lies in the next school year, whose terms 教务 does not know yet
    assert periods["2025-12"]["school_year"] == "2025-2026"
    assert (periods["2025-2026-1"]["period_start"], periods["2025-2026-1"]["period_end"],
            periods["2025-2026-2"]["period_start"]) == (dt.date(2025, 9, 1), dt.date(2026, 1, 31), dt.date(2026, 2, 1))


@pytest.mark.parametrize("mart", list(MARTS_WITH_A_PERIOD))
def test_every_mart_row_carries_its_periods_columns(warehouse, periods, mart):
    column = MARTS_WITH_A_PERIOD[mart]
    columns = columns_of(warehouse, "marts", mart)
    first = columns.index(PERIOD_COLUMNS[0])
    assert columns[first:first + len(PERIOD_COLUMNS)] == PERIOD_COLUMNS
    rows = warehouse.execute(f"select {column}, period_type, period_label_zh, school_year, period_start, period_end "
                             f"from marts.{mart}").fetchall()
    assert rows, mart
    unknown = {row[0] for row in rows if row[0] not in periods}
    assert unknown == set(), f"{mart}: periods missing from core.dim_period"
    dimension = [(periods[p]["period_type"], periods[p]["period_label_zh"], periods[p]["school_year"],
                  periods[p]["period_start"], periods[p]["period_end"]) for p, *_ in rows]
    assert [tuple(row[1:]) for row in rows] == dimension


def test_a_control_points_rows_are_all_of_its_grain(warehouse):
    grains = {row["code"]: GRAIN_TYPES[row["grain"]] for row in read_seed("quality_control_points")}
    found = warehouse.execute("select indicator_code, period_type, count(*) from marts.mart_quality__status "
                              "where entity_id <> 'ALL' group by all").fetchall()
    assert found
    assert {(code, kind) for code, kind, _ in found} == {(code, grains[code]) for code, _, _ in found}
