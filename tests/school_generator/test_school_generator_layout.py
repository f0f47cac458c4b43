"""The generated sources follow docs/sources.md: tables, columns, types, formats."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

# table -> columns, as docs/sources.md lists them (key first).
TABLES = {
    "jw": {
        "ZFTAL_XTGL_JGDMB": "JG_ID JGDM JGMC LX LSJG_ID",
        "ZFTAL_XTGL_ZYDMB": "ZYH_ID ZYDM ZYMC JG_ID XZ ZT",
        "ZFTAL_XTGL_BJDMB": "BH_ID BJ ZYH_ID NJDM_ID JG_ID",
        "JW_XJGL_XSJBXXB": "XH_ID XH XM XBM CSRQ SFZH SJHM ZYH_ID BH_ID NJDM_ID JG_ID XJZTDM RXRQ GXSJ",
        "JW_JH_KCDMB": "KCH_ID KCH KCMC XF ZXS KCXZ KKBM_ID",
        "JW_JXRW_JXBXXB": "JXB_ID JXBMC KCH_ID XNM XQM JGH_ID ZXS KKBM_ID GXSJ",
        "JW_XK_XSXKB": "JXB_ID XH_ID XNM XQM GXSJ",
        "JW_KQ_SKJLB": "SKJL_ID JXB_ID SKRQ JC XS",
        "JW_KQ_XSKQB": "KQ_ID SKJL_ID XH_ID KQZT CJSJ",
        "JW_CJ_XSCJB": "CJ_ID XH_ID JXB_ID KCH_ID XNM XQM CJ XF JD KSXZ GXSJ",
        "JW_PJ_XSPFB": "PJ_ID JXB_ID JGH_ID XH_ID ZF PJSJ",
        "JW_DD_TKJLB": "TK_ID JXB_ID JGH_ID TKRQ PF DDR",
        "JW_JXSG_JLB": "SG_ID JGH_ID FSRQ SGDJ MS",
    },
    "hr": {
        "RS_BMXX": "BMDM BMMC SJBMDM",
        "RS_JZGJBXX": "GH XM XB CSRQ SFZH SJHM DZYX BMDM RYLB ZC ZCJB XL XW SFSS SFGG SFZYDTR RZRQ ZT GXSJ",
        "RS_PXJL": "PX_ID GH PXMC PXLB KSRQ JSRQ XS",
        "RS_QYSJ": "SJ_ID GH QYMC KSRQ JSRQ TS",
        "KY_XMXX": "XM_ID GH XMMC XMLB JB LXRQ DZJF GXSJ",
        "KY_CGXX": "CG_ID GH CGLX MC JB RQ",
        "RS_JCJL": "JC_ID GH LX MC JB RQ",
    },
    "xg": {
        "XG_XSXX": "XH XM BJMC FDYGH SSLH SSH JJKN GXSJ",
        "XG_CQJL": "JL_ID XH CQRQ ZT JLR JLSJ",
        "XG_WJCF": "CF_ID XH WJRQ WJLX CFDJ CFWH CXRQ GXSJ",
        "XG_JZXJ": "JL_ID XH MC LB JB JE RQ",
        "XG_BYQX": "XH BYNF QXLX DWMC SFDK YX JYSF GXSJ",
        "XG_GZDC": "DC_ID XH BYNF BYSMYD DWMYD DCRQ",
    },
}
# Non-TEXT columns of the contract.
INTEGER = {("JW_KQ_SKJLB", "SKJL_ID"), ("JW_KQ_XSKQB", "SKJL_ID"), ("JW_KQ_XSKQB", "KQ_ID"), ("XG_CQJL", "JL_ID"),
           ("ZFTAL_XTGL_ZYDMB", "XZ"), ("ZFTAL_XTGL_ZYDMB", "ZT"), ("JW_XJGL_XSJBXXB", "XBM"),
           ("JW_KQ_XSKQB", "KQZT"), ("JW_KQ_SKJLB", "XS"), ("XG_GZDC", "BYSMYD"), ("XG_GZDC", "DWMYD")}
INTEGER_ANYWHERE = {"XNM", "NJDM_ID", "BYNF"}
REAL = {("RS_PXJL", "XS")}
REAL_ANYWHERE = {"XF", "ZXS", "JD", "ZF", "PF", "TS", "DZJF", "JE", "YX"}

SHEETS = {
    "A1": ["项目", "内容"],
    "A3": ["项目", "数值"],
    "A5-1": ["项目", "数值"],
    "A6-1": ["教工号", "姓名", "性别", "出生年月", "所属部门", "学历", "学位", "专业技术职务", "专业技术职务等级",
             "是否双师素质", "是否骨干教师", "行业企业一线工作时间（月）"],
    "A6-3": ["编号", "姓名", "工作单位", "专业技术职务", "本学年授课课时"],
    "A7-1-1": ["专业代码", "专业名称", "所属系部", "修业年限", "是否招生", "首次招生年份"],
    "A7-6-1": ["专业代码", "专业名称", "计划招生数", "实际录取数", "实际报到数"],
    "A7-6-2": ["专业代码", "专业名称", "毕业生数", "就业数", "对口就业数", "本省就业数", "平均起薪（元）"],
    "A10-1": ["专业代码", "专业名称", "年级", "在校生数"],
}
KV_ITEMS = {
    "A1": ["学校代码", "学校名称", "举办方", "所在省份", "建校年份"],
    "A3": ["占地面积（平方米）", "教学科研及辅助用房面积（平方米）", "行政办公用房面积（平方米）", "学生宿舍面积（平方米）",
           "教学科研仪器设备资产总值（万元）", "当年新增教学科研仪器设备值（万元）", "纸质图书总数（册）",
           "当年新增纸质图书（册）", "教学用计算机（台）"],
    "A5-1": ["学费收入（万元）", "财政经常性补助收入（万元）", "中央、地方财政专项投入（万元）", "社会捐赠（万元）"],
}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def expected_type(table: str, column: str) -> str:
    if (table, column) in INTEGER or column in INTEGER_ANYWHERE:
        return "INTEGER"
    if (table, column) in REAL or (column in REAL_ANYWHERE and (table, column) not in INTEGER):
        return "REAL"
    return "TEXT"


@pytest.mark.parametrize("system", sorted(TABLES))
def test_every_table_and_column_with_contract_types(school_dir: Path, system: str):
    con = sqlite3.connect(school_dir / f"{system}.sqlite")
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == set(TABLES[system])
    for table, columns in TABLES[system].items():
        info = [(r[1], r[2]) for r in con.execute(f"PRAGMA table_info({table})")]
        assert info == [(c, expected_type(table, c)) for c in columns.split()], table
        assert con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] > 0, f"{table} is empty"


def test_value_formats(sources):
    q = lambda sql: [r[0] for r in sources.execute(sql)]  # noqa: E731
    assert set(q("SELECT DISTINCT XQM FROM JW_JXRW_JXBXXB")) == {"3", "12"}
    assert set(q("SELECT DISTINCT KQZT FROM JW_KQ_XSKQB")) == {1, 2, 3, 4, 5}
    assert set(q("SELECT DISTINCT XJZTDM FROM JW_XJGL_XSJBXXB")) <= {"01", "02", "03", "04", "05"}
    assert {"01", "04"} <= set(q("SELECT DISTINCT XJZTDM FROM JW_XJGL_XSJBXXB"))
    assert set(q("SELECT DISTINCT KSXZ FROM JW_CJ_XSCJB")) == {"正常考试", "补考"}
    grades = set(q("SELECT DISTINCT CJ FROM JW_CJ_XSCJB"))
    assert {"优秀", "良好", "中等", "及格", "不及格", "作弊"} <= grades
    assert all(g.isdigit() and 0 <= int(g) <= 100 for g in grades - {"优秀", "良好", "中等", "及格", "不及格", "缺考",
                                                                    "作弊", "缓考"})
    assert all(re.fullmatch(r"\d{6}", z) for z in q("SELECT ZYDM FROM ZFTAL_XTGL_ZYDMB"))
    for table, column, pattern in (("JW_KQ_XSKQB", "CJSJ", TIMESTAMP), ("JW_XJGL_XSJBXXB", "GXSJ", TIMESTAMP),
                                   ("xg.XG_CQJL", "JLSJ", TIMESTAMP), ("JW_KQ_SKJLB", "SKRQ", DATE),
                                   ("hr.RS_JZGJBXX", "CSRQ", DATE), ("xg.XG_WJCF", "WJRQ", DATE)):
        values = q(f"SELECT {column} FROM {table} LIMIT 2000")
        assert values and all(pattern.match(v) for v in values), (table, column)
    ids = sources.execute("SELECT KQ_ID FROM JW_KQ_XSKQB ORDER BY rowid").fetchall()
    assert sum(b[0] < a[0] for a, b in zip(ids, ids[1:])) == 1, "KQ_ID increases, except the one re-delivered row"


def _check_digit(body: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(c) * w for c, w in zip(body, weights)) % 11]


def test_id_numbers_are_valid_and_match_birth_and_gender(sources):
    rows = sources.execute("SELECT SFZH, CSRQ, XBM FROM JW_XJGL_XSJBXXB").fetchall()
    assert len({r[0] for r in rows}) == len(rows)
    for sfzh, birth, gender in rows:
        assert len(sfzh) == 18 and sfzh[-1] == _check_digit(sfzh[:17])
        assert sfzh[6:14] == birth
        assert int(sfzh[16]) % 2 == (1 if gender == 1 else 0)
    for sfzh, birth, gender in sources.execute("SELECT SFZH, CSRQ, XB FROM hr.RS_JZGJBXX"):
        assert sfzh[-1] == _check_digit(sfzh[:17]) and sfzh[6:14] == birth.replace("-", "")


def test_organisations_come_from_the_registry(sources):
    import csv

    from school_generator.people import DEPARTMENTS_CSV

    with open(DEPARTMENTS_CSV, encoding="utf-8") as f:
        registry = list(csv.DictReader(f))
    assert sorted(sources.execute("SELECT JGDM, JGMC FROM ZFTAL_XTGL_JGDMB")) == sorted(
        (r["department_code"], r["name_zh"]) for r in registry)
    assert sorted(sources.execute("SELECT BMDM, BMMC FROM hr.RS_BMXX")) == sorted(
        (r["hr_code"], r["name_zh"]) for r in registry)
    hr_codes = {r["hr_code"] for r in registry}
    assert {r[0] for r in sources.execute("SELECT DISTINCT BMDM FROM hr.RS_JZGJBXX")} <= hr_codes
    counsellors = {r[0] for r in sources.execute("SELECT GH FROM hr.RS_JZGJBXX WHERE RYLB = '辅导员'")}
    assert {r[0] for r in sources.execute("SELECT DISTINCT FDYGH FROM xg.XG_XSXX")} <= counsellors
    assert sources.execute("SELECT COUNT(*) FROM xg.XG_XSXX x JOIN JW_XJGL_XSJBXXB s USING (XH) "
                           "JOIN ZFTAL_XTGL_BJDMB b USING (BH_ID) WHERE x.BJMC <> b.BJ").fetchone()[0] == 0


def test_workbook_sheets_headers_and_quirks(school_dir: Path):
    wb = openpyxl.load_workbook(school_dir / "state" / "2025.xlsx")
    assert wb.sheetnames == list(SHEETS)
    for name, header in SHEETS.items():
        ws = wb[name]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        assert str(rows[0][0]).startswith(f"表{name} ")
        assert f"A1:{get_column_letter(len(header))}1" in {str(m) for m in ws.merged_cells.ranges}
        assert rows[1] == header
        notes = [i for i, r in enumerate(rows) if isinstance(r[0], str) and r[0].startswith("填表说明：")]
        assert notes and notes[0] > 2 and len(rows) - notes[0] <= 3, name
        if name in KV_ITEMS:
            assert [r[0] for r in rows[2:notes[0]]] == KV_ITEMS[name]
    a3 = {r[0]: r[1] for r in wb["A3"].iter_rows(min_row=3, values_only=True)}
    assert any(isinstance(v, str) and re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", v) for v in a3.values())
    a61 = list(wb["A6-1"].iter_rows(min_row=3, values_only=True))
    months = [r[3] for r in a61 if r[1]]
    assert months and all(isinstance(m, str) and re.fullmatch(r"\d{4}\.\d{2}", m) for m in months[:-2])
    assert {r[9] for r in a61 if r[1]} <= {"是", "否"}
