"""A tiny hand-made school in the raw layout of the contract, and the dbt build over it.

Every raw_* table that dbt reads is created from the sources YAML of the dbt project
(column names and types), so the fixture follows the contract by construction; each case
only adds the rows it needs. `dbt build` (seeds, models, data tests, unit tests) runs once
per session against this warehouse.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import duckdb
import yaml

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
TERM_1, TERM_2 = "2024-2025-1", "2024-2025-2"
XQM = {TERM_1: "3", TERM_2: "12"}
# First and last teaching day of each term in the demo school's calendar.
TERM_DAYS = {TERM_1: (dt.date(2024, 9, 2), dt.date(2025, 1, 17)), TERM_2: (dt.date(2025, 2, 24), dt.date(2025, 7, 4))}
REGISTER_STATUS = {"01": "enrolled", "02": "suspended", "03": "withdrawn", "04": "graduated", "05": "deferred"}
# The tables dbt snapshot keeps (snapshots/*.sql plus dbt's own columns), to seed earlier history.
SNAPSHOT_COLUMNS = {
    "snapshots.snap_student_register": [
        ("student_id", "VARCHAR"), ("student_number", "VARCHAR"), ("student_name", "VARCHAR"),
        ("major_id", "VARCHAR"), ("class_id", "VARCHAR"), ("cohort_year", "INTEGER"), ("org_id", "VARCHAR"),
        ("register_status_code", "VARCHAR"), ("register_status", "VARCHAR"), ("entry_date", "DATE"),
        ("updated_at", "TIMESTAMP"), ("dbt_scd_id", "VARCHAR"), ("dbt_updated_at", "TIMESTAMP"),
        ("dbt_valid_from", "TIMESTAMP"), ("dbt_valid_to", "TIMESTAMP")],
    "snapshots.snap_staff_register": [
        ("staff_id", "VARCHAR"), ("staff_name", "VARCHAR"), ("hr_department_code", "VARCHAR"),
        ("staff_category", "VARCHAR"), ("staff_category_zh", "VARCHAR"), ("title", "VARCHAR"),
        ("title_level", "VARCHAR"), ("title_level_zh", "VARCHAR"), ("education_zh", "VARCHAR"),
        ("degree_zh", "VARCHAR"), ("is_dual_qualified", "BOOLEAN"), ("is_key_teacher", "BOOLEAN"),
        ("is_major_leader", "BOOLEAN"), ("hire_date", "DATE"), ("employment_status", "VARCHAR"),
        ("employment_status_zh", "VARCHAR"), ("updated_at", "TIMESTAMP"), ("dbt_scd_id", "VARCHAR"),
        ("dbt_updated_at", "TIMESTAMP"), ("dbt_valid_from", "TIMESTAMP"), ("dbt_valid_to", "TIMESTAMP")],
}


def raw_table_columns() -> dict[str, list[tuple[str, str]]]:
    """{"raw_jw.JW_KQ_XSKQB": [(column, type), ...]} for every source table of the project."""
    tables = {}
    for path in sorted((DBT_PROJECT_DIR / "models" / "staging").glob("*/_*__sources.yml")):
        for source in yaml.safe_load(path.read_text(encoding="utf-8"))["sources"]:
            for table in source["tables"]:
                columns = [(column["name"], column["data_type"]) for column in table["columns"]]
                tables[f"{source['schema']}.{table['name']}"] = columns
    return tables


def create_raw_warehouse(path: Path, rows: dict[str, list[dict]], history: dict[str, list[dict]] | None = None) -> None:
    """Create every raw table (plus the ingest columns _load_id, _loaded_at) and insert `rows`;
    `history` seeds the snapshot tables with versions from earlier runs."""
    with duckdb.connect(str(path)) as con:
        for qualified, table_rows in (history or {}).items():
            columns = SNAPSHOT_COLUMNS[qualified]
            con.execute(f"create schema if not exists {qualified.split('.')[0]}")
            con.execute(f"create table {qualified} ({', '.join(f'{n} {t}' for n, t in columns)})")
            con.executemany(f"insert into {qualified} values ({', '.join('?' for _ in columns)})",
                            [[row[name] for name, _ in columns] for row in table_rows])
    tables = raw_table_columns()
    unknown = set(rows) - set(tables)
    assert not unknown, f"rows for tables that are not dbt sources: {unknown}"
    loaded_at = dt.datetime(2025, 8, 31, 23, 0)
    with duckdb.connect(str(path)) as con:
        for qualified, columns in tables.items():
            schema, table = qualified.split(".")
            con.execute(f"create schema if not exists {schema}")
            definition = ", ".join(f'"{name}" {type_}' for name, type_ in columns)
            con.execute(f'create table {schema}."{table}" ({definition}, _load_id VARCHAR, _loaded_at TIMESTAMP)')
            table_rows = rows.get(qualified, [])
            if not table_rows:
                continue
            names = [name for name, _ in columns]
            for row in table_rows:
                extra = set(row) - set(names)
                assert not extra, f"{qualified} has no columns {extra}"
            placeholders = ", ".join("?" for _ in range(len(names) + 2))
            con.executemany(
                f'insert into {schema}."{table}" values ({placeholders})',
                [[row.get(name) for name in names] + ["test-load", loaded_at] for row in table_rows],
            )


class RawSchool:
    """Collects raw rows; helpers write whole situations (a student's term of check-ins ...)."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = defaultdict(list)
        # Register versions from snapshot runs before this one (the history dbt keeps).
        self.history: dict[str, list[dict]] = defaultdict(list)
        # The quality office's workbooks: file → sheet → rows (title, header, data, notes).
        self.plan_workbooks: dict[str, dict[str, list[tuple]]] = {}
        self._ids = itertools.count(1)

    def add(self, table: str, **row) -> dict:
        self.rows[table].append(row)
        return row

    def next_id(self) -> int:
        return next(self._ids)

    def student(self, xh_id: str, xh: str, name: str, college_org: str = "JG101", counsellor: str = "C001",
                major: str = "ZY01", klass: str = "BJ01", cohort: int = 2024, status: str = "01",
                entered: str = "2024-09-01", updated: str = "2024-09-01 08:00:00") -> None:
        self.add("raw_jw.JW_XJGL_XSJBXXB", XH_ID=xh_id, XH=xh, XM=name, XBM=1, CSRQ="20050101",
                 SFZH="000000200501010000", SJHM="10000000000", ZYH_ID=major, BH_ID=klass, NJDM_ID=cohort,
                 JG_ID=college_org, XJZTDM=status, RXRQ=entered, GXSJ=updated)
        self.add("raw_xg.XG_XSXX", XH=xh, XM=name, BJMC=f"class-{klass}", FDYGH=counsellor, SSLH="1", SSH="101",
                 JJKN="无", GXSJ="2024-09-01 08:00:00")

    def register_version(self, xh_id: str, status: str, valid_from: str, valid_to: str | None) -> dict:
        """An earlier version of a student's register row, as snap_student_register kept it."""
        row = next(r for r in self.rows["raw_jw.JW_XJGL_XSJBXXB"] if r["XH_ID"] == xh_id)
        return {"student_id": xh_id, "student_number": row["XH"], "student_name": row["XM"],
                "major_id": row["ZYH_ID"], "class_id": row["BH_ID"], "cohort_year": row["NJDM_ID"],
                "org_id": row["JG_ID"], "register_status_code": status, "register_status": REGISTER_STATUS[status],
                "entry_date": row["RXRQ"], "updated_at": valid_from, "dbt_scd_id": f"{xh_id}-{valid_from}",
                "dbt_updated_at": valid_from, "dbt_valid_from": valid_from, "dbt_valid_to": valid_to}

    def staff_version(self, gh: str, title_level: str, valid_from: str) -> dict:
        """An earlier, still current version of a staff row, as snap_staff_register kept it."""
        row = next(r for r in self.rows["raw_hr.RS_JZGJBXX"] if r["GH"] == gh)
        return {"staff_id": gh, "staff_name": row["XM"], "hr_department_code": row["BMDM"],
                "staff_category": "full_time_teacher", "staff_category_zh": row["RYLB"], "title": row["ZC"],
                "title_level": None, "title_level_zh": title_level, "education_zh": row["XL"],
                "degree_zh": row["XW"], "is_dual_qualified": row["SFSS"] == "是", "is_key_teacher": False,
                "is_major_leader": False, "hire_date": row["RZRQ"], "employment_status": "active",
                "employment_status_zh": row["ZT"], "updated_at": valid_from, "dbt_scd_id": f"{gh}-{valid_from}",
                "dbt_updated_at": valid_from, "dbt_valid_from": valid_from, "dbt_valid_to": None}

    def staff(self, gh: str, department: str, category: str = "专任教师", status: str = "在职",
              degree: str = "硕士", title_level: str = "中级", dual: str = "是", hired: str = "2010-07-01",
              updated: str = "2024-01-01 08:00:00", name: str | None = None) -> None:
        self.add("raw_hr.RS_JZGJBXX", GH=gh, XM=name or f"staff-{gh}", XB="女", CSRQ="1985-05-05", SFZH="x",
                 SJHM="x", DZYX=f"mailbox-{gh}", BMDM=department, RYLB=category, ZC="讲师", ZCJB=title_level,
                 XL="硕士研究生", XW=degree, SFSS=dual, SFGG="否", SFZYDTR="否", RZRQ=hired, ZT=status,
                 GXSJ=updated)

    def teaching_class(self, term: str, course: str = "KA", teacher: str = "T001", jxb_id: str | None = None,
                       offering_org: str = "JG101") -> str:
        jxb_id = jxb_id or f"JXB{self.next_id():04d}"
        self.add("raw_jw.JW_JXRW_JXBXXB", JXB_ID=jxb_id, JXBMC=f"name-{jxb_id}", KCH_ID=course, XNM=2024,
                 XQM=XQM[term], JGH_ID=teacher, ZXS=32.0, KKBM_ID=offering_org, GXSJ="2024-08-20 08:00:00")
        return jxb_id

    def session(self, jxb_id: str, day: dt.date, periods: int) -> int:
        skjl_id = self.next_id()
        self.add("raw_jw.JW_KQ_SKJLB", SKJL_ID=skjl_id, JXB_ID=jxb_id, SKRQ=day.isoformat(), JC="1-2", XS=periods)
        return skjl_id

    def check_in(self, skjl_id: int, xh_id: str, kqzt: int, kq_id: int | None = None) -> dict:
        return self.add("raw_jw.JW_KQ_XSKQB", KQ_ID=kq_id or self.next_id(), SKJL_ID=skjl_id, XH_ID=xh_id,
                        KQZT=kqzt, CJSJ="2024-09-02 08:05:00")

    def enrol(self, xh_id: str, jxb_id: str, term: str) -> None:
        self.add("raw_jw.JW_XK_XSXKB", JXB_ID=jxb_id, XH_ID=xh_id, XNM=2024, XQM=XQM[term],
                 GXSJ="2024-08-25 08:00:00")

    def term_of_check_ins(self, xh_id: str, term: str, marks: list[tuple[int, int]]) -> list[dict]:
        """One weekly session per (periods XS, status KQZT) in a teaching class of its own."""
        jxb_id = self.teaching_class(term)
        self.enrol(xh_id, jxb_id, term)
        first_day = TERM_DAYS[term][0]
        return [
            self.check_in(self.session(jxb_id, first_day + dt.timedelta(weeks=week), periods), xh_id, kqzt)
            for week, (periods, kqzt) in enumerate(marks)
        ]

    def dorm_checks(self, xh: str, month: str, statuses: list[str]) -> None:
        for day, status in enumerate(statuses, start=1):
            self.add("raw_xg.XG_CQJL", JL_ID=self.next_id(), XH=xh, CQRQ=f"{month}-{day:02d}", ZT=status,
                     JLR="C001", JLSJ=f"{month}-{day:02d} 23:00:00")

    def grade(self, xh_id: str, course: str, cj: str, credits: float, grade_point: float | None,
              exam_type: str = "正常考试", term: str = TERM_1, jxb_id: str | None = None) -> None:
        self.add("raw_jw.JW_CJ_XSCJB", CJ_ID=f"CJ{self.next_id():05d}", XH_ID=xh_id, JXB_ID=jxb_id, KCH_ID=course,
                 XNM=2024, XQM=XQM[term], CJ=cj, XF=credits, JD=grade_point, KSXZ=exam_type,
                 GXSJ="2025-01-20 08:00:00")

    def sanction(self, xh: str, imposed: str, lifted: str | None) -> None:
        self.add("raw_xg.XG_WJCF", CF_ID=f"CF{self.next_id():04d}", XH=xh, WJRQ=imposed, WJLX="其他",
                 CFDJ="警告", CFWH="DOC-1", CXRQ=lifted, GXSJ="2025-01-20 08:00:00")

    def rating(self, jxb_id: str, score: float, teacher: str | None, xh_id: str | None = None) -> None:
        self.add("raw_jw.JW_PJ_XSPFB", PJ_ID=f"PJ{self.next_id():05d}", JXB_ID=jxb_id, JGH_ID=teacher,
                 XH_ID=xh_id, ZF=score, PJSJ="2024-12-20 08:00:00")

    def visit(self, jxb_id: str, score: float, teacher: str) -> None:
        self.add("raw_jw.JW_DD_TKJLB", TK_ID=f"TK{self.next_id():05d}", JXB_ID=jxb_id, JGH_ID=teacher,
                 TKRQ="2024-10-10", PF=score, DDR="supervisor")

    def hr_record(self, table: str, key: str, **row) -> None:
        ids = {"raw_hr.RS_PXJL": "PX_ID", "raw_hr.RS_QYSJ": "SJ_ID", "raw_hr.RS_JCJL": "JC_ID"}
        self.add(table, **{ids[table]: key}, **row)

    def destination(self, xh: str, year: int, kind: str, matches: str | None) -> None:
        self.add("raw_xg.XG_BYQX", XH=xh, BYNF=year, QXLX=kind, DWMC="employer", SFDK=matches, YX=4000.0,
                 JYSF="province", GXSJ=f"{year}-08-01 08:00:00")

    def survey(self, xh: str, year: int, graduate: int | None, employer: int | None) -> None:
        self.add("raw_xg.XG_GZDC", DC_ID=f"DC{self.next_id():05d}", XH=xh, BYNF=year, BYSMYD=graduate,
                 DWMYD=employer, DCRQ=f"{year + 1}-07-01")


def build_school() -> RawSchool:
    """The hand-made case; the expected answers are asserted in test_dbt_*.py."""
    school = RawSchool()
    add = school.add
    for org_id, code, kind in [("JG101", "101", "教学单位"), ("JG102", "102", "教学单位"), ("JG202", "202", "职能部门")]:
        add("raw_jw.ZFTAL_XTGL_JGDMB", JG_ID=org_id, JGDM=code, JGMC=f"org-{code}", LX=kind, LSJG_ID=None)
    for code in ["B0101", "B0102", "B0202"]:
        add("raw_hr.RS_BMXX", BMDM=code, BMMC=f"hr-{code}", SJBMDM=None)
    school.staff("T001", "B0101")
    school.staff("T002", "B0101", status="离职")
    school.staff("C001", "B0202", category="辅导员")
    add("raw_jw.ZFTAL_XTGL_ZYDMB", ZYH_ID="ZY01", ZYDM="460301", ZYMC="major-01", JG_ID="JG101", XZ=3, ZT=1)
    add("raw_jw.ZFTAL_XTGL_BJDMB", BH_ID="BJ01", BJ="class-01", ZYH_ID="ZY01", NJDM_ID=2024, JG_ID="JG101")
    for course, credits in [("KA", 2.0), ("K1", 4.0), ("K2", 2.0), ("K3", 3.0), ("K4", 1.0), ("K9", 3.0)]:
        add("raw_jw.JW_JH_KCDMB", KCH_ID=course, KCH=course, KCMC=f"course-{course}", XF=credits, ZXS=32.0,
            KCXZ="专业核心课", KKBM_ID="JG101")

    for n in range(1, 7):
        school.student(f"X00{n}", f"202400{n}", f"student-{n}")
    school.student("X007", "2024007", "student-7", college_org="JG102")
    # 学工 knows a student the register does not: reported, not joined.
    add("raw_xg.XG_XSXX", XH="2024999", XM="unknown", BJMC="class-01", FDYGH="C001", GXSJ="2024-09-01 08:00:00")

    # Calendar anchors: sessions on each term's first and last teaching day.
    for term, days in TERM_DAYS.items():
        jxb_id = school.teaching_class(term)
        for day in days:
            school.session(jxb_id, day, 2)

    # Attendance (periods XS, status KQZT): 1 出勤 2 迟到 3 早退 4 旷课 5 请假.
    x001 = school.term_of_check_ins("X001", TERM_1, [(2, 1)] * 8 + [(2, 2), (2, 3), (2, 4), (2, 5)])
    absent = x001[10]
    school.check_in(absent["SKJL_ID"], "X001", 4, kq_id=absent["KQ_ID"])  # the same KQ_ID arrives twice
    school.check_in(absent["SKJL_ID"], "X999", 4)  # a student the register does not know
    school.term_of_check_ins("X001", TERM_2, [(2, 1)] * 10)
    school.term_of_check_ins("X002", TERM_1, [(2, 1)] * 9 + [(2, 4)])
    school.term_of_check_ins("X003", TERM_1, [(2, 1)] * 13 + [(3, 4)])
    school.term_of_check_ins("X004", TERM_1, [(2, 1)] * 9 + [(2, 5)])
    school.term_of_check_ins("X005", TERM_1, [(2, 1)] * 10 + [(4, 4), (5, 4)])
    school.term_of_check_ins("X006", TERM_1, [(2, 1)] * 10 + [(5, 4), (5, 4)])

    # Dorm checks.
    school.dorm_checks("2024001", "2024-10", ["在寝"] * 8 + ["晚归", "夜不归宿"])
    school.dorm_checks("2024001", "2024-11", ["请假"])
    school.dorm_checks("2024002", "2024-10", ["在寝"] * 5)
    school.dorm_checks("2024003", "2024-10", ["晚归"] * 3 + ["在寝"] * 2)
    school.dorm_checks("2024004", "2024-10", ["晚归"] * 4)
    school.dorm_checks("2024999", "2024-10", ["夜不归宿"])

    # Grades (CJ text, credits XF, grade point JD).
    school.grade("X001", "K1", "90", 4, 4.0)
    school.grade("X001", "K2", "良好", 2, 3.5)
    school.grade("X001", "K3", "缓考", 3, None)
    school.grade("X001", "K4", "55", 1, 0.0)
    school.grade("X001", "K4", "70", 1, 1.0, exam_type="补考")
    school.grade("X002", "K1", "不及格", 4, 0.0)
    school.grade("X002", "K2", "缺考", 2, 0.0)
    school.grade("X002", "K3", "作弊", 3, 0.0)
    school.grade("X003", "K1", "及格", 4, 1.5)
    school.grade("X003", "K2", "60", 2, 1.5)
    school.grade("X004", "K1", "中等", 4, 2.5)
    school.grade("X004", "K2", "缓考", 2, None)
    school.grade("X005", "K1", "优秀", 4, 4.5)
    school.grade("X005", "K2", "59.5", 2, 1.0)
    school.grade("X005", "K9", "30", 3, 0.0, exam_type="重修")
    school.grade("X999", "K1", "80", 4, 3.0)

    # Sanctions (imposed WJRQ, lifted CXRQ) against the terms as dated events see them:
    # 2024-09-01..2025-02-23 and 2025-02-24..2025-08-31 (the year split at term 2's first session).
    school.sanction("2024001", "2024-10-15", None)
    school.sanction("2024002", "2024-10-01", "2024-12-01")
    school.sanction("2024003", "2025-02-10", "2025-02-20")  # imposed and lifted in the winter break
    school.sanction("2024004", "2024-06-01", "2024-09-02")
    school.sanction("2024005", "2025-01-17", None)
    school.sanction("2024006", "2024-09-10", None)
    school.sanction("2024006", "2024-11-10", "2024-12-10")
    school.sanction("2024007", "2024-10-10", None)
    school.sanction("2024998", "2024-10-10", None)
    # Term-2 activity (course enrolment only) for students judged on sanctions there.
    term_2_class = school.teaching_class(TERM_2)
    for xh_id in ["X002", "X004"]:
        school.enrol(xh_id, term_2_class, TERM_2)

    add_course_cases(school)
    add_teacher_cases(school)
    add_major_cases(school)
    add_school_cases(school)
    add_data_quality_cases(school)
    add_plan_cases(school)
    return school


def add_course_cases(school: RawSchool) -> None:
    """Teaching classes C1, C3 (taught by T010, offered by college 102) and C2 (T011, college 101),
    with students S11..S20 of major ZY02 (510201, college 102, cohort 2023)."""
    add = school.add
    add("raw_jw.ZFTAL_XTGL_ZYDMB", ZYH_ID="ZY02", ZYDM="510201", ZYMC="major-02", JG_ID="JG102", XZ=3, ZT=1)
    add("raw_jw.ZFTAL_XTGL_BJDMB", BH_ID="BJ02", BJ="class-02", ZYH_ID="ZY02", NJDM_ID=2023, JG_ID="JG102")
    for course, org in [("KC1", "JG102"), ("KC2", "JG101")]:
        add("raw_jw.JW_JH_KCDMB", KCH_ID=course, KCH=course, KCMC=f"course-{course}", XF=2.0, ZXS=32.0,
            KCXZ="专业基础课", KKBM_ID=org)
    for n in range(11, 21):
        school.student(f"S{n}", f"20230{n}", f"student-{n}", college_org="JG102", major="ZY02", klass="BJ02",
                       cohort=2023, entered="2023-09-02", counsellor="C404" if n == 20 else "C001")
    c1 = school.teaching_class(TERM_1, course="KC1", teacher="T010", jxb_id="JXB_C1", offering_org="JG102")
    c2 = school.teaching_class(TERM_1, course="KC2", teacher="T011", jxb_id="JXB_C2", offering_org="JG101")
    c3 = school.teaching_class(TERM_2, course="KC1", teacher="T010", jxb_id="JXB_C3", offering_org="JG102")

    # CRS_ATTEND_RATE of C1. October: four sessions of 5 periods; S11 出勤 迟到 早退 旷课 (its 旷课
    # KQ_ID sent twice), S12 出勤 请假 旷课 出勤, S13 always present: 45 present, 10 absent of 55
    # periods, leave left out -> 81.82 %. November: one session of 4 periods, S13 absent: 8 / 12.
    for xh_id in ["S11", "S12", "S13"]:
        school.enrol(xh_id, c1, TERM_1)
    october = [school.session(c1, dt.date(2024, 10, day), 5) for day in (8, 15, 22, 29)]
    for xh_id, marks in [("S11", [1, 2, 3, 4]), ("S12", [1, 5, 4, 1]), ("S13", [1, 1, 1, 1])]:
        last = [school.check_in(skjl_id, xh_id, kqzt) for skjl_id, kqzt in zip(october, marks)][-1]
        if xh_id == "S11":
            school.check_in(last["SKJL_ID"], "S11", 4, kq_id=last["KQ_ID"])
    november = school.session(c1, dt.date(2024, 11, 5), 4)
    for xh_id, kqzt in [("S11", 1), ("S12", 1), ("S13", 4)]:
        school.check_in(november, xh_id, kqzt)

    # CRS_PASS_RATE of C2 (正常考试): 10 students graded, 5 pass (85, 优秀, 75, 60, 及格); 59, 不及格,
    # 缺考, 作弊 and 50 fail, and S20's 补考 70 does not rewrite the term -> 50 %.
    for xh_id, cj in [("S11", "85"), ("S12", "59"), ("S13", "优秀"), ("S14", "不及格"), ("S15", "缺考"),
                      ("S16", "作弊"), ("S17", "75"), ("S18", "60"), ("S19", "及格"), ("S20", "50")]:
        school.grade(xh_id, "KC2", cj, 2, 2.0, jxb_id=c2)
    school.grade("S20", "KC2", "70", 2, 1.0, exam_type="补考", jxb_id=c2)
    # C1: 缓考 is left out -> 1 of 2 graded pass, too few students to judge.
    for xh_id, cj in [("S11", "缓考"), ("S12", "90"), ("S13", "40")]:
        school.grade(xh_id, "KC1", cj, 2, 2.0, jxb_id=c1)

    # CRS_EVAL_SCORE: C2 has 8 named and 2 anonymous ratings averaging 85.0 (= the standard);
    # C1 three ratings (60, 70, 80); C3 twenty ratings of 90, one without a teacher number.
    for n, score in zip(range(11, 19), [80, 82, 84, 86, 88, 90, 92, 94]):
        school.rating(c2, score, "T011", f"S{n}")
    for score in [76, 78]:
        school.rating(c2, score, "T011")
    for n, score in zip(range(11, 14), [60, 70, 80]):
        school.rating(c1, score, "T010", f"S{n}")
    for k in range(20):
        school.rating(c3, 90, None if k == 0 else "T010")

    # CRS_SUPERVISOR_SCORE: C2 visited twice (65, 75 -> 70, the warning value), C1 once (69.5).
    school.visit(c2, 65, "T011")
    school.visit(c2, 75, "T011")
    school.visit(c1, 69.5, "T010")


def add_teacher_cases(school: RawSchool) -> None:
    """Full-time teachers T010 (college 102) and T011 (college 101); T013 hired after the year."""
    school.staff("T010", "B0102", degree="博士", title_level="副高", dual="否", name="teacher-T010")
    school.staff("T011", "B0101", degree="学士", title_level="正高", dual="是")
    school.staff("T013", "B0102", hired="2025-09-15")
    # T010 teaches C1 (4 × 5 + 4 periods) and C3 (2 × 3): 30 periods. T011 teaches C2: 40 × 8 = 320.
    for day in (dt.date(2025, 3, 4), dt.date(2025, 3, 11)):
        school.session("JXB_C3", day, 3)
    first = dt.date(2024, 9, 3)
    for week in range(20):
        for offset in (0, 2):
            school.session("JXB_C2", first + dt.timedelta(weeks=week, days=offset), 8)
    # Training hours count in the school year the training ended: 40 + 36, not the one ending
    # in September 2025. Practice: 10 days in the year, the 30 days of summer 2024 belong to
    # the year before. One incident and one sanction (处分) in the year; an honour, a 2020
    # sanction and an incident of August 2024 do not count.
    pxjl, qysj, jcjl = "raw_hr.RS_PXJL", "raw_hr.RS_QYSJ", "raw_hr.RS_JCJL"
    school.hr_record(pxjl, "P1", GH="T010", PXMC="p1", PXLB="省培", KSRQ="2024-10-15", JSRQ="2024-10-20", XS=40.0)
    school.hr_record(pxjl, "P2", GH="T010", PXMC="p2", PXLB="校本", KSRQ="2025-08-20", JSRQ="2025-08-30", XS=36.0)
    school.hr_record(pxjl, "P3", GH="T010", PXMC="p3", PXLB="企业", KSRQ="2025-08-25", JSRQ="2025-09-05", XS=20.0)
    school.hr_record(qysj, "Q1", GH="T010", QYMC="q1", KSRQ="2025-01-12", JSRQ="2025-01-22", TS=10.0)
    school.hr_record(qysj, "Q2", GH="T010", QYMC="q2", KSRQ="2024-07-20", JSRQ="2024-08-20", TS=30.0)
    school.add("raw_jw.JW_JXSG_JLB", SG_ID="SG1", JGH_ID="T010", FSRQ="2025-04-09", SGDJ="一般", MS="late")
    school.add("raw_jw.JW_JXSG_JLB", SG_ID="SG2", JGH_ID="T010", FSRQ="2024-08-30", SGDJ="一般", MS="late")
    school.hr_record(jcjl, "J1", GH="T010", LX="处分", MC="警告", JB="校级", RQ="2025-03-01")
    school.hr_record(jcjl, "J2", GH="T010", LX="奖励", MC="优秀教师", JB="校级", RQ="2025-03-02")
    school.hr_record(jcjl, "J3", GH="T010", LX="处分", MC="警告", JB="校级", RQ="2020-05-12")


def add_major_cases(school: RawSchool) -> None:
    """Major ZY03 (530302, college 101): the dropout case. Major ZY04 (550102, college 102):
    graduates of 2025 (destinations) and of 2024 (the one-year-on survey)."""
    add = school.add
    add("raw_jw.ZFTAL_XTGL_ZYDMB", ZYH_ID="ZY03", ZYDM="530302", ZYMC="major-03", JG_ID="JG101", XZ=3, ZT=1)
    add("raw_jw.ZFTAL_XTGL_ZYDMB", ZYH_ID="ZY04", ZYDM="550102", ZYMC="major-04", JG_ID="JG102", XZ=3, ZT=1)
    for bh_id, major, cohort, org in [("BJ03", "ZY03", 2023, "JG101"), ("BJ06", "ZY03", 2024, "JG101"),
                                      ("BJ04", "ZY04", 2022, "JG102"), ("BJ05", "ZY04", 2021, "JG102")]:
        add("raw_jw.ZFTAL_XTGL_BJDMB", BH_ID=bh_id, BJ=f"class-{bh_id}", ZYH_ID=major, NJDM_ID=cohort, JG_ID=org)

    # Dropout 2024-2025 of ZY03: 30 students 在读 when the year began, 3 withdrew -> 10 %.
    def d_student(n: int, status: str, updated: str, cohort: int = 2023, entered: str = "2023-09-02") -> None:
        school.student(f"D{n:02d}", f"2023D{n:02d}", f"student-D{n:02d}", major="ZY03",
                       klass="BJ03" if cohort == 2023 else "BJ06", cohort=cohort, status=status,
                       entered=entered, updated=updated)
    for n in range(1, 27):
        d_student(n, "01", "2024-05-01 08:00:00")                  # in the base, stayed
    d_student(27, "03", "2025-03-10 08:00:00")   # withdrew in March; no history: taken as 在读 on 1 September
    d_student(28, "03", "2024-06-15 08:00:00")   # withdrew before the year: not in the base
    d_student(29, "03", "2024-12-01 08:00:00")   # history: 休学 since March 2024, so not 在读 when the year began
    d_student(30, "01", "2025-02-01 08:00:00")   # history: withdrew in November, readmitted in February
    d_student(31, "03", "2024-10-20 08:00:00", cohort=2024, entered="2024-09-10")  # new entrant who withdrew
    d_student(32, "01", "2024-09-10 08:00:00", cohort=2024, entered="2024-09-10")  # new entrant
    school.history["snapshots.snap_student_register"] += [
        school.register_version("D29", "02", "2024-03-01 08:00:00", None),
        school.register_version("D30", "01", "2023-09-02 08:00:00", "2024-11-01 08:00:00"),
        school.register_version("D30", "03", "2024-11-01 08:00:00", None),
    ]
    # MAJ_PASS_RATE of ZY03 in term 2: 30 counted regular grades (缓考 left out), 28 pass -> 93.33 %.
    d1 = school.teaching_class(TERM_2, course="KD1", jxb_id="JXB_D1")
    add("raw_jw.JW_JH_KCDMB", KCH_ID="KD1", KCH="KD1", KCMC="course-KD1", XF=2.0, ZXS=32.0, KCXZ="实践课",
        KKBM_ID="JG101")
    for n in range(1, 29):
        school.grade(f"D{n:02d}", "KD1", "80", 2, 3.0, term=TERM_2, jxb_id=d1)
    school.grade("D29", "KD1", "作弊", 2, 0.0, term=TERM_2, jxb_id=d1)
    school.grade("D30", "KD1", "59", 2, 0.0, term=TERM_2, jxb_id=d1)
    school.grade("D30", "KD1", "75", 2, 2.0, term=TERM_2, jxb_id=d1, exam_type="补考")
    school.grade("D32", "KD1", "缓考", 2, None, term=TERM_2, jxb_id=d1)

    # Graduates of 2025 (ZY04): 14, of whom 12 employed (85.71 %); the match rate counts 签约就业,
    # 灵活就业 and 自主创业 only: 7 matched of 10 (the 升学 graduate's 是 is left out) -> 70 %.
    destinations = ([("签约就业", "是")] * 5 + [("签约就业", "否")] * 2 + [("灵活就业", "是"), ("灵活就业", "否"),
                    ("自主创业", "是"), ("升学", "是"), ("参军入伍", None), ("待就业", None), ("待就业", None)])
    for n, (kind, matches) in enumerate(destinations, start=1):
        xh = f"2022G{n:02d}"
        school.student(f"G{n:02d}", xh, f"graduate-{n}", college_org="JG102", major="ZY04", klass="BJ04",
                       cohort=2022, status="04", entered="2022-09-03", updated="2025-06-30 10:00:00")
        school.destination(xh, 2025, kind, matches)
    # Graduates of 2024 surveyed in 2025: 8 of 11 rate 4-5 (72.73 %); only 4 employers answered.
    ratings = [(5, 5), (5, 4), (5, 4), (4, 3), (4, None), (4, None), (4, None), (4, None), (3, None),
               (2, None), (1, None)]
    for n, (graduate, employer) in enumerate(ratings, start=1):
        xh = f"2021H{n:02d}"
        school.student(f"H{n:02d}", xh, f"graduate-2024-{n}", college_org="JG102", major="ZY04", klass="BJ05",
                       cohort=2021, status="04", entered="2021-09-04", updated="2024-06-30 10:00:00")
        school.survey(xh, 2024, graduate, employer)


def add_school_cases(school: RawSchool) -> None:
    """The state platform's workbook of collection year 2025 (the school year 2024-2025) and the
    staff member whose title changed after the year closed."""
    add = school.add
    # T014 is 副高 in HR today, but the history says 中级 until October 2025: not senior in 2024-2025.
    school.staff("T014", "B0102", degree="硕士", title_level="副高", dual="否", updated="2025-10-01 08:00:00")
    school.history["snapshots.snap_staff_register"].append(school.staff_version("T014", "中级", "2020-01-01 08:00:00"))
    add("raw_state.a1", collection_year=2025, school_code="4132012345", school_name="school-demo",
        sponsor="sponsor", province="province", founded_year="1978")
    add("raw_state.a3", collection_year=2025, land_area_m2=10000.0, teaching_research_building_m2=600.0,
        admin_office_building_m2=120.0, dorm_area_m2=500.0, equipment_value_wan=15.0, new_equipment_value_wan=1.0,
        paper_books=2200.0, new_paper_books=100.0, teaching_computers=50.0)
    add("raw_state.a5_1", collection_year=2025, tuition_income_wan=100.0, fiscal_recurrent_subsidy_wan=40.0,
        special_fiscal_funding_wan=5.0, donations_wan=0.0)
    for no in ["W001", "W002"]:
        add("raw_state.a6_3", collection_year=2025, external_no=no, name=f"external-{no}", employer="employer",
            title="engineer", periods_this_year=64.0)
    colleges = {row["department_code"]: row["name_zh"] for row in read_seed("departments")}
    for gh, name, college in [("T001", "staff-T001", "101"), ("T002", "staff-T002", "101"),
                              ("T010", "another-name", "102"), ("T014", "staff-T014", "102"),
                              ("T099", "unknown", "102")]:
        add("raw_state.a6_1", collection_year=2025, staff_no=gh, name=name, gender="女", birth_month="1985-05",
            department=colleges[college], education="硕士研究生", degree="硕士", title="讲师", title_level="中级",
            is_dual_qualified=True, is_key_teacher=False, industry_months=12.0)
    for code, admitted, reported in [("550102", 20, 17), ("460301", 8, 8), ("999999", 10, 9)]:
        add("raw_state.a7_6_1", collection_year=2025, major_code=code, major_name=f"state-{code}", planned=admitted,
            admitted=admitted, reported=reported)
    for code, cohort, students in [("460301", 2024, 7), ("510201", 2023, 11), ("530302", 2023, 27),
                                   ("999999", 2024, 5)]:
        add("raw_state.a10_1", collection_year=2025, major_code=code, major_name=f"state-{code}", cohort=cohort,
            students=students)


def add_data_quality_cases(school: RawSchool) -> None:
    """Records the data center must report rather than use."""
    add = school.add
    school.staff("A001", "B9999", category="行政管理")                      # HR code outside the crosswalk
    school.grade("S20", "K9", "A+", 3, None)                                # grade text outside the contract
    school.grade("S19", "K404", "80", 2, 3.0, exam_type="补考")             # unknown course: an orphan key
    school.rating("JXB_GONE", 90, "T010")                                   # rating of an unknown class
    school.hr_record("raw_hr.RS_PXJL", "P4", GH=None, PXMC="p4", PXLB="校本", KSRQ="2024-10-01",
                     JSRQ="2024-10-02", XS=8.0)                             # training of nobody
    school.hr_record("raw_hr.RS_PXJL", "P5", GH="T011", PXMC="p5", PXLB="校本", KSRQ=None, JSRQ=None, XS=8.0)
    school.destination("2099001", 2025, "签约就业", "是")                  # graduate unknown to the register
    # a session whose date cannot be read: neither it nor its absence counts anywhere
    school.add("raw_jw.JW_KQ_SKJLB", SKJL_ID=90101, JXB_ID="JXB_C1", SKRQ="2099-13-45", JC="1-2", XS=2)
    school.check_in(90101, "S11", 4, kq_id=90102)
    # rows the source deleted, which ingest's key reconciliation marked: kept in raw, left out
    # everywhere else (a failed grade and a sanction in force would otherwise raise warnings)
    gone = dt.datetime(2025, 8, 30, 23, 0)
    add("raw_jw.JW_CJ_XSCJB", CJ_ID="CJ_DELETED", XH_ID="S20", KCH_ID="K1", XNM=2024, XQM="3", CJ="0",
        XF=3, JD=0.0, KSXZ="正常考试", GXSJ="2025-01-20 08:00:00", _deleted_at=gone)
    add("raw_xg.XG_WJCF", CF_ID="CF_DELETED", XH="2024001", WJRQ="2024-11-01", WJLX="其他", CFDJ="警告",
        CFWH="DOC-X", CXRQ=None, GXSJ="2025-01-20 08:00:00", _deleted_at=gone)
    school.survey("2099001", 2024, 5, 5)
    quarantine = "meta.quarantine"
    add(quarantine, run_id="r0", source="jw", table_name="JW_KQ_XSKQB", row_key="90001", rule="duplicate_key",
        detail="another row with this key is in the same load", raw_values="{}",
        quarantined_at=dt.datetime(2025, 8, 31, 23, 0))
    add(quarantine, run_id="r0", source="jw", table_name="JW_KQ_XSKQB", row_key="90002", rule="code_not_allowed",
        detail="KQZT: '9' is not one of [1, 2, 3, 4, 5]", raw_values="{}",
        quarantined_at=dt.datetime(2025, 8, 31, 23, 0))
    # a plan row refused on two nights
    for night in (30, 31):
        add(quarantine, run_id=f"r{night}", source="plan", table_name="tasks", row_key="2025|25X",
            rule="unknown_department", detail="牵头部门: '教务处（质量办）' is no department of the registry",
            raw_values='{"task_id": "25X", "_origin": "tasks-2025.xlsx!任务清单 row 7"}',
            quarantined_at=dt.datetime(2025, 8, night, 23, 0))


# The session's build sees the board of a year still running: 2025 up to June.
AS_OF_DATE = "2025-06-15"
TASK_HEADER = ("任务编号", "任务来源", "属性", "上级任务编号", "任务名称", "牵头部门", "协同部门", "责任人工号",
               "开始月份", "完成时限", "目标值", "计量单位", "权重")
PROGRESS_HEADER = ("任务编号", "月份", "完成比例", "实际值", "进展说明", "填报人工号", "填报日期")
TARGET_HEADER = ("层面", "对象编号", "质控点编号", "期间", "目标值", "标准值", "预警值", "制定人工号", "制定日期")


def add_plan_cases(school: RawSchool) -> None:
    """The quality office's workbooks, written the ways people write them (60%, 0.5, 1; 3月,
    2024.06, 2024年2月; 2024/5/2, an Excel date), for ingest to load (load_plan_workbooks):
    the year 2024, complete, and 2025 as of June. Outcomes in test_dbt_task_board.py."""
    def task(task_id, lead, start, deadline, weight=None, target=None, parent=None, supporting=None,
             attribute="A. 重点工作"):
        return (task_id, "年度重点", attribute, parent, f"task-{task_id}", lead, supporting, "T001", start, deadline,
                target, "家" if target else None, weight)

    def report(task_id, month, completion, filed, actual=None):
        return (task_id, month, completion, actual, "", "T001", filed)

    school.plan_workbooks["tasks-2024.xlsx"] = {
        "任务清单": [("2024年度目标任务清单",), TASK_HEADER,
                 task("24A", "教务处", "2024-03", "6月", weight=2),
                 task("24B", "教务处", None, 2024.09, target=10, attribute="A"),  # from January, weight 1
                 task("24C", "学生处", "2024年2月", "2024-04", weight=1, attribute="B. 常规工作"),
                 ("填表说明：1. 本表由质量办汇总。",)],
        "月度进展": [("2024年度月度进展",), PROGRESS_HEADER,
                 report("24A", "2024-03", "20%", "2024-04-02"),
                 report("24A", "4月", 0.5, "2024/5/2"),
                 report("24A", 2024.06, 1, dt.datetime(2024, 7, 2)),
                 report("24B", "5月", 30, "2024-06-03", actual=3),
                 report("24B", "2024-09", "80%", "2024-10-03", actual=8),
                 report("24B", "2024年10月", 0.9, "2024-11-03", actual=10),  # the count is reached at 90 %
                 report("24C", "2月", "10%", "2024-03-03"),
                 report("24C", "2024-04", 40, "2024年5月3日"),
                 ("填表说明：完成比例填百分数。",)],
    }
    # 2025: 25A decomposes plan item GH-2021-05; 25B decomposes 25A
    school.plan_workbooks["tasks-2025.xlsx"] = {
        "任务清单": [("2025年度目标任务清单",), TASK_HEADER,
                 task("25A", "教务处 ", "1月", "3月", parent="GH-2021-05"),
                 task("25B", "教务处", "2025-04", "2025年12月", weight=3, parent="25A", supporting="学生处 、 人事处")],
        "月度进展": [("2025年度月度进展",), PROGRESS_HEADER,
                 report("25A", "3月", "60%", "2025-04-01"),
                 report("25A", "2025-03", 1, "2025-04-05"),  # the same month again, later: it stands
                 report("25B", "5月", 0.1, "2025-06-02"),
                 report("25B", "6月", "10%", "2025-07-02")],  # filed after the as-of date, for June
    }

    def own(layer_zh, entity, code, period, target=None, standard=None, warning=None):
        return (layer_zh, entity, code, period, target, standard, warning, "T001", "2024-09-20")

    school.plan_workbooks["targets-2024-2025.xlsx"] = {"个体目标": [
        ("2024-2025学年个体目标",), TARGET_HEADER,
        own("学生", "2024001", "STU_ATTEND_RATE", TERM_2, target="100%"),          # 100 %: met
        own("学生", "2024001", "STU_ABSENT_PERIODS", TERM_2, 0, 0, 2),             # 0: met
        own("学生", "2024005", "STU_GPA", TERM_1, target=3.5),                      # 3.33: 达标, not met
        own("学生", "2024005", "STU_ATTEND_RATE", TERM_1, 0.99, "96%", 92),        # 68.97 %: 预警
        own("学生", "2024007", "STU_GPA", TERM_2, target=3.0),                      # no grades: not judged
        own("课程", "JXB_D1", "CRS_PASS_RATE", TERM_2, target=95),                  # 93.33 %: 达标, not met
    ]}


def load_plan_workbooks(warehouse: Path, school: RawSchool, folder: Path) -> None:
    """Write the school's plan workbooks into `folder` and load them with ingest, checked
    against the hand-made registers already in the raw warehouse."""
    import ingest
    from tests.ingest.ingest_testkit import write_workbook

    for name, sheets in school.plan_workbooks.items():
        write_workbook(folder / name, sheets)
    results = ingest.run_ingest(warehouse, {}, None, run_id="plan", sources=["plan"], plan_path=folder)
    assert [(r.table_name, r.status, r.rows_quarantined) for r in results] == [
        ("tasks", "ok", 0), ("task_progress", "ok", 0), ("own_targets", "ok", 0)], results


def read_seed(name: str) -> list[dict]:
    with (DBT_PROJECT_DIR / "seeds" / f"{name}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def run_dbt_build(work_dir: Path, warehouse: Path, *flags: str) -> None:
    """`dbt build` in a child process: dbt-duckdb keeps its connection open for the life of
    the process, which would lock the warehouse against the tests' own connection.
    `flags` may set dbt vars, e.g. "--vars", '{"as_of_month": "2025-06"}'."""
    dbt = Path(sys.executable).with_name("dbt")
    command = [
        str(dbt), "build", "--no-use-colors", *flags,
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work_dir / "target"),
        "--log-path", str(work_dir / "logs"),
    ]
    env = {**os.environ, "ZHENGAI_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise AssertionError(f"dbt build failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}")
