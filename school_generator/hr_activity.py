"""人事 activity per school year: training, practice in enterprises, research projects,
outputs, honours. A few teachers fall short on training or practice (as in real schools);
nobody has an ethics sanction in the covered years."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from . import identity
from .school import School

TRAINING = {  # kind -> (weight, names)
    "校本": (0.45, ("课程思政专题培训", "信息化教学能力提升培训", "新教师岗前培训", "职业教育教学改革专题讲座",
                   "教学能力比赛辅导培训", "课程标准与教案设计培训")),
    "省培": (0.25, ("省级职业院校教师素质提高计划", "省级专业带头人高级研修", "省级双师型教师培训")),
    "国培": (0.10, ("国家级职业院校教师素质提高计划", "国培计划骨干教师研修")),
    "企业": (0.20, ("企业新技术新工艺培训", "1+X证书师资培训", "行业技能等级评价员培训")),
}
TRAINING_HOURS = np.array([8, 16, 24, 32, 40, 48, 64, 80])
SHORT_SHARE = 0.025        # teachers with little training or no practice in a year
TOPICS = ("产教融合背景下", "数字化转型视角下", "1+X证书制度下", "课程思政视域下", "校企合作模式下", "双高建设背景下")
SUBJECTS = ("人才培养模式改革研究", "课程体系构建研究", "实训基地建设研究", "教学质量评价研究",
            "技术服务与应用研究", "工艺优化与应用开发")
HONOURS = ("优秀教师", "教学名师", "师德标兵", "优秀共产党员", "教学能手", "优秀班主任")


def write_hr_activity(rng: np.random.Generator, school: School, writer) -> None:
    staff = school.staff
    teachers = staff.of("专任教师")
    others = staff.of("辅导员") + staff.of("行政管理")
    gh = [r["GH"] for r in staff.rows]
    training, practice, projects, outputs, honours = [], [], [], [], []
    for y in school.frame.school_years:
        start = date(y, 9, 1)
        short = set(rng.choice(teachers, size=max(1, int(SHORT_SHARE * len(teachers))), replace=False).tolist())
        no_practice = set(rng.choice(teachers, size=max(1, int(SHORT_SHARE * len(teachers))), replace=False).tolist())
        for t in teachers:
            target = rng.integers(8, 33) if t in short else np.clip(rng.normal(96, 22), 40, 200)
            training += _trainings(rng, gh[t], start, target)
            if t not in no_practice:
                practice += _practice(rng, gh[t], y, int(np.clip(rng.normal(35, 14), 12, 75)))
        for t in others:
            training += _trainings(rng, gh[t], start, rng.integers(16, 40))
        leaders = rng.choice(teachers, size=int(0.22 * len(teachers)), replace=False)
        for t in sorted(leaders.tolist()):
            projects.append(_project(rng, gh[t], start))
        for t in sorted(rng.choice(teachers, size=int(0.35 * len(teachers)), replace=False).tolist()):
            for _ in range(int(rng.integers(1, 4))):
                outputs.append(_output(rng, gh[t], start))
        for t in sorted(rng.choice(teachers, size=max(1, int(0.08 * len(teachers))), replace=False).tolist()):
            honours.append((gh[t], "奖励", str(rng.choice(HONOURS)), str(rng.choice(["校级", "市级", "省级"],
                                                                                  p=[0.7, 0.2, 0.1])),
                            (date(y, 9, 10) + timedelta(days=int(rng.integers(0, 120)))).isoformat()))
    # One ethics sanction long before the covered years, so the table is not empty of them.
    old = int(rng.choice(teachers))
    honours.append((gh[old], "处分", "警告", "校级", date(school.frame.first_year - 4, 5, 12).isoformat()))

    training.sort(key=lambda r: r[3])
    practice.sort(key=lambda r: r[2])
    outputs.sort(key=lambda r: r[4])
    honours.sort(key=lambda r: r[4])
    writer.write("RS_PXJL", ((f"PX{i:07d}", *r) for i, r in enumerate(training, start=1)))
    writer.write("RS_QYSJ", ((f"SJ{i:06d}", *r) for i, r in enumerate(practice, start=1)))
    writer.write("KY_XMXX", ((f"XM{i:06d}", *r) for i, r in enumerate(projects, start=1)))
    writer.write("KY_CGXX", ((f"CG{i:06d}", *r) for i, r in enumerate(outputs, start=1)))
    writer.write("RS_JCJL", ((f"JC{i:06d}", *r) for i, r in enumerate(honours, start=1)))


def _trainings(rng, gh: str, year_start: date, target: float) -> list[tuple]:
    kinds = list(TRAINING)
    weights = np.array([TRAINING[k][0] for k in kinds])
    rows, total = [], 0.0
    while total < target:
        kind = kinds[int(rng.choice(len(kinds), p=weights / weights.sum()))]
        hours = float(min(rng.choice(TRAINING_HOURS), max(8.0, target - total)))
        begin = year_start + timedelta(days=int(rng.integers(5, 330)))
        end = begin + timedelta(days=int(np.ceil(hours / 8)) - 1)
        rows.append((gh, str(rng.choice(TRAINING[kind][1])), kind, begin.isoformat(), end.isoformat(), hours))
        total += hours
    return rows


def _practice(rng, gh: str, y: int, days: int) -> list[tuple]:
    """Practice in enterprises in the summer break; longer ones start in the winter break."""
    summer = min(days, 54)
    stints = [(date(y + 1, 1, 20), days - summer)] if days > summer else []
    stints.append((date(y + 1, 7, 7), summer))
    rows = []
    for begin, length in stints:
        begin = begin + timedelta(days=int(rng.integers(0, 3)))
        end = begin + timedelta(days=length - 1)
        rows.append((gh, identity.company_names(rng, 1)[0], begin.isoformat(), end.isoformat(), float(length)))
    return rows


def _project(rng, gh: str, year_start: date) -> tuple:
    applied = rng.random() < 0.3
    if applied:
        kind, level, funds = "横向", "横向", rng.uniform(1, 30)
    else:
        kind = "纵向"
        level = str(rng.choice(["国家级", "省级", "市厅级", "校级"], p=[0.02, 0.2, 0.35, 0.43]))
        low, high = {"国家级": (20, 50), "省级": (3, 15), "市厅级": (1, 5), "校级": (0.3, 2)}[level]
        funds = rng.uniform(low, high)
    begin = year_start + timedelta(days=int(rng.integers(10, 300)))
    return (gh, f"{rng.choice(TOPICS)}{rng.choice(SUBJECTS)}", kind, level, begin.isoformat(),
            round(float(funds), 2), f"{(begin + timedelta(days=20)).isoformat()} 11:20:00")


def _output(rng, gh: str, year_start: date) -> tuple:
    kind = str(rng.choice(["论文", "专利", "著作", "教材", "获奖"], p=[0.6, 0.15, 0.03, 0.07, 0.15]))
    name = {"论文": f"{rng.choice(TOPICS)}{rng.choice(SUBJECTS)}", "专利": f"一种{rng.choice(['智能', '便携式', '自动'])}"
            f"{rng.choice(['检测装置', '夹具', '控制系统', '教学实训装置'])}",
            "著作": f"{rng.choice(SUBJECTS)}", "教材": f"{rng.choice(['项目化', '活页式', '工作手册式'])}教材",
            "获奖": f"职业院校技能大赛教学能力比赛{rng.choice(['一等奖', '二等奖', '三等奖'])}"}[kind]
    level = {"论文": ["核心期刊", "普通期刊"], "专利": ["发明专利", "实用新型"], "著作": ["专著"],
             "教材": ["国家规划教材", "校本教材"], "获奖": ["国家级", "省级", "市级"]}[kind]
    day = year_start + timedelta(days=int(rng.integers(0, 364)))
    return (gh, kind, name, str(rng.choice(level)), day.isoformat())
