"""The planted findings hold by plain SQL on the sources, and only they cross the lines
the brief keeps clean."""

from __future__ import annotations

from pathlib import Path

import openpyxl

TERM_NAME = "CAST(XNM AS TEXT) || '-' || CAST(XNM + 1 AS TEXT) || '-' || CASE XQM WHEN '3' THEN '1' ELSE '2' END"
FAIL = ("CASE WHEN CJ IN ('缺考', '作弊', '不及格') THEN 1 WHEN CJ IN ('优秀', '良好', '中等', '及格') THEN 0 "
        "WHEN CJ = '缓考' THEN NULL WHEN CAST(CJ AS REAL) < 60 THEN 1 ELSE 0 END")


def planted(manifest: dict, indicator: str) -> set[tuple[str, str]]:
    finding = next(f for f in manifest["findings"] if f["indicator_code"] == indicator)
    return {(e["entity_id"], e["period"]) for e in finding["entities"]}


def attendance_view(sources) -> None:
    sources.executescript(f"""
        CREATE TEMP TABLE IF NOT EXISTS att AS
        SELECT r.XH, s.JXB_ID, {TERM_NAME} AS term, substr(s.SKRQ, 1, 7) AS month, s.XS, k.KQZT
        FROM (SELECT DISTINCT KQ_ID, SKJL_ID, XH_ID, KQZT FROM JW_KQ_XSKQB) k
        JOIN JW_KQ_SKJLB s USING (SKJL_ID) JOIN JW_JXRW_JXBXXB j USING (JXB_ID)
        JOIN JW_XJGL_XSJBXXB r USING (XH_ID)
        WHERE k.KQZT <> 5;
    """)


def test_exactly_the_planted_students_miss_ten_periods(sources, manifest):
    attendance_view(sources)
    found = set(sources.execute("SELECT XH, term FROM att WHERE KQZT = 4 GROUP BY 1, 2 HAVING SUM(XS) >= 10"))
    assert found == planted(manifest, "STU_ABSENT_PERIODS")
    low = set(sources.execute("SELECT XH, term FROM att GROUP BY 1, 2 "
                              "HAVING SUM(XS) >= 20 AND 100.0 * SUM(XS * (KQZT IN (1, 2, 3))) / SUM(XS) < 90"))
    stopped = {(e["entity_id"], e["period"]) for f in manifest["findings"] for e in f["entities"]
               if e.get("stopped_coming")}
    assert low == stopped and len(stopped) == 1


def test_exactly_the_planted_class_month_has_low_attendance(sources, manifest):
    attendance_view(sources)
    found = set(sources.execute("SELECT JXB_ID, month FROM att GROUP BY 1, 2 "
                                "HAVING SUM(XS) >= 40 AND 100.0 * SUM(XS * (KQZT IN (1, 2, 3))) / SUM(XS) < 90"))
    assert found == planted(manifest, "CRS_ATTEND_RATE")


def test_dorm_findings(sources, manifest):
    nights = {(x, m) for x, m in sources.execute(
        "SELECT XH, substr(CQRQ, 1, 7) FROM xg.XG_CQJL WHERE ZT = '夜不归宿' GROUP BY 1, 2")}
    assert nights == planted(manifest, "STU_NIGHTS_OUT")
    late = set(sources.execute("SELECT XH, substr(CQRQ, 1, 7) FROM xg.XG_CQJL WHERE ZT = '晚归' "
                               "GROUP BY 1, 2 HAVING COUNT(*) > 3"))
    assert late == planted(manifest, "STU_LATE_RETURNS")


def test_grade_findings(sources, manifest):
    sources.executescript(f"""
        CREATE TEMP TABLE IF NOT EXISTS g AS
        SELECT r.XH, {TERM_NAME} AS term, c.JXB_ID, c.XF, c.JD, {FAIL} AS fail
        FROM JW_CJ_XSCJB c JOIN JW_XJGL_XSJBXXB r USING (XH_ID) WHERE c.KSXZ = '正常考试';
    """)
    failing = set(sources.execute("SELECT XH, term FROM g GROUP BY 1, 2 HAVING SUM(fail) >= 3"))
    assert failing == planted(manifest, "STU_FAILED_COURSES")
    low_gpa = set(sources.execute("SELECT XH, term FROM g WHERE JD IS NOT NULL GROUP BY 1, 2 "
                                  "HAVING SUM(XF) >= 6 AND SUM(JD * XF) / SUM(XF) < 2.0"))
    assert low_gpa == failing
    assert all(v < 1.5 for (v,) in sources.execute(
        "SELECT SUM(JD * XF) / SUM(XF) FROM g WHERE JD IS NOT NULL GROUP BY XH, term HAVING SUM(fail) >= 3"))
    classes = set(sources.execute("SELECT JXB_ID, term FROM g GROUP BY 1, 2 "
                                  "HAVING COUNT(fail) >= 10 AND 100.0 * (1 - AVG(fail)) < 80"))
    assert classes == planted(manifest, "CRS_PASS_RATE")


def test_sanctions_in_force(sources, manifest):
    in_force = {x for (x,) in sources.execute("SELECT XH FROM xg.XG_WJCF WHERE CXRQ IS NULL OR CXRQ >= '2024-09-01'")}
    assert in_force == {x for x, _ in planted(manifest, "STU_SANCTIONS")} and len(in_force) == 2


def test_teacher_findings(sources, manifest):
    full_time = "(SELECT GH FROM hr.RS_JZGJBXX WHERE RYLB = '专任教师' AND ZT = '在职')"
    low = set(sources.execute(f"SELECT p.JGH_ID, '2024-2025' FROM JW_PJ_XSPFB p JOIN JW_JXRW_JXBXXB j USING (JXB_ID) "
                              f"WHERE j.XNM = 2024 AND p.JGH_ID IN {full_time} GROUP BY 1 "
                              f"HAVING COUNT(*) >= 20 AND AVG(ZF) < 80"))
    assert low == planted(manifest, "TCH_EVAL_SCORE")
    classes = set(sources.execute(f"SELECT JXB_ID, {TERM_NAME} FROM JW_PJ_XSPFB JOIN JW_JXRW_JXBXXB USING (JXB_ID) "
                                  f"GROUP BY 1, 2 HAVING COUNT(*) >= 10 AND AVG(ZF) < 80"))
    also = {(w["entity_id"], w["period"]) for w in manifest["expected_warnings"]
            if w["indicator_code"] == "CRS_EVAL_SCORE"}
    assert classes == also and classes
    incidents = {(gh, "2024-2025") for (gh,) in sources.execute("SELECT JGH_ID FROM JW_JXSG_JLB")}
    assert incidents == planted(manifest, "TCH_INCIDENTS")


def test_employment_and_college_ratio(sources, manifest):
    low = set(sources.execute(
        "SELECT z.ZYDM, CAST(b.BYNF AS TEXT) FROM xg.XG_BYQX b JOIN JW_XJGL_XSJBXXB s USING (XH) "
        "JOIN ZFTAL_XTGL_ZYDMB z USING (ZYH_ID) GROUP BY 1, 2 "
        "HAVING COUNT(*) >= 10 AND 100.0 * AVG(b.QXLX <> '待就业') < 80"))
    assert low == planted(manifest, "MAJ_EMPLOY_RATE")
    ratios = dict(sources.execute("""
        SELECT j.JGDM, 1.0 * (SELECT COUNT(*) FROM JW_XJGL_XSJBXXB s WHERE s.JG_ID = j.JG_ID AND s.XJZTDM = '01')
               / (SELECT COUNT(*) FROM hr.RS_JZGJBXX t JOIN hr.RS_BMXX b USING (BMDM)
                  WHERE b.BMMC = j.JGMC AND t.RYLB = '专任教师' AND t.ZT = '在职')
        FROM ZFTAL_XTGL_JGDMB j WHERE j.LX = '教学单位'"""))
    over = {(code, "2024-2025") for code, r in ratios.items() if r > 22}
    assert over == planted(manifest, "COL_STUDENT_TEACHER_RATIO")
    assert all(r <= 18 for code, r in ratios.items() if (code, "2024-2025") not in over)


def test_data_quality_findings(sources, manifest, school_dir: Path):
    dq = {d["check"]: d for d in manifest["data_quality"]}
    dup = sources.execute("SELECT KQ_ID, COUNT(*), COUNT(DISTINCT XH_ID || SKJL_ID || CJSJ) FROM JW_KQ_XSKQB "
                          "GROUP BY 1 HAVING COUNT(*) > 1").fetchall()
    assert dup == [(dq["duplicate_kq_id"]["KQ_ID"], 2, 1)]
    orphans = sources.execute("SELECT KQ_ID, XH_ID FROM JW_KQ_XSKQB WHERE XH_ID NOT IN "
                              "(SELECT XH_ID FROM JW_XJGL_XSJBXXB)").fetchall()
    assert orphans == [(dq["orphan_xh_id"]["KQ_ID"], dq["orphan_xh_id"]["XH_ID"])]
    wb = openpyxl.load_workbook(school_dir / "state" / "2025.xlsx", read_only=True)
    reported = {r[0] for r in wb["A6-1"].iter_rows(min_row=3, values_only=True)
                if r[0] and not str(r[0]).startswith("填表说明") and r[1]}
    hr = {gh for (gh,) in sources.execute("SELECT GH FROM hr.RS_JZGJBXX WHERE RYLB = '专任教师' AND ZT = '在职'")}
    assert reported - hr == {dq["state_a6_1_teacher_missing_from_hr"]["entity_id"]}
    assert hr <= reported


def test_expected_warnings_cover_every_finding(manifest):
    expected = {(w["indicator_code"], w["entity_id"], w["period"]) for w in manifest["expected_warnings"]}
    for f in manifest["findings"]:
        assert {(f["indicator_code"], e, p) for e, p in planted(manifest, f["indicator_code"])} <= expected
    assert {code for code, _, _ in expected} >= {"STU_ATTEND_RATE", "STU_GPA", "CRS_EVAL_SCORE"}
