"""Every course, teacher, major and school control point on the hand-made school
(dbt_school.add_*_cases), where the answer is worked out by hand."""

import pytest

from tests.dbt_project.dbt_school import TERM_1, TERM_2, read_seed

YEAR = "2024-2025"
SCHOOL = "4132012345"  # school code of state sheet A1

CASES = [
    # (indicator, entity, period, value, numerator, denominator, status, why)
    ("CRS_ATTEND_RATE", "JXB_C1", "2024-10", 100 * 45 / 55, 45, 55, "预警",
     "present 出勤/迟到/早退, leave left out, the KQ_ID sent twice counted once"),
    ("CRS_ATTEND_RATE", "JXB_C1", "2024-11", 100 * 8 / 12, 8, 12, "数据不足", "12 periods, fewer than 40"),
    ("CRS_PASS_RATE", "JXB_C2", TERM_1, 50, 5, 10, "预警",
     "不及格, 缺考, 作弊 fail, grade words pass from 及格, a 补考 does not rewrite the term"),
    ("CRS_PASS_RATE", "JXB_C1", TERM_1, 50, 1, 2, "数据不足", "缓考 is left out: 2 students graded"),
    ("CRS_PASS_RATE", "JXB_D1", TERM_2, 100 * 28 / 30, 28, 30, "达标", "30 graded"),
    ("CRS_EVAL_SCORE", "JXB_C2", TERM_1, 85, 850, 10, "达标", "anonymous ratings count; 85 is the standard"),
    ("CRS_EVAL_SCORE", "JXB_C1", TERM_1, 70, 210, 3, "数据不足", "3 ratings, fewer than 10"),
    ("CRS_EVAL_SCORE", "JXB_C3", TERM_2, 90, 1800, 20, "达标", "20 ratings"),
    ("CRS_SUPERVISOR_SCORE", "JXB_C2", TERM_1, 70, 140, 2, "未达标", "70 equals the warning value"),
    ("CRS_SUPERVISOR_SCORE", "JXB_C1", TERM_1, 69.5, 69.5, 1, "预警", "just below it"),
    ("TCH_EVAL_SCORE", "T010", YEAR, 2010 / 23, 2010, 23, "达标",
     "all classes of the year; a rating without JGH_ID belongs to the class's teacher"),
    ("TCH_EVAL_SCORE", "T011", YEAR, 85, 850, 10, "数据不足", "10 ratings, fewer than 20"),
    ("TCH_EVAL_SCORE", "T001", YEAR, None, None, 0, "数据不足", "no ratings: no value, not 0"),
    ("TCH_TEACHING_PERIODS", "T010", YEAR, 30, 30, 7, "预警", "Σ XS of the sessions held: 4×5 + 4 + 2×3"),
    ("TCH_TEACHING_PERIODS", "T011", YEAR, 320, 320, 40, "达成目标", "40 sessions of 8 periods"),
    ("TCH_TRAINING_HOURS", "T010", YEAR, 76, 76, 2, "达标", "trainings ending in the year; one ends in September 2025"),
    ("TCH_TRAINING_HOURS", "T011", YEAR, 0, 0, 0, "预警", "its only training has no dates (dq_excluded_records)"),
    ("TCH_PRACTICE_DAYS", "T010", YEAR, 10, 10, 1, "未达标", "10 days equals the warning value; summer 2024 is last year"),
    ("TCH_INCIDENTS", "T010", YEAR, 1, 1, None, "预警", "one incident in the year, one in August 2024"),
    ("TCH_INCIDENTS", "T011", YEAR, 0, 0, None, "达成目标", "none"),
    ("TCH_SANCTIONS", "T010", YEAR, 1, 1, None, "预警", "a 处分 in the year; an honour and a 2020 sanction do not count"),
    ("MAJ_EMPLOY_RATE", "550102", "2025", 100 * 12 / 14, 12, 14, "未达标", "every destination but 待就业 is employed"),
    ("MAJ_MATCH_RATE", "550102", "2025", 70, 7, 10, "达标", "签约就业, 灵活就业, 自主创业 only"),
    ("MAJ_REPORT_RATE", "550102", YEAR, 85, 17, 20, "未达标", "A7-6-1 of collection year 2025"),
    ("MAJ_REPORT_RATE", "460301", YEAR, 100, 8, 8, "数据不足", "8 admitted, fewer than 10"),
    ("MAJ_DROPOUT_RATE", "530302", YEAR, 10, 3, 30, "预警", "3 of the 30 在读 when the year began withdrew"),
    ("MAJ_DROPOUT_RATE", "460301", YEAR, 0, 0, 7, "数据不足", "7 students, fewer than 30"),
    ("MAJ_GRAD_SATISFACTION", "550102", "2024", 100 * 8 / 11, 8, 11, "预警", "ratings 4-5 of the 2024 graduates"),
    ("MAJ_EMPLOYER_SATISFACTION", "550102", "2024", 75, 3, 4, "数据不足", "empty employer ratings left out: 4 answers"),
    ("MAJ_PASS_RATE", "530302", TERM_2, 100 * 28 / 30, 28, 30, "达标", "缓考 left out, the 补考 does not count"),
    ("MAJ_PASS_RATE", "510201", TERM_1, 50, 6, 12, "数据不足", "12 grades; an unreadable grade text is not counted"),
    ("MAJ_PASS_RATE", "460301", TERM_1, 100 * 6 / 11, 6, 11, "数据不足", "the student cases' regular grades"),
    ("COL_STUDENT_TEACHER_RATIO", "101", YEAR, 17, 34, 2, "达标", "students 在读 at the year's end / full-time teachers"),
    ("COL_STUDENT_TEACHER_RATIO", "102", YEAR, 5.5, 11, 2, "达成目标", "part-time teachers belong to no college"),
    ("COL_DUAL_QUALIFIED_RATE", "101", YEAR, 100, 2, 2, "数据不足", "2 teachers, fewer than 5"),
    ("SCH_STUDENT_TEACHER_RATIO", SCHOOL, YEAR, 9, 45, 5, "达成目标", "45 / (4 full-time + 0.5 × 2 part-time)"),
    ("SCH_POSTGRAD_TEACHER_RATE", SCHOOL, YEAR, 75, 3, 4, "达成目标", "博士 or 硕士"),
    ("SCH_SENIOR_TITLE_RATE", SCHOOL, YEAR, 50, 2, 4, "达成目标", "T014's 副高 came after the year closed"),
    ("SCH_DUAL_QUALIFIED_RATE", SCHOOL, YEAR, 50, 2, 4, "达标", "50 is the standard"),
    ("SCH_PARTTIME_SHARE", SCHOOL, YEAR, 50, 2, 4, "预警", "2 part-time (A6-3) over 4 full-time"),
    ("SCH_BUILDING_PER_STUDENT", SCHOOL, YEAR, 16, 720, 45, "达标", "(600 + 120) m² / 45"),
    ("SCH_EQUIPMENT_PER_STUDENT", SCHOOL, YEAR, 150000 / 45, 150000, 45, "未达标", "15 万元 in 元"),
    ("SCH_BOOKS_PER_STUDENT", SCHOOL, YEAR, 2200 / 45, 2200, 45, "预警", "paper books"),
    ("SCH_FUNDING_PER_STUDENT", SCHOOL, YEAR, 10000, 450000, 45, "未达标", "(40 + 5) 万元 = the warning value"),
    ("SCH_EMPLOY_RATE", SCHOOL, "2025", 100 * 12 / 14, 12, 14, "未达标", "all graduates of 2025"),
]


@pytest.mark.parametrize(("code", "entity", "period", "value", "numerator", "denominator", "status", "why"), CASES,
                         ids=[f"{case[0]}-{case[1]}-{case[2]}" for case in CASES])
def test_control_point(indicators, code, entity, period, value, numerator, denominator, status, why):
    row = indicators[(code, entity, period)]
    approx = (lambda x: None if x is None else pytest.approx(x))
    assert (row["value"], row["numerator"], row["denominator"]) == (approx(value), approx(numerator),
                                                                     approx(denominator)), why
    assert row["status"] == status, why


def test_entities_and_units(warehouse):
    units = warehouse.execute("""
        select indicator_code, entity_id, entity_name, unit_id from marts.mart_quality__status
        where (indicator_code, entity_id) in (('CRS_PASS_RATE', 'JXB_C2'), ('CRS_PASS_RATE', 'JXB_C1'),
            ('TCH_INCIDENTS', 'T010'), ('MAJ_EMPLOY_RATE', '550102'), ('MAJ_REPORT_RATE', '999999'),
            ('SCH_BOOKS_PER_STUDENT', '4132012345'), ('COL_STUDENT_TEACHER_RATIO', '102'))
        order by 1, 2
    """).fetchall()
    assert [row[0:2] + row[3:] for row in units] == [
        ("COL_STUDENT_TEACHER_RATIO", "102", "102"),
        ("CRS_PASS_RATE", "JXB_C1", "102"),      # the offering college, not the teacher's
        ("CRS_PASS_RATE", "JXB_C2", "101"),
        ("MAJ_EMPLOY_RATE", "550102", "102"),
        ("MAJ_REPORT_RATE", "999999", None),     # a major the 教务 system does not know
        ("SCH_BOOKS_PER_STUDENT", "4132012345", None),
        ("TCH_INCIDENTS", "T010", "102"),
    ]
    names = {row[1]: row[2] for row in units}
    assert names["550102"] == "major-04" and names["999999"] == "state-999999"
    assert names["T010"] == "teacher-T010" and names["4132012345"] == "school-demo"


def test_only_full_time_teachers_in_post_during_the_year_are_judged(warehouse):
    teachers = {entity for (entity,) in warehouse.execute(
        "select distinct entity_id from marts.mart_teacher__indicators").fetchall()}
    # T002 left, T013 was hired after the year, C001 and A001 are not teachers.
    assert teachers == {"T001", "T010", "T011", "T014"}


# layer → the wide view's entity column, and each indicator's column kind (macro wide_indicators)
LONG_AND_WIDE = {
    "course": ("teaching_class_id", {"CRS_ATTEND_RATE": "month_rate", "CRS_PASS_RATE": "value",
                                     "CRS_EVAL_SCORE": "value", "CRS_SUPERVISOR_SCORE": "value"}),
    "teacher": ("staff_id", dict.fromkeys(["TCH_EVAL_SCORE", "TCH_TEACHING_PERIODS", "TCH_TRAINING_HOURS",
                                           "TCH_PRACTICE_DAYS", "TCH_INCIDENTS", "TCH_SANCTIONS"], "value")),
    "major": ("major_code", {**dict.fromkeys(["MAJ_EMPLOY_RATE", "MAJ_MATCH_RATE", "MAJ_REPORT_RATE", "MAJ_DROPOUT_RATE",
                                              "MAJ_GRAD_SATISFACTION", "MAJ_EMPLOYER_SATISFACTION"], "value"),
                             "MAJ_PASS_RATE": "terms"}),
    "school": ("entity_id", dict.fromkeys(["SCH_STUDENT_TEACHER_RATIO", "SCH_POSTGRAD_TEACHER_RATE",
                                           "SCH_SENIOR_TITLE_RATE", "SCH_DUAL_QUALIFIED_RATE", "SCH_PARTTIME_SHARE",
                                           "SCH_BUILDING_PER_STUDENT", "SCH_EQUIPMENT_PER_STUDENT",
                                           "SCH_BOOKS_PER_STUDENT", "SCH_FUNDING_PER_STUDENT", "SCH_EMPLOY_RATE",
                                           "COL_STUDENT_TEACHER_RATIO", "COL_DUAL_QUALIFIED_RATE"], "value")),
    "student": ("student_number", {"STU_ATTEND_RATE": "terms", "STU_ABSENT_PERIODS": "terms",
                                   "STU_NIGHTS_OUT": "month_total", "STU_LATE_RETURNS": "month_total",
                                   "STU_FAILED_COURSES": "terms", "STU_GPA": "terms", "STU_SANCTIONS": "terms"}),
}


def wide_cells_from_the_long_mart(warehouse, layer: str) -> dict[tuple, float | None]:
    """(entity, school year, wide column) → the value worked out in Python from the long rows."""
    _, kinds = LONG_AND_WIDE[layer]
    rows = warehouse.execute(f"select indicator_code, entity_id, school_year, period, period_type, value, numerator, "
                             f"denominator from marts.mart_{layer}__indicators").fetchall()
    grouped: dict[tuple, list] = {}
    for code, entity, year, period, period_type, value, numerator, denominator in rows:
        kind = kinds[code]
        if kind == "terms":
            assert period_type == "term"
            grouped.setdefault((entity, year, f"{code.lower()}_term{period[-1]}"), []).append((value,))
        else:
            assert (period_type == "month") == kind.startswith("month_"), (code, period_type)
            grouped.setdefault((entity, year, code.lower()), []).append((value, numerator, denominator))
    cells = {}
    for (entity, year, column), values in grouped.items():
        kind = kinds[column.rsplit("_term", 1)[0].upper()] if "_term" in column else kinds[column.upper()]
        if kind == "month_total":
            cells[(entity, year, column)] = sum(v for v, _, _ in values)
        elif kind == "month_rate":
            cells[(entity, year, column)] = 100 * sum(n for _, n, _ in values) / sum(d for _, _, d in values)
        else:
            assert len(values) == 1, (entity, year, column)  # one value a year (a term)
            cells[(entity, year, column)] = values[0][0]
    return cells


@pytest.mark.parametrize("layer", list(LONG_AND_WIDE))
def test_wide_view_has_one_row_per_entity_and_school_year(warehouse, layer):
    entity_column, _ = LONG_AND_WIDE[layer]
    cursor = warehouse.execute(f"select * from marts.mart_{layer}__indicators_wide")
    names = [c[0] for c in cursor.description]
    wide = [dict(zip(names, row)) for row in cursor.fetchall()]
    keys = [(row[entity_column], row["school_year"]) for row in wide]
    assert len(keys) == len(set(keys)) > 0
    assert set(keys) == {tuple(key) for key in warehouse.execute(
        f"select distinct entity_id, school_year from marts.mart_{layer}__indicators").fetchall()}
    assert all(row["period_start"].isoformat()[5:] == "09-01" and row["period_end"].isoformat()[5:] == "08-31"
               and row["period_start"].year == int(row["school_year"][:4]) for row in wide)
    expected = wide_cells_from_the_long_mart(warehouse, layer)
    indicator_columns = [name for name in names if name not in (entity_column, names[1], names[2], "school_year",
                                                                "period_start", "period_end")]
    found = {(row[entity_column], row["school_year"], column): row[column]
             for row in wide for column in indicator_columns if row[column] is not None}
    assert found == pytest.approx({key: value for key, value in expected.items() if value is not None})


def test_wide_views_on_worked_cases(warehouse):
    """A major's graduation-year figures (the 2025 cohort) meet its school-year figures on one row."""
    row = warehouse.execute("select maj_employ_rate, maj_report_rate from "
                            "marts.mart_major__indicators_wide where major_code = '550102' "
                            "and school_year = '2024-2025'").fetchone()
    assert row == pytest.approx((100 * 12 / 14, 85))


@pytest.mark.parametrize("layer", list(LONG_AND_WIDE))
def test_every_layer_mart_has_the_long_shape(warehouse, layer):
    columns = warehouse.execute(
        "select column_name, data_type from information_schema.columns "
        f"where table_schema = 'marts' and table_name = 'mart_{layer}__indicators' order by ordinal_position"
    ).fetchall()
    assert columns == [("indicator_code", "VARCHAR"), ("entity_id", "VARCHAR"), ("entity_name", "VARCHAR"),
                       ("unit_id", "VARCHAR"), ("period", "VARCHAR"), ("value", "DOUBLE"),
                       ("numerator", "DOUBLE"), ("denominator", "DOUBLE"),
                       ("period_type", "VARCHAR"), ("period_label_zh", "VARCHAR"), ("school_year", "VARCHAR"),
                       ("period_start", "DATE"), ("period_end", "DATE"), ("indicator_name_zh", "VARCHAR"),
                       ("indicator_unit", "VARCHAR"), ("unit_name", "VARCHAR"), ("status", "VARCHAR")]


@pytest.mark.parametrize("layer", [*LONG_AND_WIDE, "task"])
def test_layer_marts_carry_chinese_labels_and_the_status(warehouse, layer):
    """The control point's name and unit (registry), the unit's name (departments) and the
    status, as mart_quality__status has them for the same row."""
    names = {row["code"]: (row["name_zh"], row["unit"]) for row in read_seed("quality_control_points")}
    units = {row["department_code"]: row["name_zh"] for row in read_seed("departments")}
    rows = warehouse.execute(f"""
        select long.indicator_code, long.unit_id, long.indicator_name_zh, long.indicator_unit, long.unit_name,
               long.status, judged.status
        from marts.mart_{layer}__indicators as long
        left join marts.mart_quality__status as judged using (indicator_code, entity_id, period)
    """).fetchall()
    assert rows
    for code, unit_id, name_zh, measure, unit_name, status, judged in rows:
        assert (name_zh, measure) == names[code]
        assert unit_name == units.get(unit_id)
        assert status == judged and status in ("达成目标", "达标", "未达标", "预警", "数据不足")


def test_labels_on_a_worked_row(warehouse):
    row = warehouse.execute("select indicator_name_zh, indicator_unit, unit_name, status, period_label_zh "
                            "from marts.mart_course__indicators "
                            "where indicator_code = 'CRS_ATTEND_RATE' and entity_id = 'JXB_C1' and period = '2024-10'"
                            ).fetchone()
    unit = warehouse.execute("select d.name_zh from core.dim_teaching_class as c join registry.departments as d "
                             "on d.department_code = c.offering_department_code where c.teaching_class_id = 'JXB_C1'"
                             ).fetchone()[0]
    assert row == ("课堂到课率", "%", unit, "预警", "2024年10月")
