"""Small hand-made sources in the exact layouts of docs/sources.md, with planted contract breaks.

PLANTED lists what the contract must quarantine: (source, table) -> {rule: count}.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import duckdb
import openpyxl

import ingest

# table -> [(column, SQLite type)], as the vendors ship them (SQLite declared column types)
LAYOUTS = {
    "jw": {
        "ZFTAL_XTGL_JGDMB": "JG_ID TEXT, JGDM TEXT, JGMC TEXT, LX TEXT, LSJG_ID TEXT",
        "ZFTAL_XTGL_ZYDMB": "ZYH_ID TEXT, ZYDM TEXT, ZYMC TEXT, JG_ID TEXT, XZ INTEGER, ZT INTEGER",
        "ZFTAL_XTGL_BJDMB": "BH_ID TEXT, BJ TEXT, ZYH_ID TEXT, NJDM_ID INTEGER, JG_ID TEXT",
        "JW_XJGL_XSJBXXB": "XH_ID TEXT, XH TEXT, XM TEXT, XBM INTEGER, CSRQ TEXT, SFZH TEXT, "
                           "SJHM TEXT, ZYH_ID TEXT, BH_ID TEXT, NJDM_ID INTEGER, JG_ID TEXT, "
                           "XJZTDM TEXT, RXRQ TEXT, GXSJ TEXT",
        "JW_JH_KCDMB": "KCH_ID TEXT, KCH TEXT, KCMC TEXT, XF REAL, ZXS REAL, KCXZ TEXT, KKBM_ID TEXT",
        "JW_JXRW_JXBXXB": "JXB_ID TEXT, JXBMC TEXT, KCH_ID TEXT, XNM INTEGER, XQM TEXT, "
                          "JGH_ID TEXT, ZXS REAL, KKBM_ID TEXT, GXSJ TEXT",
        "JW_XK_XSXKB": "JXB_ID TEXT, XH_ID TEXT, XNM INTEGER, XQM TEXT, GXSJ TEXT",
        "JW_KQ_SKJLB": "SKJL_ID INTEGER, JXB_ID TEXT, SKRQ TEXT, JC TEXT, XS INTEGER",
        "JW_KQ_XSKQB": "KQ_ID INTEGER, SKJL_ID INTEGER, XH_ID TEXT, KQZT INTEGER, CJSJ TEXT",
        "JW_CJ_XSCJB": "CJ_ID TEXT, XH_ID TEXT, JXB_ID TEXT, KCH_ID TEXT, XNM INTEGER, XQM TEXT, "
                       "CJ TEXT, XF REAL, JD REAL, KSXZ TEXT, GXSJ TEXT",
        "JW_PJ_XSPFB": "PJ_ID TEXT, JXB_ID TEXT, JGH_ID TEXT, XH_ID TEXT, ZF REAL, PJSJ TEXT",
        "JW_DD_TKJLB": "TK_ID TEXT, JXB_ID TEXT, JGH_ID TEXT, TKRQ TEXT, PF REAL, DDR TEXT",
        "JW_JXSG_JLB": "SG_ID TEXT, JGH_ID TEXT, FSRQ TEXT, SGDJ TEXT, MS TEXT",
    },
    "hr": {
        "RS_BMXX": "BMDM TEXT, BMMC TEXT, SJBMDM TEXT",
        "RS_JZGJBXX": "GH TEXT, XM TEXT, XB TEXT, CSRQ TEXT, SFZH TEXT, SJHM TEXT, DZYX TEXT, "
                      "BMDM TEXT, RYLB TEXT, ZC TEXT, ZCJB TEXT, XL TEXT, XW TEXT, SFSS TEXT, "
                      "SFGG TEXT, SFZYDTR TEXT, RZRQ TEXT, ZT TEXT, GXSJ TEXT",
        "RS_PXJL": "PX_ID TEXT, GH TEXT, PXMC TEXT, PXLB TEXT, KSRQ TEXT, JSRQ TEXT, XS REAL",
        "RS_QYSJ": "SJ_ID TEXT, GH TEXT, QYMC TEXT, KSRQ TEXT, JSRQ TEXT, TS REAL",
        "KY_XMXX": "XM_ID TEXT, GH TEXT, XMMC TEXT, XMLB TEXT, JB TEXT, LXRQ TEXT, DZJF REAL, "
                   "GXSJ TEXT",
        "KY_CGXX": "CG_ID TEXT, GH TEXT, CGLX TEXT, MC TEXT, JB TEXT, RQ TEXT",
        "RS_JCJL": "JC_ID TEXT, GH TEXT, LX TEXT, MC TEXT, JB TEXT, RQ TEXT",
    },
    "xg": {
        "XG_XSXX": "XH TEXT, XM TEXT, BJMC TEXT, FDYGH TEXT, SSLH TEXT, SSH TEXT, JJKN TEXT, "
                   "GXSJ TEXT",
        "XG_CQJL": "JL_ID INTEGER, XH TEXT, CQRQ TEXT, ZT TEXT, JLR TEXT, JLSJ TEXT",
        "XG_WJCF": "CF_ID TEXT, XH TEXT, WJRQ TEXT, WJLX TEXT, CFDJ TEXT, CFWH TEXT, CXRQ TEXT, "
                   "GXSJ TEXT",
        "XG_JZXJ": "JL_ID TEXT, XH TEXT, MC TEXT, LB TEXT, JB TEXT, JE REAL, RQ TEXT",
        "XG_BYQX": "XH TEXT, BYNF INTEGER, QXLX TEXT, DWMC TEXT, SFDK TEXT, YX REAL, JYSF TEXT, "
                   "GXSJ TEXT",
        "XG_GZDC": "DC_ID TEXT, XH TEXT, BYNF INTEGER, BYSMYD INTEGER, DWMYD INTEGER, DCRQ TEXT",
    },
}

T0 = "2025-06-01 08:00:00"


def _students(n: int = 6):
    return [f"X{i:04d}" for i in range(n)]


def rows_of():
    """Rows per table; planted contract breaks are commented."""
    xh = _students()
    kq = [(i, 1 + i % 3, xh[i % 6], 1 + i % 5, f"2024-10-0{1 + i % 3} 08:0{i % 10}:00")
          for i in range(1, 21)]
    kq += [
        (5, 2, xh[0], 4, "2024-10-02 08:05:00"),  # the same KQ_ID 5 arrives twice
        (21, 1, xh[1], 9, "2024-10-03 08:00:00"),  # KQZT outside 1..5
        (22, 1, None, 1, "2024-10-03 08:00:00"),   # no student
    ]
    return {
        "jw": {
            "ZFTAL_XTGL_JGDMB": [("J101", "101", "机电工程学院", "教学单位", None),
                                 ("J102", "102", "信息工程学院", "教学单位", None),
                                 ("J201", "201", "某职能部门", "职能部门", None)],
            "ZFTAL_XTGL_ZYDMB": [("Z1", "460301", "机电一体化技术", "J101", 3, 1),
                                 ("Z2", "510201", "计算机应用技术", "J102", 3, 1)],
            "ZFTAL_XTGL_BJDMB": [("B1", "机电2401", "Z1", 2024, "J101"),
                                 ("B2", "计应2401", "Z2", 2024, "J102")],
            "JW_XJGL_XSJBXXB": [
                (f"S{i}", xh[i], f"学生{i}", 1 + i % 2, "20060101", f"ID{i}", None, "Z1", "B1",
                 2024, "J101", "01", "2024-09-01", T0) for i in range(6)
            ] + [
                ("S6", "X0006", "学生6", 1, "20060101", None, None, "Z1", "B1", 2024, "J101",
                 "09", "2024-09-01", T0),  # XJZTDM outside 01..05
                ("S7", "X0007", "学生7", 3, "20060101", None, None, "Z1", "B1", 2024, "J101",
                 "01", "2024-09-01", T0),  # XBM outside 1/2
            ],
            "JW_JH_KCDMB": [("K1", "C001", "高等数学", 4.0, 64.0, "公共基础课", "J101"),
                            ("K2", "C002", "C语言", 3.5, 56.0, "专业核心课", "J102")],
            "JW_JXRW_JXBXXB": [("JXB1", "高数1班", "K1", 2024, "3", "T001", 64.0, "J101", T0),
                               ("JXB2", "C语言1班", "K2", 2024, "3", "T002", 56.0, "J102", T0)],
            "JW_XK_XSXKB": [("JXB1", s, 2024, "3", T0) for s in ["S0", "S1", "S2"]]
                           + [("JXB2", s, 2024, "3", T0) for s in ["S3", "S4"]],
            "JW_KQ_SKJLB": [(1, "JXB1", "2024-10-01", "1-2", 2), (2, "JXB1", "2024-10-02", "3-4", 2),
                            (3, "JXB2", "2024-10-03", "1-2", 2)],
            "JW_KQ_XSKQB": kq,
            "JW_CJ_XSCJB": [
                ("CJ1", "S0", "JXB1", "K1", 2024, "3", "85", 4.0, 3.5, "正常考试", T0),
                ("CJ2", "S1", "JXB1", "K1", 2024, "3", "良好", 4.0, 3.0, "正常考试", T0),
                ("CJ3", "S2", "JXB1", "K1", 2024, "3", "缺考", 4.0, 0.0, "正常考试", T0),
                ("CJ4", "S3", "JXB2", "K2", 2024, "3", "59", "abc", 0.0, "正常考试", T0),  # XF not a number
            ],
            "JW_PJ_XSPFB": [("PJ1", "JXB1", "T001", "S0", 92.0, T0),
                            ("PJ2", "JXB1", "T001", None, 88.5, T0)],  # anonymous is fine
            "JW_DD_TKJLB": [("TK1", "JXB1", "T001", "2024-10-10", 90.0, "督导甲")],
            "JW_JXSG_JLB": [("SG1", "T002", "2024-11-01", "一般", "迟到10分钟")],
        },
        "hr": {
            "RS_BMXX": [("B0101", "机电工程学院", None), ("B0102", "信息工程学院", None)],
            "RS_JZGJBXX": [
                ("T001", "张三", "男", "1980-01-01", None, None, None, "B0101", "专任教师", "教授",
                 "正高", "博士研究生", "博士", "是", "是", "否", "2005-07-01", "在职", T0),
                ("T002", "李四", "女", "1990-05-01", None, None, None, "B0102", "专任教师", "讲师",
                 "中级", "硕士研究生", "硕士", "否", "否", "否", "2015-07-01", "在职", T0),
            ],
            "RS_PXJL": [("PX1", "T001", "国培计划", "国培", "2024-07-01", "2024-07-10", 40.0)],
            "RS_QYSJ": [("SJ1", "T002", "某科技公司", "2024-07-01", "2024-08-01", 30.0)],
            "KY_XMXX": [("XM1", "T001", "智能制造研究", "纵向", "省级", "2024-03-01", 12.5, T0)],
            "KY_CGXX": [("CG1", "T001", "论文", "某论文", "核心", "2024-05-01")],
            "RS_JCJL": [("JC1", "T002", "奖励", "优秀教师", "校级", "2024-09-10")],
        },
        "xg": {
            "XG_XSXX": [(x, f"学生{i}", "机电2401", "T003", "1号楼", "101", "无", T0)
                        for i, x in enumerate(xh)],
            "XG_CQJL": [(i, xh[i % 6], "2024-10-01", "在寝", "宿管", "2024-10-01 22:30:00")
                        for i in range(1, 11)],
            "XG_WJCF": [("CF1", xh[0], "2024-11-01", "旷课", "警告", "院发〔2024〕1号", None, T0)],
            "XG_JZXJ": [("JL1", xh[1], "国家励志奖学金", "奖学金", "国家级", 5000.0, "2024-12-01")],
            "XG_BYQX": [(xh[2], 2025, "签约就业", "某公司", "是", 4500.0, "浙江", T0)],
            "XG_GZDC": [("DC1", xh[2], 2024, 4, None, "2025-06-01")],
        },
    }


PLANTED = {
    ("jw", "JW_KQ_XSKQB"): {"duplicate_key": 1, "code_not_allowed": 1, "null_required": 1},
    ("jw", "JW_XJGL_XSJBXXB"): {"code_not_allowed": 2},
    ("jw", "JW_CJ_XSCJB"): {"bad_type": 1},
    ("state", "a6_1"): {"bad_type": 1},
}


def write_sqlite(path: Path, tables: dict[str, str], rows: dict[str, list[tuple]]) -> None:
    with sqlite3.connect(path) as db:
        for table, columns in tables.items():
            db.execute(f"CREATE TABLE {table} ({columns})")
            if rows[table]:
                marks = ", ".join("?" * len(rows[table][0]))
                db.executemany(f"INSERT INTO {table} VALUES ({marks})", rows[table])


# --- the state workbook -------------------------------------------------------------------

NOTES = [("填表说明：1. 数据截至8月31日。",), ("2. 金额单位为万元。",)]


def state_sheets(year: int) -> dict[str, list[tuple]]:
    """sheet -> rows (title, header, data…, notes), as the state platform exports them."""
    return {
        "A1": [("表A1 院校基本信息",), ("项目", "内容"),
               ("学校代码", "12345"), ("学校名称", "某职业技术学院"), ("举办方", "省教育厅"),
               ("所在省份", "浙江省"), ("建校年份", "1985")] + NOTES,
        "A3": [("表A3 基本办学条件",), ("项目", "数值"),
               ("占地面积（平方米）", "512,345.6"), ("教学科研及辅助用房面积（平方米）", 210000),
               ("行政办公用房面积（平方米）", "20,000"), ("学生宿舍面积（平方米）", "150,000"),
               ("教学科研仪器设备资产总值（万元）", "23,456.78"),
               ("当年新增教学科研仪器设备值（万元）", 1234.5), ("纸质图书总数（册）", "1,200,000"),
               ("当年新增纸质图书（册）", "30,000"), ("教学用计算机（台）", "3,000")] + NOTES,
        "A5-1": [("表A5-1 经费收入",), ("项目", "数值"),
                 ("学费收入（万元）", "8,765.4"), ("财政经常性补助收入（万元）", "20,000"),
                 ("中央、地方财政专项投入（万元）", "3,000"), ("社会捐赠（万元）", "12.5")] + NOTES,
        "A6-1": [("表A6-1 校内专任教师基本情况",),
                 ("教工号", "姓名", "性别", "出生年月", "所属部门", "学历", "学位", "专业技术职务",
                  "专业技术职务等级", "是否双师素质", "是否骨干教师", "行业企业一线工作时间（月）"),
                 ("T001", "张三", "男", "1980.01", "机电工程学院", "博士研究生", "博士", "教授",
                  "正高", "是", "是", "24"),
                 ("T002", "李四", "女", "2019.09", "信息工程学院", "硕士研究生", "硕士", "讲师",
                  "中级", "否", "否", "1,200"),
                 ("T003", "王五", "男", "1985.10", "信息工程学院", "大学本科", "学士", "助教",
                  "初级", "可能", "否", "0"),  # 可能 is not 是/否
                 (None,) * 12,  # blank row
                 ] + NOTES,
        "A6-3": [("表A6-3 校外兼职教师",), ("编号", "姓名", "工作单位", "专业技术职务", "本学年授课课时"),
                 ("W01", "赵六", "某制造公司", "高级工程师", "64")] + NOTES,
        "A7-1-1": [("表A7-1-1 开设专业",),
                   ("专业代码", "专业名称", "所属系部", "修业年限", "是否招生", "首次招生年份"),
                   ("460301", "机电一体化技术", "机电工程学院", "3", "是", "2005"),
                   ("510201", "计算机应用技术", "信息工程学院", 3, "是", 2008)] + NOTES,
        "A7-6-1": [("表A7-6-1 招生",), ("专业代码", "专业名称", "计划招生数", "实际录取数", "实际报到数"),
                   ("460301", "机电一体化技术", "1,000", "980", "950")] + NOTES,
        "A7-6-2": [("表A7-6-2 应届毕业生就业",),
                   ("专业代码", "专业名称", "毕业生数", "就业数", "对口就业数", "本省就业数", "平均起薪（元）"),
                   ("460301", "机电一体化技术", "300", "290", "250", "200", "4,500.5")] + NOTES,
        "A10-1": [("表A10-1 在校生",), ("专业代码", "专业名称", "年级", "在校生数"),
                  ("460301", "机电一体化技术", "2023", "310"),
                  ("460301", "机电一体化技术", "2024", "1,020")] + NOTES,
    }


def write_workbook(path: Path, sheets: dict[str, list[tuple]], merge_titles: bool = False) -> None:
    """The sheets as a workbook; merge_titles merges every one-cell row (title, notes) across
    the table's width, as the state platform's export does."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        width = max(len(row) for row in rows)
        for row in rows:
            sheet.append(list(row))
            if merge_titles and len(row) == 1 and row[0] is not None and width > 1:
                sheet.merge_cells(start_row=sheet.max_row, start_column=1,
                                  end_row=sheet.max_row, end_column=width)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


class Sources:
    """A hand-made school: three SQLite sources and one state workbook under `root`."""

    def __init__(self, root: Path):
        self.root = root
        self.state = root / "state"
        root.mkdir(parents=True, exist_ok=True)
        self.rows = rows_of()
        for source, tables in LAYOUTS.items():
            write_sqlite(self.db(source), tables, self.rows[source])
        write_workbook(self.state / "2025.xlsx", state_sheets(2025))

    def db(self, source: str) -> Path:
        return self.root / f"{source}.sqlite"

    @property
    def urls(self) -> dict[str, str]:
        return {s: f"sqlite:///{self.db(s)}" for s in LAYOUTS}

    def execute(self, source: str, sql: str, params=()) -> None:
        with sqlite3.connect(self.db(source)) as db:
            if params and isinstance(params[0], tuple):
                db.executemany(sql, params)
            else:
                db.execute(sql, params)

    def count(self, source: str, table: str) -> int:
        with sqlite3.connect(self.db(source)) as db:
            return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]




# --- comparing warehouses --------------------------------------------------------------

DATABASE_SOURCES = ["jw", "hr", "xg"]


def raw_tables(warehouse: Path, sources: list[str] = DATABASE_SOURCES) -> dict[str, list[tuple]]:
    """Every raw table of the sources, rows ordered, without the load columns."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {f"{t.source}.{t.name}": con.execute(
            f'SELECT * EXCLUDE (_load_id, _loaded_at) FROM raw_{t.source}."{t.name}" ORDER BY ALL'
        ).fetchall() for t in ingest.load_config().tables(sources)}


def differing_raw_tables(warehouse: Path, reference: Path,
                         sources: list[str] = DATABASE_SOURCES) -> dict[str, tuple[list, list]]:
    """Raw tables whose rows (as multisets, without the load columns) differ between two
    warehouses: table -> (a few rows only in warehouse, a few only in reference). Compared
    inside DuckDB, so large tables stay cheap."""
    differing = {}
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{warehouse}' AS loaded (READ_ONLY)")
        con.execute(f"ATTACH '{reference}' AS expected (READ_ONLY)")
        for t in ingest.load_config().tables(sources):
            rows = {db: f"SELECT * EXCLUDE (_load_id, _loaded_at) "
                        f'FROM {db}.raw_{t.source}."{t.name}"' for db in ("loaded", "expected")}
            only_loaded = con.execute(
                f"{rows['loaded']} EXCEPT ALL {rows['expected']} LIMIT 3").fetchall()
            only_expected = con.execute(
                f"{rows['expected']} EXCEPT ALL {rows['loaded']} LIMIT 3").fetchall()
            if only_loaded or only_expected:
                differing[f"{t.source}.{t.name}"] = (only_loaded, only_expected)
    return differing


def quarantine(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("SELECT source, table_name, row_key, rule, detail, raw_values::VARCHAR "
                           "FROM meta.quarantine ORDER BY ALL").fetchall()


def copy_school(school: Path, to: Path) -> Path:
    """A private copy of a generated school (its sources are changed by the test)."""
    shutil.copytree(school, to)
    return to


def sqlite_urls(school: Path) -> dict[str, str]:
    return {s: f"sqlite:///{school / f'{s}.sqlite'}" for s in DATABASE_SOURCES}
