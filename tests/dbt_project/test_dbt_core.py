"""Layout of the warehouse and the conformed core (identities across systems, terms, PII)."""

import datetime as dt
import json

from tests.dbt_project.dbt_school import TERM_1, TERM_2, TERM_DAYS, raw_table_columns


def test_models_land_in_the_fixed_schemas(warehouse):
    schemas = {name for (name,) in warehouse.execute("select distinct table_schema from information_schema.tables").fetchall()}
    assert {"staging", "intermediate", "core", "data_quality", "marts", "registry", "snapshots"} <= schemas
    assert not {name for name in schemas if name.startswith("main_")}


def test_every_source_table_has_a_staging_model(dbt_build_dir):
    manifest = json.loads((dbt_build_dir / "target" / "manifest.json").read_text(encoding="utf-8"))
    staged = {
        f"{manifest['sources'][parent]['schema']}.{manifest['sources'][parent]['name']}"
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["name"].startswith("stg_")
        for parent in node["depends_on"]["nodes"]
        if parent.startswith("source.")
    }
    assert staged == set(raw_table_columns())
    assert len(staged) == 39  # 38 source tables of ingest/sources.yml and ingest's quarantine


def test_term_names_and_dates_come_from_the_data(warehouse):
    terms = warehouse.execute(
        "select term_name, term_code, first_session_date, last_session_date, start_date, end_date"
        " from core.dim_term order by 1"
    ).fetchall()
    # The sessions give the teaching days; the school year is split into terms at the first
    # session of term 2, so the winter break belongs to term 1 and the summer to term 2.
    assert terms == [
        (TERM_1, "3", *TERM_DAYS[TERM_1], dt.date(2024, 9, 1), dt.date(2025, 2, 23)),
        (TERM_2, "12", *TERM_DAYS[TERM_2], dt.date(2025, 2, 24), dt.date(2025, 8, 31)),
    ]
    assert warehouse.execute("select school_year, start_date, end_date, has_teaching_data, has_state_data"
                             " from core.dim_school_year").fetchall() == [
        ("2024-2025", dt.date(2024, 9, 1), dt.date(2025, 8, 31), True, True)]
    days, first, last = warehouse.execute("select count(*), min(date_day), max(date_day) from core.dim_date").fetchone()
    assert (days, first, last) == (365, dt.date(2024, 9, 1), dt.date(2025, 8, 31))


def test_student_identity_joins_both_systems(warehouse):
    row = warehouse.execute(
        "select student_id, department_code, counsellor_staff_id, register_status, birth_date, major_code "
        "from core.dim_student where student_number = '2024007'"
    ).fetchone()
    assert row == ("X007", "102", "C001", "enrolled", dt.date(2005, 1, 1), "460301")


def test_warnings_can_be_routed_to_counsellors(warehouse):
    """The routing of student warnings reads exactly these columns."""
    rows = warehouse.execute(
        "select student.student_number, student.counsellor_staff_id, staff.staff_id, staff.email"
        " from core.dim_student as student"
        " join core.dim_staff as staff on staff.staff_id = student.counsellor_staff_id"
        " where student.student_number = '2024001'"
    ).fetchall()
    assert rows == [("2024001", "C001", "C001", "mailbox-C001")]


def test_staff_department_crosswalk_and_full_time_teachers(warehouse):
    staff = warehouse.execute(
        "select staff_id, department_code, is_full_time_teacher from core.dim_staff order by 1"
    ).fetchall()
    assert staff == [("A001", None, False), ("C001", "202", False), ("T001", "101", True), ("T002", "101", False),
                     ("T010", "102", True), ("T011", "101", True), ("T013", "102", True), ("T014", "102", True)]
    assert warehouse.execute(
        "select hr_department_code, kind from core.dim_department where department_code = '101'"
    ).fetchone() == ("B0101", "college")


def test_no_personal_ids_beyond_raw(warehouse):
    columns = warehouse.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_schema in ('staging', 'core', 'marts', 'snapshots') and data_type = 'VARCHAR'"
    ).fetchall()
    assert not [c for c in columns if any(word in c[2].lower() for word in ("sfzh", "sjhm", "national", "phone"))]
    leaks = [
        (schema, table, column)
        for schema, table, column in columns
        if warehouse.execute(
            f'select count(*) from {schema}."{table}" where "{column}" in (\'000000200501010000\', \'10000000000\')'
        ).fetchone()[0]
    ]
    assert leaks == []


def test_register_history_decides_who_was_enrolled_and_who_withdrew(warehouse):
    """fct_student_school_year of the dropout major: the snapshot history where it exists, the
    current register (taken as 在读 before its last change) where it does not."""
    rows = dict((row[0], row[1:]) for row in warehouse.execute(
        "select student_number, status_at_start, start_status_basis, in_year_base, withdrew_in_year,"
        " is_enrolled_at_end from core.fct_student_school_year"
        " where school_year = '2024-2025' and student_number in"
        " ('2023D01', '2023D27', '2023D28', '2023D29', '2023D30', '2023D31', '2023D32')"
    ).fetchall())
    assert rows == {
        "2023D01": ("01", "history", True, False, True),
        "2023D27": ("01", "assumed_enrolled", True, True, False),  # only the current 03 is known
        "2023D28": ("03", "history", False, False, False),         # withdrew the year before
        "2023D29": ("02", "history", False, True, False),          # 休学 when the year began
        "2023D30": ("01", "history", True, True, True),            # withdrew, then readmitted
        "2023D31": (None, None, True, True, False),                # new entrant who withdrew
        "2023D32": (None, None, True, False, True),                # new entrant
    }
    versions = warehouse.execute(
        "select register_status_code, valid_from, valid_to from core.fct_student_register_history"
        " where student_number = '2023D30' order by valid_from"
    ).fetchall()
    assert versions == [
        ("01", dt.datetime(2023, 9, 2, 8), dt.datetime(2024, 11, 1, 8)),
        ("03", dt.datetime(2024, 11, 1, 8), dt.datetime(2025, 2, 1, 8)),
        ("01", dt.datetime(2025, 2, 1, 8), None),
    ]


def test_staff_attributes_are_those_valid_when_the_year_closed(warehouse):
    rows = warehouse.execute(
        "select staff_id, title_level_zh, has_senior_title, is_full_time_teacher, attributes_basis"
        " from core.fct_staff_school_year where staff_id in ('T010', 'T013', 'T014') order by 1"
    ).fetchall()
    # T014 became 副高 in October 2025, after the year closed; T013 was hired after it.
    assert rows == [("T010", "副高", True, True, "history"), ("T014", "中级", False, True, "history")]


def test_rows_deleted_in_the_source_stay_in_raw_and_out_of_the_core(warehouse):
    assert warehouse.execute("select count(*) from raw_jw.JW_CJ_XSCJB where CJ_ID = 'CJ_DELETED'"
                             " and _deleted_at is not null").fetchone() == (1,)
    assert warehouse.execute("select count(*) from core.fct_grade where grade_id = 'CJ_DELETED'").fetchone() == (0,)
    assert warehouse.execute("select count(*) from raw_xg.XG_WJCF where CF_ID = 'CF_DELETED'").fetchone() == (1,)
    assert warehouse.execute("select count(*) from core.fct_sanction where sanction_id = 'CF_DELETED'"
                             ).fetchone() == (0,)
