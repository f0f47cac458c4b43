"""The README's questions analysts ask: each runs on the snapshot and finds what was planted."""

from __future__ import annotations

import re
from collections import Counter

import duckdb
import pytest

from tests.serving.serving_testkit import for_month, plain, readme_questions

QUESTIONS = readme_questions()


def planted_entities(planted: dict, code: str) -> list[dict]:
    """Entities planted for `code`, as a finding or as the `also` of one."""
    entities = []
    for finding in planted["findings"]:
        if finding["indicator_code"] == code:
            entities += finding["entities"]
        for also in finding.get("also", []):
            if also["indicator_code"] == code:
                entities += also["entities"]
    assert entities, f"the generator planted nothing for {code}"
    return entities


def run(con, sql: str) -> list[dict]:
    result = con.execute(sql)
    names = [d[0] for d in result.description]
    return [{name: plain(value) for name, value in zip(names, row)} for row in result.fetchall()]



@pytest.fixture(scope="module")
def answers(synced_school) -> dict[int, list[dict]]:
    month = planted_entities(synced_school.planted, "CRS_ATTEND_RATE")[0]["period"]
    answers = {}
    with duckdb.connect(str(synced_school.settings.snapshot), read_only=True) as con:
        for number, _, sql in QUESTIONS:
            # question 2: the month the low attendance was planted in
            answers[number] = run(con, for_month(sql, month))
    return answers


@pytest.fixture(scope="module")
def status_rows(synced_school) -> list[dict]:
    with duckdb.connect(str(synced_school.settings.snapshot), read_only=True) as con:
        return run(con, "select * from marts.mart_quality__status")


def test_the_readme_has_twelve_numbered_questions_in_chinese_and_english():
    assert [number for number, _, _ in QUESTIONS] == list(range(1, 13))
    for _, heading, sql in QUESTIONS:
        assert re.search(r"[\u4e00-\u9fff]", heading), heading
        assert re.search(r"\bselect\b", sql, re.IGNORECASE)


def test_every_question_runs_and_answers(answers):
    assert set(answers) == set(range(1, 13))
    for number, rows in answers.items():
        assert rows, f"question {number} found nothing in the generated school"


def test_q1_majors_below_the_employment_standard(answers, synced_school, status_rows):
    (planted,) = planted_entities(synced_school.planted, "MAJ_EMPLOY_RATE")
    rows = {r["major_code"]: r for r in answers[1]}
    assert rows[planted["entity_id"]]["graduation_year"] == planted["period"]
    assert rows[planted["entity_id"]]["employment_rate"] == pytest.approx(planted["employment_rate"], abs=0.1)
    # exactly the majors the status mart judges below standard in the latest graduation year
    employment = [r for r in status_rows if r["indicator_code"] == "MAJ_EMPLOY_RATE"]
    latest = max(r["period"] for r in employment)
    expected = {r["entity_id"] for r in employment
                if r["period"] == latest and r["status"] in ("未达标", "预警")}
    assert set(rows) == expected
    previous = {r["entity_id"]: r for r in employment if r["period"] == str(int(latest) - 1)}
    for code, row in rows.items():
        was_below = previous[code]["status"] in ("未达标", "预警")
        assert row["below_standard_two_years_running"] == was_below, code


def test_q2_teaching_classes_whose_attendance_fell(answers, synced_school):
    (planted,) = planted_entities(synced_school.planted, "CRS_ATTEND_RATE")
    rows = {r["teaching_class_id"]: r for r in answers[2]}
    row = rows[planted["entity_id"]]
    assert row["attendance_rate"] == pytest.approx(planted["attendance_rate"], abs=0.1)
    assert row["course_name"] and row["teacher_name"]
    for r in answers[2]:
        assert r["month"] == planted["period"]
        assert r["attendance_rate"] < r["standard_value"] or r["change"] <= -5


def test_q3_students_past_the_absence_line_with_their_counsellor(answers, synced_school):
    planted = {(e["period"], e["entity_id"]) for e in planted_entities(synced_school.planted, "STU_ABSENT_PERIODS")}
    found = {(r["term"], r["student_number"]) for r in answers[3]}
    assert planted <= found
    assert all(r["counsellor"] for r in answers[3])
    assert all(r["absent_periods"] > r["warning_value"] for r in answers[3])


def test_q4_students_who_stopped_coming(answers, synced_school):
    stopped = [e for e in planted_entities(synced_school.planted, "STU_ABSENT_PERIODS") if e.get("stopped_coming")]
    assert stopped
    found = {(r["term_name"], r["student_number"]): r for r in answers[4]}
    for entity in stopped:
        assert found[(entity["period"], entity["entity_id"])]["days_without_attending"] >= 14


def test_q5_students_in_warning_on_several_indicators(answers, synced_school):
    expected = set()
    for finding in synced_school.planted["findings"]:
        for also in finding.get("also", []):
            if finding["entity_type"] == also["entity_type"] == "student":
                main = {(e["period"], e["entity_id"]) for e in finding["entities"]}
                expected |= main & {(e["period"], e["entity_id"]) for e in also["entities"]}
    assert expected
    found = {(r["term"], r["student_number"]) for r in answers[5]}
    assert expected <= found
    assert all(r["indicators_in_warning"] >= 2 for r in answers[5])


def test_q6_teaching_classes_below_the_pass_standard(answers, synced_school):
    (planted,) = planted_entities(synced_school.planted, "CRS_PASS_RATE")
    rows = {(r["term"], r["teaching_class_id"]): r for r in answers[6]}
    row = rows[(planted["period"], planted["entity_id"])]
    assert row["status"] == "预警" and row["students"] == planted["students"]
    assert row["pass_rate"] == pytest.approx(planted["pass_rate"], abs=0.1)
    assert row["teacher_name"] and row["course_name"]


def test_q7_teachers_rated_below_the_standard(answers, synced_school):
    (planted,) = planted_entities(synced_school.planted, "TCH_EVAL_SCORE")
    rows = {r["staff_id"]: r for r in answers[7]}
    row = rows[planted["entity_id"]]
    assert row["eval_score"] == pytest.approx(planted["average_rating"], abs=0.1)
    assert row["ratings"] == planted["ratings"]
    assert row["eval_score"] < row["college_average"]


def test_q8_college_beyond_the_student_teacher_standard(answers, synced_school):
    (planted,) = planted_entities(synced_school.planted, "COL_STUDENT_TEACHER_RATIO")
    first = answers[8][0]  # ordered by the ratio, highest first
    assert first["department_code"] == planted["entity_id"] and first["college"] == planted["entity_name"]
    assert first["student_teacher_ratio"] == pytest.approx(planted["ratio"], abs=0.1)
    assert first["ratio_status"] == "预警"


def test_q9_state_platform_teachers_missing_from_hr(answers, synced_school):
    (planted,) = [d for d in synced_school.planted["data_quality"] if d["check"] == "state_a6_1_teacher_missing_from_hr"]
    rows = {(r["staff_id"], r["finding"]): r for r in answers[9]}
    row = rows[(planted["entity_id"], "state_teacher_missing_from_hr")]
    assert row["state_name"] == planted["entity_name"] and row["hr_name"] is None


def test_q10_control_point_overview(answers, status_rows, synced_school):
    import csv

    from zhengai.settings import REGISTRY_DIR

    with (REGISTRY_DIR / "quality_control_points.csv").open(encoding="utf-8") as f:
        codes = {row["code"] for row in csv.DictReader(f)}
    rows = {r["indicator_code"]: r for r in answers[10]}
    assert set(rows) == codes  # every control point, with data or not
    latest = {}
    for r in status_rows:
        latest[r["indicator_code"]] = max(latest.get(r["indicator_code"], ""), r["period"])
    counts = Counter((r["indicator_code"], r["status"]) for r in status_rows if r["period"] == latest[r["indicator_code"]])
    columns = {"达成目标": "meets_target", "达标": "meets_standard", "未达标": "below_standard",
               "预警": "in_warning", "数据不足": "not_enough_data"}
    for code, row in rows.items():
        assert row["entities"] == sum(row[c] for c in columns.values())
        for status, column in columns.items():
            assert row[column] == counts[(code, status)], (code, status)
    assert rows["CRS_PASS_RATE"]["owner_department"]


def test_q11_departments_with_red_tasks_this_month(answers, synced_school):
    with duckdb.connect(str(synced_school.settings.snapshot), read_only=True) as con:
        board = run(con, "select * from marts.mart_task__board where month = (select max(month) "
                         "from marts.mart_task__board)")
    red = Counter(r["lead_department_code"] for r in board if r["status"] == "预警")
    assert {r["department_code"]: r["red_tasks"] for r in answers[11]} == dict(red)
    # the department planted 基本达标 has a task stalled short of its December deadline: red in December
    year = max(synced_school.planted["plan"]["task_years"])
    basic = synced_school.planted["plan"]["task_years"][year]["basic"]
    row = next(r for r in answers[11] if r["department_code"] == basic)
    assert row["month"] == f"{year}-12" and "计划 100%" in row["tasks"]


def test_q12_achievement_month_by_month_with_the_grade(answers, synced_school, status_rows):
    year = max(synced_school.planted["plan"]["task_years"])
    graded = synced_school.planted["plan"]["task_years"][year]
    rows = {r["entity_id"]: r for r in answers[12]}
    for code, grade in ((graded["failing"], "不达标"), (graded["basic"], "基本达标")):
        assert rows[code]["latest_grade"] == grade
        assert rows[code]["12月"] == rows[code]["latest_value"] == round(graded["december"][code]["value"], 1)
    assert answers[12][0]["entity_id"] == graded["failing"]  # the lowest first
    # every month of every department, as the status mart has it
    achievement = {(r["entity_id"], r["period"]): round(r["value"], 1) for r in status_rows
                   if r["indicator_code"] in ("DEP_TASK_ACHIEVEMENT", "SCH_TASK_ACHIEVEMENT")
                   and r["period"].startswith(year)}
    shown = {(entity, f"{year}-{int(column[:-1]):02d}"): value for entity, row in rows.items()
             for column, value in row.items() if re.fullmatch(r"\d+月", column) and value is not None}
    assert shown == achievement
