"""质量年报 data tables (.xlsx): the figures a 人才培养质量年度报告 carries that the sources hold.

One workbook per school year: the school's conditions (生师比, 双师素质比例, 生均仪器设备值,
生均图书, 生均拨款 …), the colleges' teaching staff, and the majors' graduate outcomes (毕业去向
落实率 by major …). Every value is one row of `marts.mart_quality__status`; the sheet 溯源
names, for every value cell, the row it came from (control point, entity, period), and a
figure the sources do not hold stays empty with its status 数据不足, never filled in.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from serving.report_data import ReportData, StatusRow, school_year_of
from serving.report_files import ContentWriter, code_version, content_key

# The annual report's tables: which control points, shown for which entities.
SCHOOL_CONDITIONS = (
    "SCH_STUDENT_TEACHER_RATIO", "SCH_DUAL_QUALIFIED_RATE", "SCH_POSTGRAD_TEACHER_RATE", "SCH_SENIOR_TITLE_RATE",
    "SCH_PARTTIME_SHARE", "SCH_EQUIPMENT_PER_STUDENT", "SCH_BOOKS_PER_STUDENT", "SCH_FUNDING_PER_STUDENT",
    "SCH_BUILDING_PER_STUDENT", "SCH_EMPLOY_RATE",
)
COLLEGE_STAFF = ("COL_STUDENT_TEACHER_RATIO", "COL_DUAL_QUALIFIED_RATE")
MAJOR_OUTCOMES = (
    "MAJ_EMPLOY_RATE", "MAJ_MATCH_RATE", "MAJ_GRAD_SATISFACTION", "MAJ_EMPLOYER_SATISFACTION", "MAJ_REPORT_RATE",
    "MAJ_DROPOUT_RATE",
)
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")


@dataclass
class AnnualTablesReport:
    path: Path
    values: int
    missing: int  # figures with no value (数据不足)


def _header(sheet, row: list[str]) -> None:
    sheet.append(row)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")


def _year_rows(data: ReportData, codes: tuple[str, ...], entity_type: str, period: str) -> dict[tuple[str, str], StatusRow]:
    """(entity id, control point) → the row of school year `period` (the latest one when a grain has several)."""
    found: dict[tuple[str, str], StatusRow] = {}
    for row in data.status_rows(entity_type):
        if row.indicator_code in codes and school_year_of(row.period) == period:
            key = (row.entity_id, row.indicator_code)
            if key not in found or row.period > found[key].period:
                found[key] = row
    return found


def annual_workbook(data: ReportData, period: str) -> tuple[bytes, int, int, list]:
    points = data.control_points
    workbook = Workbook()
    trace: list[list[str]] = []
    values = missing = 0

    def put(sheet, row_index: int, column: int, row: StatusRow | None, code: str, entity_id: str) -> None:
        nonlocal values, missing
        cell = sheet.cell(row=row_index, column=column, value=row.value if row else None)
        cell.number_format = "0.00"
        if row is None or row.value is None:
            missing += 1
        else:
            values += 1
        trace.append([sheet.title, f"{get_column_letter(column)}{row_index}", code, entity_id,
                      row.period if row else "", "marts.mart_quality__status", row.status if row else "无此行"])

    # 1. The school's conditions, one row per figure.
    school = workbook.active
    school.title = "学校办学条件"
    _header(school, ["指标", "质控点代码", "周期", "值", "计量单位", "分子", "分母", "标准值", "状态", "横向比较参考值"])
    school_rows = _year_rows(data, SCHOOL_CONDITIONS, "school", period)
    school_ids = sorted({entity for entity, _ in school_rows}) or [""]
    for code in SCHOOL_CONDITIONS:
        if code not in points:
            continue
        row = school_rows.get((school_ids[0], code))
        references = "；".join(f"{r.label_zh} {r.value:g}（{r.source_zh}）" for r in data.references_for(code, [row.period] if row else []))
        school.append([points[code].name_zh, code, row.period if row else period, None, points[code].unit,
                       row.numerator if row else None, row.denominator if row else None,
                       row.standard_value if row else points[code].standard_value, row.status if row else "数据不足", references])
        put(school, school.max_row, 4, row, code, school_ids[0])

    # 2. Colleges: student–teacher ratio and dual-qualified share.
    colleges = workbook.create_sheet("各学院师资")
    _header(colleges, ["单位代码", "学院", *[points[c].name_zh for c in COLLEGE_STAFF if c in points]])
    college_rows = _year_rows(data, COLLEGE_STAFF, "college", period)
    for college in data.table("select department_code, department_name_zh from core.dim_department where kind = 'college' order by department_code"):
        colleges.append([college["department_code"], college["department_name_zh"]])
        for offset, code in enumerate(c for c in COLLEGE_STAFF if c in points):
            put(colleges, colleges.max_row, 3 + offset, college_rows.get((college["department_code"], code)), code, college["department_code"])

    # 3. Majors: graduate outcomes of the class graduating that year, admissions and dropout.
    majors = workbook.create_sheet("各专业毕业生与招生")
    codes = [c for c in MAJOR_OUTCOMES if c in points]
    _header(majors, ["专业代码", "专业", "学院", *[f"{points[c].name_zh}（{points[c].unit}）" for c in codes]])
    major_rows = _year_rows(data, MAJOR_OUTCOMES, "major", period)
    for major in data.table("select major_code, major_name, department_code from core.dim_major order by department_code, major_code"):
        majors.append([major["major_code"], major["major_name"], data.department_name(major["department_code"])])
        for offset, code in enumerate(codes):
            put(majors, majors.max_row, 4 + offset, major_rows.get((major["major_code"], code)), code, major["major_code"])

    # 4. Where every value came from.
    sheet = workbook.create_sheet("溯源")
    _header(sheet, ["工作表", "单元格", "质控点代码", "实体编号", "周期", "来源表", "状态"])
    for row in trace:
        sheet.append(row)
    notes = workbook.create_sheet("说明")
    for line in (
        f"{period} 学年质量年报数据表，由诊改数据平台从数据中心生成。",
        "每个数值是 marts.mart_quality__status 的一行：工作表“溯源”列出每个数值单元格对应的质控点代码、实体编号与周期。",
        "毕业生指标按毕业年份（该学年结束的夏季毕业的一届）；空单元格表示源数据不足（数据不足），不是 0。",
        "横向比较参考值来自质控点参考值登记表（reference_figures），标注“示例”的行是演示数据，不是真实统计。",
    ):
        notes.append([line])
    for ws in workbook.worksheets:
        for index, column in enumerate(ws.columns, start=1):
            width = max((len(str(c.value)) for c in column if c.value is not None), default=8)
            ws.column_dimensions[get_column_letter(index)].width = min(max(10, width * 1.6), 60)
        ws.freeze_panes = "A2" if ws.title != "说明" else None
    buffer = io.BytesIO()
    workbook.save(buffer)
    inputs = [sorted(school_rows.items()), sorted(college_rows.items()), sorted(major_rows.items()), trace,
              {code: data.references.get(code) for code in SCHOOL_CONDITIONS}]
    return buffer.getvalue(), values, missing, inputs


def build_annual_tables(database: Path, out_dir: Path, periods: list[str] | None = None) -> list[AnnualTablesReport]:
    """One workbook per school year (default: every school year the data center knows); a workbook
    whose figures did not change is not written again."""
    reports = []
    with ReportData(database) as data:
        known = [r["school_year"] for r in data.table("select school_year from core.dim_school_year order by school_year")]
        unknown = sorted(set(periods or []) - set(known))
        if unknown:
            raise ValueError(f"数据中心没有学年 {'、'.join(unknown)}（已有：{'、'.join(known) or '无'}）")
        writer = ContentWriter.open(Path(out_dir), code_version(Path(__file__)))
        for period in periods or known:
            content, values, missing, inputs = annual_workbook(data, period)
            relative = f"质量年报数据表_{period}.xlsx"
            key = content_key(period, inputs)
            if not writer.is_current(relative, key):
                writer.write(relative, content, key)
            reports.append(AnnualTablesReport(Path(out_dir) / relative, values, missing))
        writer.finish(prune=periods is None)
    return reports
