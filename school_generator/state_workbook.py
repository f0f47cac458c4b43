"""The yearly export of the national state data platform (状态数据平台), with its quirks:
title row, header on row 2, notes rows (填表说明) at the end, numbers as text with
thousands separators in some cells, year-months like 2019.09, 是/否 text flags, and
key–value sheets (项目 / 内容 or 数值)."""

from __future__ import annotations

import io
import math
import zipfile
from datetime import date, datetime
from pathlib import Path

import numpy as np
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.writer.excel import ExcelWriter

from . import identity
from .frame import to_day
from .school import School

SHEETS = {  # sheet -> (title, header)
    "A1": ("表A1 院校基本信息", ["项目", "内容"]),
    "A3": ("表A3 基本办学条件", ["项目", "数值"]),
    "A5-1": ("表A5-1 经费收入", ["项目", "数值"]),
    "A6-1": ("表A6-1 校内专任教师基本情况",
             ["教工号", "姓名", "性别", "出生年月", "所属部门", "学历", "学位", "专业技术职务", "专业技术职务等级",
              "是否双师素质", "是否骨干教师", "行业企业一线工作时间（月）"]),
    "A6-3": ("表A6-3 校外兼职教师基本情况", ["编号", "姓名", "工作单位", "专业技术职务", "本学年授课课时"]),
    "A7-1-1": ("表A7-1-1 开设专业", ["专业代码", "专业名称", "所属系部", "修业年限", "是否招生", "首次招生年份"]),
    "A7-6-1": ("表A7-6-1 招生情况", ["专业代码", "专业名称", "计划招生数", "实际录取数", "实际报到数"]),
    "A7-6-2": ("表A7-6-2 应届毕业生就业情况",
               ["专业代码", "专业名称", "毕业生数", "就业数", "对口就业数", "本省就业数", "平均起薪（元）"]),
    "A10-1": ("表A10-1 在校生情况", ["专业代码", "专业名称", "年级", "在校生数"]),
}
NOTES_PREFIX = "填表说明："

SCHOOL_FACTS = (("学校代码", "4132012345"), ("学校名称", "正爱职业技术学院"), ("举办方", "省教育厅"),
                ("所在省份", identity.HOME_PROVINCE), ("建校年份", 1978))
# Running conditions per student in school (the school meets the national floors).
PER_STUDENT = {
    "占地面积（平方米）": 62.0, "教学科研及辅助用房面积（平方米）": 15.2, "行政办公用房面积（平方米）": 3.4,
    "学生宿舍面积（平方米）": 9.1, "教学科研仪器设备资产总值（万元）": 0.95, "当年新增教学科研仪器设备值（万元）": 0.11,
    "纸质图书总数（册）": 86.0, "当年新增纸质图书（册）": 3.2, "教学用计算机（台）": 0.36,
}
INCOME_PER_STUDENT = {  # 万元 per student
    "学费收入（万元）": 0.55, "财政经常性补助收入（万元）": 1.38, "中央、地方财政专项投入（万元）": 0.21,
    "社会捐赠（万元）": 0.004,
}


def thousands(value: float, decimals: int = 2) -> str:
    return f"{value:,.{decimals}f}"


def extra_teacher(rng: np.random.Generator, school: School) -> dict:
    """A teacher the state sheet reports but HR does not know (data-quality finding)."""
    taken = {r["GH"] for r in school.staff.rows}
    seq = 9000
    while f"{school.frame.first_year - 6}{seq:04d}" in taken:
        seq += 1
    female = np.array([rng.random() < 0.5])
    college = sorted({m.college for m in school.majors if m.enrolling})[0]
    return {"GH": f"{school.frame.first_year - 6}{seq:04d}", "XM": identity.person_names(rng, female)[0],
            "XB": "女" if female[0] else "男", "birth": "1986.04", "college": college}


def write_workbooks(rng: np.random.Generator, school: School, destinations: list[dict], extra: dict,
                    out_dir: Path) -> list[Path]:
    state_dir = out_dir / "state"
    state_dir.mkdir(parents=True, exist_ok=True)
    for stale in state_dir.glob("*.xlsx"):
        stale.unlink()
    paths = []
    for y in school.frame.school_years:
        wb = _workbook(rng, school, y, destinations, extra if y == school.frame.school_years[-1] else None)
        path = state_dir / f"{y + 1}.xlsx"
        _save(wb, path, date(y + 1, 8, 31))
        paths.append(path)
    return paths


def _workbook(rng, school: School, y: int, destinations: list[dict], extra: dict | None) -> Workbook:
    s, staff = school.students, school.staff
    as_of = date(y + 1, 8, 31)
    names = {d.code: d.name for d in school.departments}
    in_school = (s.entry_day <= to_day(as_of)) & (s.last_day >= to_day(as_of))
    headcount = int(((s.cohort >= y - 2) & (s.cohort <= y) & (s.entry_day <= to_day(date(y, 9, 30)))
                     & (s.last_day >= to_day(date(y, 9, 30)))).sum())
    wb = Workbook()
    wb.remove(wb.active)
    sheets = {}

    sheets["A1"] = [list(item) for item in SCHOOL_FACTS]
    sheets["A3"] = [[k, thousands(v * headcount, 1) if i % 3 != 2 else round(v * headcount, 1)]
                    for i, (k, v) in enumerate(PER_STUDENT.items())]
    sheets["A3"][-1][1] = int(round(PER_STUDENT["教学用计算机（台）"] * headcount))
    sheets["A5-1"] = [[k, thousands(v * headcount)] for k, v in INCOME_PER_STUDENT.items()]

    teachers = [r for r in staff.rows if r["RYLB"] == "专任教师" and r["ZT"] == "在职"
                and date.fromisoformat(r["RZRQ"]) <= as_of]
    a61 = []
    for i, r in enumerate(teachers):
        months = r["industry_months"] if i % 9 else str(r["industry_months"])
        a61.append([r["GH"], r["XM"], r["XB"], r["CSRQ"][:7].replace("-", "."), names[r["college"]], r["XL"],
                    r["XW"], r["ZC"], r["ZCJB"], r["SFSS"], r["SFGG"], months])
    if extra:
        a61.append([extra["GH"], extra["XM"], extra["XB"], extra["birth"], names[extra["college"]], "硕士研究生",
                    "硕士", "讲师", "中级", "是", "否", 24])
    sheets["A6-1"] = a61

    periods = np.zeros(len(staff.rows), dtype=int)
    for tt in school.teaching:
        if tt.term.xnm == y:
            np.add.at(periods, tt.jxb_teacher[tt.sess_jxb], tt.sess_periods)
    sheets["A6-3"] = [[r["GH"], r["XM"], r["employer"], r["ZC"],
                       thousands(periods[i], 0) if periods[i] >= 1000 else int(periods[i])]
                      for i, r in enumerate(staff.rows) if r["RYLB"] == "校外兼职" and r["ZT"] == "在职"]

    sheets["A7-1-1"] = [[m.code, m.name, names[m.college], 3, "是" if m.enrolling else "否", m.first_year]
                        for m in school.majors]

    a761 = []
    for m in school.majors:
        if not m.enrolling:
            continue
        reported = int(((s.major == m.index) & (s.cohort == y)).sum())
        admitted = reported + min(int(rng.binomial(reported, 0.04)), reported // 9)
        planned = int(math.ceil(admitted * 1.03 / 5) * 5)
        a761.append([m.code, m.name, planned, admitted, reported])
    sheets["A7-6-1"] = a761

    a762 = []
    for k, m in enumerate(school.majors):
        mine = [d for d in destinations if d["BYNF"] == y + 1 and d["major"] == m.index]
        if not mine:
            continue
        working = [d for d in mine if d["YX"] is not None]
        pay = round(sum(d["YX"] for d in working) / len(working), 1) if working else 0.0
        a762.append([m.code, m.name, len(mine), sum(d["QXLX"] != "待就业" for d in mine),
                     sum(d["SFDK"] == "是" for d in mine), sum(d["JYSF"] == identity.HOME_PROVINCE for d in mine),
                     thousands(pay, 1) if k % 2 else pay])
    sheets["A7-6-2"] = a762

    a101 = []
    for m in school.majors:
        for cohort in range(y - 2, y + 1):
            n = int((in_school & (s.major == m.index) & (s.cohort == cohort)).sum())
            if n:
                a101.append([m.code, m.name, cohort, n])
    sheets["A10-1"] = a101

    notes = [f"{NOTES_PREFIX}1. 数据时点为{as_of.year}年8月31日，按学年统计；",
             "2. 金额单位为万元（起薪为元），面积单位为平方米；是/否类指标填“是”或“否”。"]
    for name, (title, header) in SHEETS.items():
        _sheet(wb, name, title, header, sheets[name], notes)
    return wb


def _sheet(wb: Workbook, name: str, title: str, header: list[str], rows: list[list], notes: list[str]) -> None:
    ws = wb.create_sheet(name)
    width = len(header)
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(1, 1).font = Font(bold=True, size=14)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    ws.append(header)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for note in notes:
        ws.append([note])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=width)
    for i, h in enumerate(header):
        ws.column_dimensions[ws.cell(2, i + 1).column_letter].width = max(10, 2 * len(h) + 2)


def _save(wb: Workbook, path: Path, as_of: date) -> None:
    """Save with fixed document and zip timestamps, so equal data give equal files."""
    stamp = datetime(as_of.year, as_of.month, as_of.day)
    wb.properties.creator = "状态数据采集平台"
    wb.properties.created = wb.properties.modified = stamp
    buffer = io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(fixed, source.read(info.filename))
