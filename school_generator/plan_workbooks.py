"""The quality office's plan workbooks (目标链 and 标准链), as schools keep them in Excel:
`plan/tasks-<calendar year>.xlsx` (任务清单, 月度进展) and `plan/targets-<school year>.xlsx`
(个体目标), filled in by many hands.

Every department leads a few tasks of the year. Most finish on time (some after a red,
behind-plan stretch), one is a little late; one department ends the year 基本达标 (a task
stalled short of its December deadline), one 不达标 (stalled tasks): its achievement is
planned below the warning value, so it hears it. Nobody reports in August; one month of one
task is reported twice (the later 填报日期 wins). Cells are written the ways people write
them: 60%, 60 or 0.6; 2025-03, 2025.03, 2025年3月 or 3月; names with a trailing space; and a
few rows the data center must refuse (a lead department typed with a suffix, a report of a
mistyped task, own targets looser than the school's, out of order, or naming an unknown
code, entity or period). The manifest lists the grades and the refused rows.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from openpyxl import Workbook

from .frame import Frame, to_day
from .school import School
from .state_workbook import _save, _sheet

PLAN_DIR = "plan"
# The rng stream of the plan workbooks: the rest of the school does not move when they change.
PLAN_STREAM = 20250
NOTES = "填表说明："
# sheet -> (title, header); the layout of docs/sources.md
TASKS = ("任务清单", "{year}年度目标任务清单",
         ["任务编号", "任务来源", "属性", "上级任务编号", "任务名称", "牵头部门", "协同部门", "责任人工号",
          "开始月份", "完成时限", "目标值", "计量单位", "权重"])
PROGRESS = ("月度进展", "{year}年度目标任务月度进展",
            ["任务编号", "月份", "完成比例", "实际值", "进展说明", "填报人工号", "填报日期"])
TARGETS = ("个体目标", "{year}学年个体目标",
           ["层面", "对象编号", "质控点编号", "期间", "目标值", "标准值", "预警值", "制定人工号", "制定日期"])
UNREPORTED_MONTH = 8  # the summer: nobody files a report
# Work of an office or a college, with a countable target for some (unit, target).
OFFICE_WORK = ["修订人才培养方案", "推进课程思政示范课建设", "完善内部质量保证制度", "编制年度质量报告",
               "开展专项督导检查", "完善绩效考核办法", "推进校企合作项目", "建设数字校园应用"]
COUNTED_WORK = [("新增校企合作企业", "家", 10), ("建设在线开放课程", "门", 8), ("引进高层次人才", "人", 5),
                ("开展教师培训", "场", 12)]
COLLEGE_WORK = ["专业群建设", "实训基地建设", "技能大赛备赛", "教师教学创新团队建设", "1+X证书试点",
                "课程标准修订"]
SOURCES = ["规划分解", "年度重点", "常规工作", "新增工作"]
ATTRIBUTES = {"A": ["A. 重点工作", "A"], "B": ["B. 常规工作", "B"]}
# Template columns typed as text, and how to fill each workbook (docs/quality-office.md says more).
TEXT_COLUMNS = {"任务编号", "上级任务编号", "责任人工号", "开始月份", "完成时限", "月份", "填报人工号", "对象编号", "期间",
                "质控点编号", "制定人工号"}
TEMPLATE_ROWS = 500
TEMPLATE_GUIDE = {
    "tasks-YYYY.xlsx": [
        "文件名：tasks-<年份>.xlsx（如 tasks-2026.xlsx），每个自然年一个，放在 ZHENGAI_PLAN_PATH 目录中。",
        "表头（第2行）不要改动；第1行为标题；数据从第3行起，每行一项；表格最后可加“填表说明：…”行，其后不读取。",
        "任务清单：任务编号年内唯一（如 2026-201-03）；任务来源填 规划分解/年度重点/常规工作/新增工作；"
        "属性填 A. 重点工作 或 B. 常规工作（也可只写 A 或 B）。",
        "上级任务编号：所分解的规划条目或上级任务（目标链顶端留空）。",
        "牵头部门、协同部门：与部门登记表的部门名称一致（多个协同部门以“、”分隔）；对不上的整行不采用，见 meta.quarantine。",
        "开始月份空白为1月；完成时限必填；月份可写 2026-03、2026.03、2026年3月 或 3月（本年）。目标值可空，权重空白为1。",
        "月度进展：每项任务每月一行；完成比例可写 60%、60 或 0.6（不带%且不大于1的数视为比例）；"
        "同一月份填报两次的，以填报日期较晚者为准；实际值达到目标值即视为完成。",
    ],
    "targets-YYYY-YYYY.xlsx": [
        "文件名：targets-<学年>.xlsx（如 targets-2025-2026.xlsx），每个学年一个，放在 ZHENGAI_PLAN_PATH 目录中。",
        "层面填 专业/课程/教师/学生；对象编号为专业代码（6位）、教学班编号、工号或学号；质控点编号须属于该层面。",
        "期间为该质控点的周期：学期 2025-2026-1、月份 2025-10、学年 2025-2026、毕业年份 2026，且属于本学年。",
        "目标值可自定；标准值、预警值只能比学校的更严（越高越好的不得更低，越低越好的不得更高）；空白沿用学校的值；"
        "目标值、标准值、预警值须从好到差排列。百分比类质控点可写 95%、95 或 0.95。",
        "不合规的行不采用，学校的阈值照常适用，原因见 meta.quarantine。",
    ],
}
# own targets set by entities, per layer: (层面, control point) and how much stricter than the school
OWN_POINTS = [("学生", "STU_GPA"), ("学生", "STU_ATTEND_RATE"), ("教师", "TCH_TRAINING_HOURS"),
              ("专业", "MAJ_EMPLOY_RATE"), ("课程", "CRS_PASS_RATE")]


@dataclass(frozen=True)
class Bands:
    """The grades of 目标达成度: 达标 from the standard value of DEP_TASK_ACHIEVEMENT, 基本达标
    from its warning value (the bands of task_policy.csv), 不达标 below."""
    met_from: float
    basically_met_from: float

    def grade(self, value: float) -> str:
        return "达标" if value >= self.met_from else "基本达标" if value >= self.basically_met_from else "不达标"


@dataclass
class Task:
    task_id: str
    department: str          # department_code of the lead department
    name: str
    source: str
    attribute: str
    parent: str | None
    supporting: list[str]
    start: int               # month of the year
    deadline: int
    weight: float
    target: float | None
    unit: str | None
    # completion (%) reported for each month, and the month reaching 100 % (None: never)
    progress: dict[int, float] = field(default_factory=dict)
    lead_as_typed: str | None = None  # the name written in the workbook, when not the registry's


def write_plan_workbooks(seed: int, school: School, out_dir: Path, seeds_dir: Path) -> dict:
    """Write `<out_dir>/plan/` (replacing it) and return the manifest's `plan` part."""
    rng = np.random.default_rng([seed, PLAN_STREAM])
    folder = out_dir / PLAN_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.xlsx"):
        stale.unlink()
    points = _registry(seeds_dir)
    achievement = points["DEP_TASK_ACHIEVEMENT"]
    bands = Bands(float(achievement["standard_value"]), float(achievement["warning_value"]))
    manifest: dict = {"folder": PLAN_DIR, "task_years": {}, "refused": []}
    for school_year in school.frame.school_years:
        year = school_year + 1  # the calendar year the school year ends in
        tasks, graded = _tasks(rng, school, year, bands)
        path = folder / f"tasks-{year}.xlsx"
        refused = _write_tasks(rng, school, tasks, year, path)
        manifest["task_years"][str(year)] = graded
        manifest["refused"] += refused
        name = Frame.year_name(school_year)
        manifest["refused"] += _write_targets(rng, school, points, school_year,
                                              folder / f"targets-{name}.xlsx")
    return manifest


def write_templates(folder: Path) -> list[Path]:
    """Blank workbooks for the quality office: each sheet with its title and header rows, the
    columns holding codes, months and periods formatted as text (so Excel keeps 060101 and
    2024-10 as written), and a sheet 填表说明 that ingest does not read."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, sheets in (("tasks-YYYY.xlsx", [TASKS, PROGRESS]), ("targets-YYYY-YYYY.xlsx", [TARGETS])):
        wb = Workbook()
        wb.remove(wb.active)
        for sheet, title, header in sheets:
            _sheet(wb, sheet, title.format(year="YYYY"), header, [], [])
            for column, heading in enumerate(header, start=1):
                if heading in TEXT_COLUMNS:
                    for row in range(3, TEMPLATE_ROWS + 3):
                        wb[sheet].cell(row, column).number_format = "@"
        guide = wb.create_sheet("填表说明")
        for line in TEMPLATE_GUIDE[name]:
            guide.append([line])
        guide.column_dimensions["A"].width = 110
        path = folder / name
        _save(wb, path, date(2025, 1, 1))
        written.append(path)
    return written


# -- tasks -----------------------------------------------------------------------------------

def _tasks(rng: np.random.Generator, school: School, year: int, bands: Bands) -> tuple[list[Task], dict]:
    """Every department's tasks of the year, and the December 目标达成度 each was given."""
    departments = [d for d in school.departments]
    offices = [d for d in departments if d.kind == "office"]
    colleges = [d for d in departments if d.kind == "college"]
    failing = offices[int(rng.integers(len(offices)))]
    basic = colleges[int(rng.integers(len(colleges)))]
    slow = next(d for d in departments[::-1] if d not in (failing, basic))
    tasks: list[Task] = []
    counter: dict[str, int] = {}

    def task_id(code: str) -> str:
        counter[code] = counter.get(code, 0) + 1
        return f"{year}-{code}-{counter[code]:02d}"

    office_ids: list[str] = []
    for d in offices + colleges:
        profile = ("failing" if d is failing else "basic" if d is basic else "slow" if d is slow
                   else "on_time")
        mine = _department_tasks(rng, d, profile, task_id, office_ids, year, bands)
        for t in mine:
            others = [o.code for o in departments if o is not d]
            t.supporting = [str(c) for c in rng.choice(others, size=int(rng.integers(0, 3)), replace=False)]
        if d.kind == "office":
            office_ids += [t.task_id for t in mine]
        tasks += mine
    graded = {d.code: _december(tasks, d.code, bands) for d in departments}
    graded["school"] = _december(tasks, None, bands)
    for code, grade in ((basic.code, "基本达标"), (failing.code, "不达标")):
        if graded[code]["grade"] != grade:
            raise ValueError(f"{year}: department {code} planned {grade}, got {graded[code]}")
    # a task the office typed under the HR name with a suffix: refused, never guessed
    academic = next(d for d in offices if d.code == min(o.code for o in offices))
    stray = _task(rng, task_id(academic.code), academic.code, "推进质量年报数据核对", year, "on_time")
    stray.lead_as_typed = f"{academic.name}（质量办）"
    tasks.append(stray)
    return tasks, {"december": graded, "basic": basic.code, "failing": failing.code, "slow": slow.code,
                   "unmatched_task": stray.task_id}


def _department_tasks(rng, department, profile: str, task_id, office_ids: list[str], year: int,
                      bands: Bands) -> list[Task]:
    n = int(rng.integers(2, 5))
    kinds = ["on_time"] * n
    if profile == "slow":
        kinds[0] = "late"
    elif profile == "basic":
        kinds[-1] = "stalled_december"
    elif profile == "failing":
        kinds = ["stalled", "stalled", *kinds[2:]] if n > 2 else ["stalled", "stalled", "on_time"]
    if profile == "on_time" and rng.random() < 0.5:
        kinds[0] = "behind_then_caught_up"
    tasks = []
    for kind in kinds:
        task = _task(rng, task_id(department.code), department.code, _work(rng, department), year, kind,
                     parent=(str(rng.choice(office_ids)) if office_ids and department.kind == "college"
                             and rng.random() < 0.5 else None))
        tasks.append(task)
    if profile == "basic":  # well inside the 基本达标 band
        _aim(tasks, float(rng.uniform(bands.basically_met_from + 2, bands.met_from - 2)), share=0.3)
    if profile == "failing":  # clearly below it
        _aim(tasks, float(rng.uniform(bands.basically_met_from - 25, bands.basically_met_from - 8)), share=0.6)
    return tasks


def _work(rng, department) -> str:
    if department.kind == "college":
        return f"{department.name}{COLLEGE_WORK[int(rng.integers(len(COLLEGE_WORK)))]}"
    return OFFICE_WORK[int(rng.integers(len(OFFICE_WORK)))]


def _task(rng, task_id: str, code: str, name: str, year: int, kind: str, parent: str | None = None) -> Task:
    counted = rng.random() < 0.3 and not kind.startswith("stalled")  # a count reached is never stuck
    work, unit, target = COUNTED_WORK[int(rng.integers(len(COUNTED_WORK)))] if counted else (name, None, None)
    start = int(rng.integers(1, 6))
    if kind == "late":
        deadline = int(rng.integers(start + 2, 10))
    elif kind == "stalled_december":
        deadline = 12
    else:
        deadline = int(rng.integers(start + 2, 13))
    if deadline == UNREPORTED_MONTH:  # no deadline falls in the summer holiday
        deadline += 1
    source = SOURCES[int(rng.integers(len(SOURCES)))]
    attribute = "A" if source in ("规划分解", "年度重点") else "B"
    if parent is None and source == "规划分解":
        parent = f"GH-{year - 4}-{int(rng.integers(1, 20)):02d}"  # an item of the five-year plan
    task = Task(task_id, code, work if counted else name, source, attribute, parent, [], start, deadline,
                float(rng.choice([1, 1, 2, 2, 3])), float(target) if target else None, unit)
    task.progress = _trajectory(rng, task, kind)
    return task


def _trajectory(rng, task: Task, kind: str) -> dict[int, float]:
    """Completion reported per month, from the start month on."""
    months = range(task.start, 13)
    span = task.deadline - task.start + 1
    progress = {}
    for m in months:
        elapsed = min(m - task.start + 1, span)
        planned = 100 * elapsed / span
        if kind == "on_time":
            value = planned
        elif kind == "behind_then_caught_up":  # red while behind, done by the deadline
            value = planned if m >= task.deadline else max(0.0, planned - 35)
        elif kind == "late":  # a month past the deadline at 90 %, done the month after
            value = min(planned, 90.0) if m <= task.deadline + 1 else 100.0
        else:  # stalled: stops short of the end (the level is set by _aim)
            value = min(planned, 50.0)
        progress[m] = round(value)
    return progress


def _aim(tasks: list[Task], december: float, share: float) -> None:
    """Weigh the stalled tasks at least `share` of the department's tasks and set the level
    they stop at, so that the department ends the year near `december`."""
    stalled = [t for t in tasks if max(t.progress.values()) < 100]
    done = sum(t.weight for t in tasks if t not in stalled)
    while sum(t.weight for t in stalled) < share * (done + sum(t.weight for t in stalled)):
        for t in stalled:
            t.weight += 1
    stalled_weight = sum(t.weight for t in stalled)
    level = int(round((december * (done + stalled_weight) - 100 * done) / stalled_weight))
    for t in stalled:
        span = t.deadline - t.start + 1
        t.progress = {m: round(min(100 * min(m - t.start + 1, span) / span, level)) for m in t.progress}


def _december(tasks: list[Task], code: str | None, bands: Bands) -> dict:
    """目标达成度 in December, as the rules of docs/indicators.md give it from what is written."""
    mine = [t for t in tasks if code is None or t.department == code]
    total = sum(t.weight for t in mine)
    value = sum(t.weight * _achievement(t, 12) for t in mine) / total
    return {"value": round(value, 6), "grade": bands.grade(value), "tasks": len(mine)}


def _reported(task: Task) -> dict[int, float]:
    """The months a report is filed for: never in August; once the task is done or stuck,
    only now and then."""
    final = max(task.progress.values())
    return {m: c for m, c in task.progress.items()
            if m != UNREPORTED_MONTH and not (m > task.deadline + 2 and c == final and m % 3)}


def _achievement(task: Task, month: int) -> float:
    reported = {m: c for m, c in _reported(task).items() if m <= month}
    completion = reported[max(reported)] if reported else 0.0
    if task.target is not None:
        return min(_actual(task, completion) / task.target, 1) * 100
    return min(completion, 100)


def _actual(task: Task, completion: float) -> float:
    """The count reached, in step with the completion (rounded down: 10 家 × 55 % is 5 家)."""
    return float(int(task.target * completion / 100))


def _write_tasks(rng, school: School, tasks: list[Task], year: int, path: Path) -> list[dict]:
    names = {d.code: d.name for d in school.departments}
    staff = _staff_of(school)
    list_rows, refused = [], []
    for i, t in enumerate(tasks):
        lead = t.lead_as_typed or names[t.department] + (" " if i % 5 == 1 else "")
        supporting = "、".join(names[c] for c in t.supporting) or None
        list_rows.append([t.task_id, t.source, ATTRIBUTES[t.attribute][i % 2], t.parent, t.name, lead, supporting,
                          _someone(rng, staff, t.department), None if t.start == 1 and i % 3 == 0
                          else _month_cell(year, t.start, i), _month_cell(year, t.deadline, i + 1),
                          t.target, t.unit, None if t.weight == 1 and i % 2 else t.weight])
        if t.lead_as_typed:
            refused.append({"workbook": path.name, "sheet": TASKS[0], "row": len(list_rows) + 2,
                            "rule": "unknown_department", "task_id": t.task_id})
    progress_rows = []
    twice = tasks[0]  # reported twice for one month: a first figure, then the corrected one
    for i, t in enumerate(tasks):
        for m, completion in sorted(_reported(t).items()):
            filed = date(year, m, 28) + timedelta(days=int(rng.integers(0, 8)))
            actual = _actual(t, completion) if t.target is not None else None
            if t is twice and m == max(_reported(t)):
                progress_rows.append(_report(t, year, m, max(completion - 20, 0), actual, staff, filed, i, rng))
                filed += timedelta(days=2)
            progress_rows.append(_report(t, year, m, completion, actual, staff, filed, i + m, rng))
    typo = tasks[1]
    progress_rows.append([typo.task_id.replace("-0", "-"), f"{year}-03", "30%", None, "误填编号", None,
                          date(year, 4, 2)])
    refused.append({"workbook": path.name, "sheet": PROGRESS[0], "row": len(progress_rows) + 2,
                    "rule": "unknown_task", "task_id": typo.task_id.replace("-0", "-")})
    wb = Workbook()
    wb.remove(wb.active)
    notes = [f"{NOTES}1. 完成比例填百分数；2. 每月5日前填报上月进展。"]
    _sheet(wb, TASKS[0], TASKS[1].format(year=year), TASKS[2], list_rows, notes)
    _sheet(wb, PROGRESS[0], PROGRESS[1].format(year=year), PROGRESS[2], progress_rows, notes)
    _save(wb, path, date(year + 1, 1, 10))
    return refused


def _report(t: Task, year: int, month: int, completion: float, actual: float | None, staff, filed: date,
            i: int, rng) -> list:
    return [t.task_id, _month_cell(year, month, i), _percent_cell(completion, i), actual,
            "按计划推进" if completion < 100 else "已完成", _someone(rng, staff, t.department), filed]


def _month_cell(year: int, month: int, i: int):
    """2025-03, 2025.03 (a number), 2025年3月 or 3月, as different hands write it."""
    return [f"{year}-{month:02d}", float(f"{year}.{month:02d}"), f"{year}年{month}月", f"{month}月"][i % 4]


def _percent_cell(value: float, i: int):
    """60%, 60 or 0.6 (100 % written 1 is a fraction too)."""
    return [f"{value:g}%", value, value / 100][i % 3]


def _staff_of(school: School) -> dict[str, list[str]]:
    by_college: dict[str, list[str]] = {}
    for r in school.staff.rows:
        if r["ZT"] == "在职" and r["RYLB"] != "校外兼职":
            by_college.setdefault(r["college"], []).append(r["GH"])
    return by_college


def _someone(rng, staff: dict[str, list[str]], code: str) -> str | None:
    people = staff.get(code)
    return str(people[int(rng.integers(len(people)))]) if people else None


# -- own targets -----------------------------------------------------------------------------

def _registry(seeds_dir: Path) -> dict[str, dict]:
    with open(seeds_dir / "quality_control_points.csv", encoding="utf-8") as f:
        return {r["code"]: r for r in csv.DictReader(f)}


def _write_targets(rng, school: School, points: dict[str, dict], y: int, path: Path) -> list[dict]:
    """A sample of students, teachers, majors and teaching classes with own targets, most
    stricter than the school's, and the rows the data center must refuse."""
    name = Frame.year_name(y)
    terms = [t for t in school.teaching if t.term.xnm == y]
    s = school.students
    in_school = np.flatnonzero((s.cohort >= y - 2) & (s.cohort <= y) & (s.entry_day <= to_day(date(y, 9, 30)))
                               & (s.last_day >= to_day(date(y + 1, 6, 30))))
    students = [str(s.xh[i]) for i in rng.choice(in_school, size=min(30, len(in_school)), replace=False)]
    teachers = [r["GH"] for r in school.staff.rows if r["RYLB"] == "专任教师" and r["ZT"] == "在职"]
    teachers = [str(g) for g in rng.choice(teachers, size=min(8, len(teachers)), replace=False)]
    majors = [m.code for m in school.majors if m.enrolling][:3]
    classes = [str(j) for j in rng.choice(terms[-1].jxb_id, size=min(6, len(terms[-1].jxb_id)), replace=False)]
    setter = _staff_of(school)
    quality_office = next(iter(setter.get("206", [None])))
    set_on = date(y, 9, 20)
    rows: list[list] = []

    def own(layer: str, entity: str, code: str, period: str, target=None, standard=None, warning=None):
        rows.append([layer, entity, code, period, target, standard, warning, quality_office, set_on])

    for i, xh in enumerate(students):
        term = f"{name}-{1 + i % 2}"
        gpa = points["STU_GPA"]
        own("学生", xh, "STU_GPA", term, round(float(rng.uniform(2.5, 3.6)), 1),
            None if i % 3 else float(gpa["standard_value"]) + 0.2)
        if i % 2 == 0:
            attend = [f"{98 + i % 2}%", 0.98, 99][i % 3]  # % control point: 98%, 0.98, 99
            own("学生", xh, "STU_ATTEND_RATE", term, attend)
    for i, gh in enumerate(teachers):
        hours = points["TCH_TRAINING_HOURS"]
        own("教师", gh, "TCH_TRAINING_HOURS", name, float(rng.integers(80, 110)),
            float(hours["standard_value"]) + (8 if i % 2 else 0) if i % 3 == 0 else None,
            float(hours["warning_value"]) + 14 if i == 1 else None)
    for code in majors:
        own("专业", code, "MAJ_EMPLOY_RATE", str(y + 1), "97%")
    for jxb in classes:
        own("课程", jxb, "CRS_PASS_RATE", f"{name}-2", float(rng.integers(92, 99)))
    accepted = len(rows)
    gpa, hours = points["STU_GPA"], points["TCH_TRAINING_HOURS"]
    refusals = [
        ("looser_than_school", ["学生", students[0], "STU_GPA", f"{name}-2", 3.0,
                                float(gpa["standard_value"]) - 0.5, None]),
        ("out_of_order", ["教师", teachers[0], "TCH_TRAINING_HOURS", name, 70.0,
                          float(hours["standard_value"]) + 10, None]),
        ("unknown_code", ["学生", students[1], "STU_LIBRARY_VISITS", f"{name}-1", 20.0, None, None]),
        ("unknown_code", ["学生", students[1], "MAJ_EMPLOY_RATE", str(y + 1), 95.0, None, None]),
        ("unknown_entity", ["学生", "2099" + students[2][4:], "STU_GPA", f"{name}-1", 3.0, None, None]),
        ("unknown_period", ["学生", students[2], "STU_GPA", f"{y - 1}-{y}-2", 3.0, None, None]),
    ]
    for _, values in refusals:
        rows.append([*values, quality_office, set_on])
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, TARGETS[0], TARGETS[1].format(year=name), TARGETS[2], rows,
           [f"{NOTES}1. 标准值、预警值只能比学校的更严；2. 空白表示沿用学校的值。"])
    _save(wb, path, set_on)
    return [{"workbook": path.name, "sheet": TARGETS[0], "row": accepted + 3 + k, "rule": rule}
            for k, (rule, _) in enumerate(refusals)]
