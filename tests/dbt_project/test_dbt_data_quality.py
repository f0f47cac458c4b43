"""The data-quality findings for the engineers (data_quality.dq_*) on the hand-made school's planted
problems (dbt_school.add_data_quality_cases and the student cases)."""

import datetime as dt

from tests.dbt_project.dbt_school import raw_table_columns


def rows(warehouse, sql):
    return sorted(warehouse.execute(sql).fetchall(), key=repr)


def test_every_excluded_record_is_listed_with_its_reason(warehouse):
    assert rows(warehouse, "select source_table, entity_key, reason from data_quality.dq_excluded_records") == sorted([
        ("raw_hr.RS_PXJL", None, "missing_staff_id"),
        ("raw_hr.RS_PXJL", "T011", "missing_date"),
        ("raw_jw.JW_CJ_XSCJB", "X999", "student_not_in_register"),
        ("raw_jw.JW_KQ_SKJLB", "JXB_C1", "missing_date"),
        ("raw_jw.JW_PJ_XSPFB", "JXB_GONE", "teaching_class_not_found"),
        ("raw_xg.XG_BYQX", "2099001", "student_not_in_register"),
        ("raw_xg.XG_CQJL", "2024999", "student_not_in_register"),
        ("raw_xg.XG_GZDC", "2099001", "student_not_in_register"),
        ("raw_xg.XG_WJCF", "2024998", "student_not_in_register"),
        ("raw_xg.XG_XSXX", "2024999", "student_not_in_register"),
    ], key=repr)


def test_no_record_disappears_between_staging_and_core(warehouse):
    """Each keyed source table: distinct keys = rows in its core model + rows excluded."""
    pairs = {
        "raw_jw.JW_CJ_XSCJB": ("stg_jw__grades", "grade_id", "fct_grade"),
        "raw_jw.JW_PJ_XSPFB": ("stg_jw__teaching_evaluations", "evaluation_id", "fct_teaching_evaluation"),
        "raw_jw.JW_DD_TKJLB": ("stg_jw__supervisor_visits", "visit_id", "fct_supervisor_visit"),
        "raw_jw.JW_KQ_SKJLB": ("stg_jw__class_sessions", "session_id", "fct_class_session"),
        "raw_jw.JW_XK_XSXKB": ("stg_jw__course_enrolments", "enrolment_id", "fct_course_enrolment"),
        "raw_hr.RS_PXJL": ("stg_hr__trainings", "training_id", "fct_training"),
        "raw_hr.RS_QYSJ": ("stg_hr__enterprise_practice", "practice_id", "fct_enterprise_practice"),
        "raw_hr.RS_JCJL": ("stg_hr__honours_sanctions", "record_id", "fct_staff_honour_sanction"),
        "raw_xg.XG_BYQX": ("stg_xg__graduate_destinations", "destination_id", "fct_graduate_destination"),
        "raw_xg.XG_GZDC": ("stg_xg__graduate_surveys", "survey_answer_id", "fct_graduate_survey"),
        "raw_xg.XG_WJCF": ("stg_xg__sanctions", "sanction_id", "fct_sanction"),
    }
    for table, (staging, key, fact) in pairs.items():
        staged, kept, excluded = warehouse.execute(
            f"select (select count(distinct {key}) from staging.{staging}),"
            f" (select count(*) from core.{fact}),"
            f" (select count(*) from data_quality.dq_excluded_records where source_table = '{table}')"
        ).fetchone()
        assert staged == kept + excluded, table


def test_orphan_keys_per_fact(warehouse):
    assert rows(warehouse, "select fact_model, key_column, key_value, records from data_quality.dq_orphan_keys") == sorted([
        ("dim_staff", "BMDM", "B9999", 1),
        ("dim_student", "FDYGH", "C404", 1),
        ("dim_student", "XH", "2024999", 1),
        ("fct_attendance", "XH_ID", "X999", 1),
        ("fct_dorm_check", "XH", "2024999", 1),
        ("fct_grade", "KCH_ID", "K404", 1),
        ("fct_grade", "XH_ID", "X999", 1),
        ("fct_graduate_destination", "XH", "2099001", 1),
        ("fct_graduate_survey", "XH", "2099001", 1),
        ("fct_sanction", "XH", "2024998", 1),
        ("fct_teaching_evaluation", "JXB_ID", "JXB_GONE", 1),
    ], key=repr)


def test_duplicates_removed_by_ingest_and_by_the_data_center(warehouse):
    found = rows(warehouse, "select source_table, detected_by, duplicate_rows from data_quality.dq_duplicates_removed")
    # ingest's quarantine (KQ_ID 90001) and the two KQ_IDs that reached raw twice
    assert found == sorted([("raw_jw.JW_KQ_XSKQB", "ingest", 1), ("raw_jw.JW_KQ_XSKQB", "data_center", 1),
                            ("raw_jw.JW_KQ_XSKQB", "data_center", 1)], key=repr)


def test_codes_outside_the_contract(warehouse):
    assert rows(warehouse, "select source_table, column_name, code_value, detected_by, records"
                           " from data_quality.dq_codes_outside_contract") == sorted([
        ("raw_hr.RS_JZGJBXX", "BMDM", "B9999", "data_center", 1),
        ("raw_jw.JW_CJ_XSCJB", "CJ", "A+", "data_center", 1),
        ("raw_jw.JW_KQ_XSKQB", "KQZT", "9", "ingest", 1),
    ], key=repr)


def test_state_platform_against_hr_teacher_by_teacher_and_by_count(warehouse):
    assert rows(warehouse, "select staff_id, state_name, hr_name, finding from data_quality.dq_state_teachers_vs_hr") == sorted([
        ("T002", "staff-T002", "staff-T002", "state_teacher_not_full_time_in_hr"),
        ("T010", "another-name", "teacher-T010", "name_differs"),
        ("T011", None, "staff-T011", "hr_teacher_missing_from_state"),
        ("T099", "unknown", None, "state_teacher_missing_from_hr"),
    ], key=repr)
    assert rows(warehouse, "select department_code, state_teachers, hr_teachers, difference"
                           " from data_quality.dq_state_teacher_counts") == [("101", 2, 2, 0), ("102", 3, 2, 1), ("ALL", 5, 4, 1)]


def test_state_platform_against_the_register_per_major_and_cohort(warehouse):
    assert rows(warehouse, "select major_code, cohort_year, state_students, register_students, finding"
                           " from data_quality.dq_state_students_vs_register") == [
        ("510201", 2023, 11, 10, "count_differs"),
        ("530302", 2024, 0, 1, "missing_from_state"),
        ("999999", 2024, 5, 0, "major_missing_from_register"),
    ]


def test_summary_counts_every_check(warehouse):
    summary = dict(warehouse.execute("select model_name, findings from data_quality.dq_findings_summary").fetchall())
    assert summary == {
        "dq_excluded_records": 10, "dq_orphan_check_ins": 2, "dq_orphan_keys": 11, "dq_duplicates_removed": 3,
        "dq_codes_outside_contract": 3, "dq_state_teachers_vs_hr": 4, "dq_state_teacher_counts": 1,
        "dq_state_students_vs_register": 3, "dq_plan_refusals": 1, "dq_unjudged_records": 0,
    }


def test_unjudged_records_name_the_source_table_key_and_column(warehouse):
    """The session dated 2099-13-45 and its check-in are left out and listed, with the vendor's
    names of the key and of the column at fault; nothing reaches the judged status without a period."""
    found = rows(warehouse, "select source_table, key_column, record_key, column_name, reason, left_out_of"
                            " from data_quality.dq_unjudged_records where record_key in ('90101', '90102', 'P5')")
    assert found == sorted([
        ("raw_jw.JW_KQ_SKJLB", "SKJL_ID", "90101", "SKRQ", "missing_date", "core"),
        ("raw_jw.JW_KQ_XSKQB", "KQ_ID", "90102", "SKJL_ID", "session_without_date", "core"),
        ("raw_hr.RS_PXJL", "PX_ID", "P5", "KSRQ|JSRQ", "missing_date", "core"),
    ], key=repr)
    every_record = warehouse.execute(
        "select (select count(*) from data_quality.dq_excluded_records) + (select count(*) from data_quality.dq_orphan_check_ins),"
        " (select count(*) from data_quality.dq_unjudged_records where left_out_of = 'core')").fetchone()
    assert every_record[0] == every_record[1]
    assert warehouse.execute("select count(*) from marts.mart_quality__status where period is null").fetchone() == (0,)
    assert warehouse.execute("select count(*) from core.fct_class_session where session_id = 90101").fetchone() == (0,)


def test_refused_plan_rows_say_where_they_are_in_the_workbook(warehouse):
    assert rows(warehouse, "select table_name, workbook, sheet, sheet_row, rule, first_refused_at, last_refused_at"
                           " from data_quality.dq_plan_refusals") == [
        ("tasks", "tasks-2025.xlsx", "任务清单", 7, "unknown_department", dt.datetime(2025, 8, 30, 23, 0),
         dt.datetime(2025, 8, 31, 23, 0))]


def test_quarantine_is_read_without_the_raw_values(warehouse):
    """meta.quarantine keeps the rows as read (national ids included); staging leaves them there."""
    assert "meta.quarantine" in raw_table_columns()
    columns = {name for (name,) in warehouse.execute(
        "select column_name from information_schema.columns where table_name = 'stg_meta__quarantine'").fetchall()}
    assert "raw_values" not in columns and {"source_table", "rule", "column_name"} <= columns
