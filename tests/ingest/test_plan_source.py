"""The quality office's plan workbooks (source `plan`): every quirk of the contract read, every
rule of the plan refused with its workbook, sheet and row, the rest loaded; a missing folder
is no error; a rerun changes nothing and an edited workbook is read again.

The registers the own targets are checked against are the hand-made sources of conftest.py:
students X0000–X0005, staff T001 and T002, majors 460301 and 510201, teaching classes JXB1
and JXB2."""

from __future__ import annotations

import csv
import datetime as dt
import shutil

import duckdb
import pytest

import ingest
from tests.ingest.ingest_testkit import write_workbook
from zhengai.settings import REGISTRY_DIR

TASKS_HEADER = ("任务编号", "任务来源", "属性", "上级任务编号", "任务名称", "牵头部门", "协同部门", "责任人工号",
                "开始月份", "完成时限", "目标值", "计量单位", "权重")
PROGRESS_HEADER = ("任务编号", "月份", "完成比例", "实际值", "进展说明", "填报人工号", "填报日期")
TARGETS_HEADER = ("层面", "对象编号", "质控点编号", "期间", "目标值", "标准值", "预警值", "制定人工号", "制定日期")
NOTES = [("填表说明：1. 完成比例填百分数。",), ("2. 本表由质量办汇总。",)]

# 任务清单 of tasks-2025.xlsx, from row 3 (row 5 is blank); the comment says what becomes of it.
TASK_ROWS = [
    ("2025-201-01", "规划分解", "A. 重点工作", "GH-2021-03", "修订人才培养方案", "教务处 ", "人事处、 信息中心", "T001",
     2025.03, "6月", 4, "门", 2),                                                   # 3 loaded
    ("2025-201-02", "年度重点", "A", "2025-201-01", "建设在线课程", "教务处", None, None,
     None, "2025年12月", None, None, None),                                          # 4 loaded
    (None,) * 13,                                                                    # 5 blank
    ("2025-202-01", "常规工作", "B. 常规工作", None, "学风建设", "学生处", None, "T002",
     "2025-02", "2025-05", None, None, 1.5),                                         # 6 loaded
    ("2025-201-03", "新增工作", "B", None, "质量年报数据核对", "教务处（质量办）", None, None,
     None, "2025-06", None, None, None),                                             # 7 unknown_department
    ("2025-202-02", "常规工作", "B", None, "心理普查", "学生处", "人事处、后勤处", None,
     None, "2025-06", None, None, None),                                             # 8 unknown_department
    ("2025-202-03", "常规工作", "B", None, "评优", "学生处", None, None,
     "2025-05", "2025-02", None, None, None),                                        # 9 out_of_order
    ("2025-202-04", "常规工作", "B", None, "跨年任务", "学生处", None, None,
     None, "2026-03", None, None, None),                                             # 10 unknown_period
    ("2025-203-01", "常规工作", "C", None, "培训", "人事处", None, None,
     None, "2025-06", None, None, None),                                             # 11 code_not_allowed
    ("2025-203-02", "常规工作", "B", None, "招聘", "人事处", None, None,
     None, "2025-06", None, None, 0),                                                # 12 out_of_range
    ("2025-203-03", "常规工作", "B", None, "引进人才", "人事处", None, None,
     None, "2025-06", 0, "人", None),                                                # 13 out_of_range
    ("2025-203-04", "常规工作", "B", None, "职称评审", "人事处", None, None,
     None, "2025-10", None, None, None),                                             # 14 loaded
    ("2025-203-04", "常规工作", "B", None, "职称评审", "人事处", None, None,
     None, "2025-10", None, None, None),                                             # 15 duplicate_key (a copy)
    ("2025-203-05", "常规工作", "B", None, "师德考核", "人事处", None, None,
     None, "2025-10", None, None, None),                                             # 16 duplicate_key
    ("2025-203-05", "常规工作", "B", None, "年度考核", "人事处", None, None,
     None, "2025-12", None, None, None),                                             # 17 duplicate_key
    ("2025-204-01", "常规工作", "B", "2025-204-02", "招生宣传", "招生就业处", None, None,
     None, "2025-06", None, None, None),                                             # 18 out_of_order (a loop)
    ("2025-204-02", "常规工作", "B", "2025-204-01", "招生录取", "招生就业处", None, None,
     None, "2025-08", None, None, None),                                             # 19 out_of_order (a loop)
]
PROGRESS_ROWS = [
    ("2025-201-01", "2025-03", "30%", 1, "启动", "T001", "2025-04-03"),              # 3
    ("2025-201-01", 2025.04, 0.5, 2, "推进", "T001", dt.datetime(2025, 5, 6)),      # 4
    ("2025-201-01", "2025年5月", 60, None, "推进", "T001", "2025/6/2"),              # 5
    ("2025-201-01", "5月", "80%", 3, "更正", "T001", "2025年6月9日"),                 # 6 the same month, later
    ("2025-201-99", "2025-03", "10%", None, "编号写错", "T001", "2025-04-03"),        # 7 unknown_task
    ("2025-201-01", "2024-12", "10%", None, "去年", "T001", "2025-01-03"),            # 8 unknown_period
    ("2025-202-01", "2025-03", "120%", None, "超额", "T002", "2025-04-03"),           # 9 out_of_range
    ("2025-202-01", "2025-03", "六成", None, "估计", "T002", "2025-04-03"),           # 10 bad_type
    ("2025-201-03", "2025-03", 1, None, "已完成", None, "2025-04-01"),                # 11 loaded (its task is refused)
    ("2025-202-01", "4月", "0.25", None, "推进", "T002", "2025-05-01"),              # 12
    ("2025-202-01", "4月", "0.25", None, "推进", "T002", "2025-05-01"),              # 13 duplicate_key (a copy)
]
TARGET_ROWS = [
    ("学生", "X0000", "STU_GPA", "2024-2025-1", 3.5, None, None, "T001", "2024-09-20"),          # 3
    ("学生", "X0001", "STU_ATTEND_RATE", "2024-2025-1", "99%", 0.96, None, "T001", "2024-09-20"),  # 4 per cents
    ("专业", 460301, "MAJ_EMPLOY_RATE", 2025, 0.97, None, None, "T001", "2024-09-20"),          # 5 typed as numbers
    ("课程", "JXB1", "CRS_PASS_RATE", "2024-2025-2", 93, None, None, "T001", "2024-09-20"),      # 6
    ("学生", "X0002", "STU_NIGHTS_OUT", "2024.10", 0, None, None, "T001", "2024-09-20"),       # 7 month 2024-10
    ("教师", "T001", "TCH_TRAINING_HOURS", "2024-2025", None, 60, None, "T001", "2024-09-20"),  # 8 looser standard
    ("教师", "T002", "TCH_TRAINING_HOURS", "2024-2025", 80, 85, None, "T001", "2024-09-20"),    # 9 out_of_order
    ("课程", "JXB9", "CRS_PASS_RATE", "2024-2025-2", 93, None, None, "T001", "2024-09-20"),      # 10 unknown_entity
    ("学生", "X0002", "STU_FOO", "2024-2025-1", 1, None, None, "T001", "2024-09-20"),           # 11 unknown_code
    ("学生", "X0002", "MAJ_EMPLOY_RATE", "2025", 95, None, None, "T001", "2024-09-20"),         # 12 unknown_code (layer)
    ("学生", "X0003", "STU_GPA", "2023-2024-1", 3.0, None, None, "T001", "2024-09-20"),         # 13 unknown_period
    ("学生", "X0003", "STU_NIGHTS_OUT", "2025-09", 0, None, None, "T001", "2024-09-20"),        # 14 unknown_period
    ("学生", "X0004", "STU_GPA", "2024-2025-2", None, None, None, "T001", "2024-09-20"),         # 15 no_own_value
    ("学生", "X0005", "STU_ABSENT_PERIODS", "2024-2025-1", None, None, 12, "T001", "2024-09-20"),  # 16 looser warning
    ("学生", "X0005", "STU_GPA", "2024-2025-2", "3.2", None, 1.8, "T001", "2024-09-20"),       # 17
    ("学生", "X0005", "STU_NIGHTS_OUT", 2024.1, 0, None, None, "T001", "2024-09-20"),         # 18 unknown_period
    ("领导", "X0005", "STU_GPA", "2024-2025-1", 3.0, None, None, "T001", "2024-09-20"),          # 19 code_not_allowed
    ("学生", "X0000", "STU_GPA", "2024-2025-1", 3.5, None, None, "T001", "2024-09-20"),         # 20 duplicate_key
]


def sheet(title: str, header: tuple, rows: list[tuple]) -> list[tuple]:
    return [(title,), header, *rows, *NOTES]


def write_tasks(folder, year=2025, tasks=TASK_ROWS, progress=PROGRESS_ROWS):
    write_workbook(folder / f"tasks-{year}.xlsx", {
        "任务清单": sheet(f"{year}年度目标任务清单", TASKS_HEADER, tasks),
        "月度进展": sheet(f"{year}年度目标任务月度进展", PROGRESS_HEADER, progress),
    }, merge_titles=True)


def write_targets(folder, school_year="2024-2025", rows=TARGET_ROWS):
    write_workbook(folder / f"targets-{school_year}.xlsx",
                   {"个体目标": sheet(f"{school_year}学年个体目标", TARGETS_HEADER, rows)}, merge_titles=True)


@pytest.fixture
def registers(school, warehouse):
    """The warehouse with the registers of the hand-made sources loaded."""
    results = ingest.run_ingest(warehouse, school.urls, school.state, run_id="registers", sources=["jw", "hr"])
    assert all(r.status == "ok" for r in results)
    return warehouse


def load_plan(warehouse, folder, run_id, registry_dir=REGISTRY_DIR):
    results = ingest.run_ingest(warehouse, {}, None, run_id=run_id, sources=["plan"], plan_path=folder,
                                registry_dir=registry_dir)
    return {r.table_name: r for r in results}


def query(warehouse, sql, params=()):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def refused(warehouse, table, run_id):
    """(sheet row, rule) of every quarantined row of a plan table, with the workbook and sheet."""
    rows = query(warehouse, "select raw_values->>'_origin', rule from meta.quarantine where source = 'plan' "
                            "and table_name = ? and run_id = ?", [table, run_id])
    found = {}
    for origin, rule in rows:
        where, _, number = origin.rpartition(" row ")
        found[int(number)] = (where, rule)
    return found


def test_tasks_load_with_their_quirks_and_the_rest_is_refused_with_its_row(registers, tmp_path):
    folder = tmp_path / "plan"
    write_tasks(folder)

    result = load_plan(registers, folder, "r1")["tasks"]

    assert (result.status, result.rows_read, result.rows_loaded, result.rows_quarantined) == ("ok", 16, 4, 12)
    assert query(registers, "select calendar_year, task_id, task_source, attribute, parent_task_id, lead_department, "
                            "supporting_departments, responsible_staff_id, start_month, deadline_month, target_value, "
                            "measure_unit, weight from raw_plan.tasks order by task_id") == [
        # 2025.03 typed as a number and a bare 6月 are months of the workbook's year; spaces at the ends are not kept
        (2025, "2025-201-01", "规划分解", "A. 重点工作", "GH-2021-03", "教务处", "人事处、 信息中心", "T001",
         "2025-03", "2025-06", 4.0, "门", 2.0),
        (2025, "2025-201-02", "年度重点", "A", "2025-201-01", "教务处", None, None, None, "2025-12", None, None, None),
        (2025, "2025-202-01", "常规工作", "B. 常规工作", None, "学生处", None, "T002", "2025-02", "2025-05", None, None,
         1.5),
        (2025, "2025-203-04", "常规工作", "B", None, "人事处", None, None, None, "2025-10", None, None, None),
    ]
    where = "tasks-2025.xlsx!任务清单"
    assert refused(registers, "tasks", "r1") == {
        7: (where, "unknown_department"), 8: (where, "unknown_department"), 9: (where, "out_of_order"),
        10: (where, "unknown_period"), 11: (where, "code_not_allowed"), 12: (where, "out_of_range"),
        13: (where, "out_of_range"), 15: (where, "duplicate_key"), 16: (where, "duplicate_key"),
        17: (where, "duplicate_key"), 18: (where, "out_of_order"), 19: (where, "out_of_order")}
    details = dict(query(registers, "select raw_values->>'_origin', detail from meta.quarantine where run_id = 'r1'"))
    assert details[f"{where} row 7"] == "牵头部门: '教务处（质量办）' is no department of the registry"
    assert details[f"{where} row 8"] == "协同部门: '后勤处' is no department of the registry"
    assert details[f"{where} row 9"] == "完成时限 2025-02 is before 开始月份 2025-05"
    assert details[f"{where} row 10"] == "完成时限: 2026-03 is not a month of 2025"
    assert details[f"{where} row 18"] == "上级任务编号 goes round in a loop: 2025-204-01 → 2025-204-02 → 2025-204-01"


def test_progress_reads_per_cents_months_and_dates_as_written(registers, tmp_path):
    folder = tmp_path / "plan"
    write_tasks(folder)

    result = load_plan(registers, folder, "r1")["task_progress"]

    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (11, 6, 5)
    assert query(registers, "select task_id, report_month, completion, actual_value, reported_on "
                            "from raw_plan.task_progress order by task_id, reported_on") == [
        ("2025-201-01", "2025-03", 30.0, 1.0, "2025-04-03"),   # 30%
        ("2025-201-01", "2025-04", 50.0, 2.0, "2025-05-06"),   # 0.5 (a fraction), 2025.04 as a number, a date cell
        ("2025-201-01", "2025-05", 60.0, None, "2025-06-02"),  # 60, 2025年5月, 2025/6/2
        ("2025-201-01", "2025-05", 80.0, 3.0, "2025-06-09"),   # the same month again, filed later: both kept
        ("2025-201-03", "2025-03", 100.0, None, "2025-04-01"),  # 1 is 100 %; its task is refused, the report is not
        ("2025-202-01", "2025-04", 25.0, None, "2025-05-01"),  # '0.25' written as text is a fraction too
    ]
    where = "tasks-2025.xlsx!月度进展"
    assert refused(registers, "task_progress", "r1") == {
        7: (where, "unknown_task"), 8: (where, "unknown_period"), 9: (where, "out_of_range"), 10: (where, "bad_type"),
        13: (where, "duplicate_key")}


def test_own_targets_are_checked_against_the_registry_and_the_registers(registers, tmp_path):
    folder = tmp_path / "plan"
    write_targets(folder)

    result = load_plan(registers, folder, "r1")["own_targets"]

    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (18, 6, 12)
    assert query(registers, "select layer_zh, entity_id, indicator_code, period, target_value, standard_value, "
                            "warning_value from raw_plan.own_targets order by entity_id, indicator_code") == [
        ("专业", "460301", "MAJ_EMPLOY_RATE", "2025", 97.0, None, None),         # 0.97 of a % control point
        ("课程", "JXB1", "CRS_PASS_RATE", "2024-2025-2", 93.0, None, None),
        ("学生", "X0000", "STU_GPA", "2024-2025-1", 3.5, None, None),
        ("学生", "X0001", "STU_ATTEND_RATE", "2024-2025-1", 99.0, 96.0, None),   # 99%, 0.96
        ("学生", "X0002", "STU_NIGHTS_OUT", "2024-10", 0.0, None, None),         # 2024.10 written as text
        ("学生", "X0005", "STU_GPA", "2024-2025-2", 3.2, None, 1.8),             # a GPA is not a per cent
    ]
    where = "targets-2024-2025.xlsx!个体目标"
    assert refused(registers, "own_targets", "r1") == {
        8: (where, "looser_than_school"), 9: (where, "out_of_order"), 10: (where, "unknown_entity"),
        11: (where, "unknown_code"), 12: (where, "unknown_code"), 13: (where, "unknown_period"),
        14: (where, "unknown_period"), 15: (where, "no_own_value"), 16: (where, "looser_than_school"),
        18: (where, "unknown_period"), 19: (where, "code_not_allowed"), 20: (where, "duplicate_key")}
    details = dict(query(registers, "select raw_values->>'_origin', detail from meta.quarantine where run_id = 'r1'"))
    assert details[f"{where} row 8"] == ("标准值: 60 is looser than the school's 72 "
                                         "(TCH_TRAINING_HOURS: higher is better)")
    assert details[f"{where} row 9"] == ("目标值 80, 标准值 85, 预警值 36 do not run from best to worst "
                                         "(TCH_TRAINING_HOURS: higher is better)")
    assert details[f"{where} row 10"] == "对象编号: 'JXB9' is not in raw_jw.JW_JXRW_JXBXXB.JXB_ID"
    assert details[f"{where} row 12"] == ("质控点编号: MAJ_EMPLOY_RATE is a control point of layer major, "
                                          "not of 层面 学生")
    assert details[f"{where} row 16"] == ("预警值: 12 is looser than the school's 9 "
                                          "(STU_ABSENT_PERIODS: lower is better)")
    # 2024.1 is what Excel keeps of 2024.10 typed as a number: not guessed to be October
    assert details[f"{where} row 18"] == ("期间: '2024.1' is not a month of 2024-2025 "
                                          "(STU_NIGHTS_OUT is judged per month)")


def test_a_name_matches_the_registry_whatever_the_width_of_its_brackets(registers, tmp_path):
    registry = tmp_path / "registry"
    shutil.copytree(REGISTRY_DIR, registry)
    with (registry / "departments.csv").open("a", encoding="utf-8", newline="") as f:
        csv.writer(f).writerow(["209", "B0209", "继续教育学院（培训中心）", "Continuing Education", "office",
                                "jxjy@example.edu.cn", ""])
    folder = tmp_path / "plan"
    write_tasks(folder, tasks=[
        ("2025-209-01", "常规工作", "B", None, "社会培训", "继续教育学院(培训中心)\u3000", None, None,
         None, "2025-06", None, None, None),
        ("2025-209-02", "常规工作", "B", None, "社会培训", "继续教育学院", None, None,
         None, "2025-06", None, None, None),
    ], progress=[])

    result = load_plan(registers, folder, "r1", registry_dir=registry)["tasks"]

    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert query(registers, "select task_id from raw_plan.tasks") == [("2025-209-01",)]
    assert list(refused(registers, "tasks", "r1").values()) == [("tasks-2025.xlsx!任务清单", "unknown_department")]


def test_a_missing_folder_or_year_is_no_error_and_keeps_what_was_loaded(registers, tmp_path):
    folder = tmp_path / "plan"
    first = load_plan(registers, folder, "r1")  # no folder yet: the tables are created, empty
    assert {t: (r.status, r.rows_read) for t, r in first.items()} == {
        "tasks": ("ok", 0), "task_progress": ("ok", 0), "own_targets": ("ok", 0)}
    assert query(registers, "select count(*) from raw_plan.own_targets") == [(0,)]

    write_tasks(folder)  # a year's tasks, no own targets
    second = load_plan(registers, folder, "r2")
    assert [r.status for r in second.values()] == ["ok"] * 3 and second["own_targets"].rows_read == 0
    assert second["tasks"].rows_loaded == 4

    shutil.rmtree(folder)  # the share is not mounted tonight
    third = load_plan(registers, folder, "r3")
    assert [(r.status, r.rows_read) for r in third.values()] == [("ok", 0)] * 3
    assert query(registers, "select count(*) from raw_plan.tasks") == [(4,)]


def test_a_rerun_changes_nothing_and_an_edited_workbook_is_read_again(registers, tmp_path):
    folder = tmp_path / "plan"
    write_tasks(folder)
    load_plan(registers, folder, "r1")
    load_plan(registers, folder, "r2")
    assert query(registers, "select distinct _load_id from raw_plan.task_progress") == [("r1",)]

    # June's progress is filed
    write_tasks(folder, progress=[*PROGRESS_ROWS, ("2025-201-01", "6月", "100%", 4, "完成", "T001", "2025-07-02")])
    result = load_plan(registers, folder, "r3")["task_progress"]

    assert (result.rows_read, result.rows_loaded) == (12, 7)
    assert query(registers, "select _load_id, count(*) from raw_plan.task_progress group by 1 order by 1") == [
        ("r1", 6), ("r3", 1)]
    assert query(registers, "select completion from raw_plan.task_progress where report_month = '2025-06'") == [
        (100.0,)]
