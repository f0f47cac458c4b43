"""The same-day sync: hourly runs through the day, then the nightly run, on a small generated
school, against a full rebuild of the same sources.

- incremental = full: after an hourly run, a late correction to an old grade, a student moved
  to another class and the nightly run, every mart row (the judged status included) and the
  warnings ledger are those of an empty warehouse built once from the same sources;
- hourly runs e-mail only the same-day control points (nights away from the dorm → the
  counsellor), nothing at all when nothing new crossed a line, and the nightly digest does
  not repeat what an hourly one told. E-mails go through a real SMTP server (aiosmtpd).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.run_once import SyncSummary, run_sync
from school_generator import append_hour, generate, last_day_present
from school_generator.increment import is_holiday
from serving.snapshot import read_snapshot_info
from zhengai.settings import Settings

from tests.end_to_end.end_to_end_testkit import ledger_rows
from tests.serving.serving_testkit import full_copy, snapshot_contents
from tests.expectations.smtp_testkit import Received, smtp_server

SAME_DAY_CODE = "STU_NIGHTS_OUT"  # same_day_digest = true in the shipped registry
COMPARED_SCHEMAS = ("marts",)


@dataclass
class Chain:
    incremental: Settings
    full: Settings
    planted_student: str          # XH of the student planted with a night away
    counsellor: str               # staff id of that student's counsellor
    corrected_grade: str          # CJ_ID of the late-corrected grade
    moved_student: str            # XH_ID moved to another class
    hourly: list[SyncSummary]
    nightly: SyncSummary
    full_sync: SyncSummary
    mail_by_run: list[list[Received]]   # what the SMTP server received in each hourly run, then the nightly


def _next_teaching_day(sources: Path) -> date:
    day = last_day_present(sources) + timedelta(days=1)
    while day.weekday() >= 5 or is_holiday(day):
        day += timedelta(days=1)
    return day


def _later_than_all(con: sqlite3.Connection, table: str) -> str:
    """The source system's stamp of a change made now: after every stamp already in the table
    (the generated registers carry stamps later than the generated teaching days)."""
    return con.execute(f"SELECT datetime(max(GXSJ), '+1 hour') FROM {table}").fetchone()[0]


def _correct_an_old_grade(jw: Path) -> str:
    """A teacher corrects a pass of an earlier term to a fail; the system stamps the change."""
    with sqlite3.connect(jw) as con:
        cj_id = con.execute("SELECT CJ_ID FROM JW_CJ_XSCJB WHERE KSXZ = '正常考试' AND JD >= 2 "
                            "ORDER BY XNM, XQM, CJ_ID LIMIT 1").fetchone()[0]
        con.execute("UPDATE JW_CJ_XSCJB SET CJ = '45', JD = 0, GXSJ = ? WHERE CJ_ID = ?",
                    [_later_than_all(con, "JW_CJ_XSCJB"), cj_id])
    return cj_id


def _move_a_student(jw: Path, xg: Path) -> str:
    """A student changes class within the major: register (教务) and student affairs (学工) both say so."""
    with sqlite3.connect(jw) as con:
        xh_id, xh, major, old_class = con.execute(
            "SELECT XH_ID, XH, ZYH_ID, BH_ID FROM JW_XJGL_XSJBXXB WHERE XJZTDM = '01' ORDER BY XH_ID LIMIT 1").fetchone()
        new_class = con.execute(
            "SELECT min(BH_ID) FROM JW_XJGL_XSJBXXB WHERE ZYH_ID = ? AND BH_ID <> ? AND XJZTDM = '01'",
            [major, old_class]).fetchone()[0]
        classmates = [row[0] for row in con.execute(
            "SELECT XH FROM JW_XJGL_XSJBXXB WHERE BH_ID = ? AND XJZTDM = '01' ORDER BY XH", [new_class])]
        con.execute("UPDATE JW_XJGL_XSJBXXB SET BH_ID = ?, GXSJ = ? WHERE XH_ID = ?",
                    [new_class, _later_than_all(con, "JW_XJGL_XSJBXXB"), xh_id])
    with sqlite3.connect(xg) as con:
        class_name, counsellor = con.execute(
            f"SELECT BJMC, FDYGH FROM XG_XSXX WHERE XH IN ({', '.join('?' for _ in classmates)}) ORDER BY XH LIMIT 1",
            classmates).fetchone()
        con.execute("UPDATE XG_XSXX SET BJMC = ?, FDYGH = ?, GXSJ = ? WHERE XH = ?",
                    [class_name, counsellor, _later_than_all(con, "XG_XSXX"), xh])
    return xh_id


def _plant_a_night_away(xg: Path, day: date) -> tuple[str, str]:
    """The dorm keeper records a night away for a student with a counsellor (the night's last check)."""
    with sqlite3.connect(xg) as con:
        jl_id, xh, counsellor = con.execute(
            "SELECT c.JL_ID, c.XH, s.FDYGH FROM XG_CQJL c JOIN XG_XSXX s ON s.XH = c.XH "
            "WHERE c.CQRQ = ? AND c.ZT = '在寝' AND s.FDYGH IS NOT NULL ORDER BY c.JL_ID DESC LIMIT 1",
            [day.isoformat()]).fetchone()
        con.execute("UPDATE XG_CQJL SET ZT = '夜不归宿' WHERE JL_ID = ?", [jl_id])
    return xh, counsellor


def _copy_sources(source: Path, target: Path) -> None:
    shutil.copytree(source, target)


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> Chain:
    base = tmp_path_factory.mktemp("same_day")
    sources = base / "incremental" / "sources"
    generate(sources, students=300, seed=11, years=1)   # two terms: an old grade to correct
    instance = dg.DagsterInstance.ephemeral()
    with smtp_server() as (smtp_url, collector):
        incremental = Settings.from_env({"ZHENGAI_DATA_DIR": str(base / "incremental"), "ZHENGAI_SMTP_URL": smtp_url})
        assert run_sync(incremental, instance=instance).succeeded     # last night's run, everything told
        ledger_before = base / "ledger_before_the_day.sqlite"
        shutil.copy(incremental.ledger, ledger_before)
        collector.take()

        day = _next_teaching_day(sources)
        mail_by_run, hourly = [], []
        # 08:00: the morning's first sessions, and two changes to older data
        append_hour(sources, day, 8)
        corrected = _correct_an_old_grade(sources / "jw.sqlite")
        moved = _move_a_student(sources / "jw.sqlite", sources / "xg.sqlite")
        hourly.append(run_sync(incremental, instance=instance, same_day=True))
        mail_by_run.append(collector.take())
        # 22:00 the dorm checks, one student away for the night
        append_hour(sources, day, 22)
        student, counsellor = _plant_a_night_away(sources / "xg.sqlite", day)
        hourly.append(run_sync(incremental, instance=instance, same_day=True))
        mail_by_run.append(collector.take())
        # an hour with nothing new
        hourly.append(run_sync(incremental, instance=instance, same_day=True))
        mail_by_run.append(collector.take())
        nightly = run_sync(incremental, instance=instance)
        mail_by_run.append(collector.take())

    # The same sources into an empty warehouse, starting from the same ledger as the day did.
    _copy_sources(sources, base / "full" / "sources")
    full = Settings.from_env({"ZHENGAI_DATA_DIR": str(base / "full")})
    shutil.copy(ledger_before, full.ledger)
    full_sync = run_sync(full, instance=dg.DagsterInstance.ephemeral())
    return Chain(incremental, full, student, counsellor, corrected, moved, hourly, nightly, full_sync, mail_by_run)


def _table_rows(warehouse: Path, schemas: tuple[str, ...]) -> dict[str, list[tuple]]:
    """Every row of every table in the schemas, without the build's own timestamps and row ids,
    doubles to 9 significant digits (DuckDB's parallel sums differ in the last bits)."""
    tables = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for schema, table in con.execute(
                "select table_schema, table_name from information_schema.tables where table_schema in "
                f"({', '.join('?' for _ in schemas)}) and table_type = 'BASE TABLE' order by all", list(schemas)).fetchall():
            columns = con.execute(
                "select column_name, data_type from information_schema.columns where table_schema = ? and table_name = ? "
                "order by ordinal_position", [schema, table]).fetchall()
            kept = [(name, kind) for name, kind in columns if not name.startswith("_") and not name.endswith("_at")]
            select = ", ".join(f'round("{name}"::double, 9 - cast(ceil(log10(abs("{name}") + 1e-300)) as int))'
                               if kind in ("DOUBLE", "FLOAT", "REAL") or kind.startswith("DECIMAL") else f'"{name}"'
                               for name, kind in kept)
            tables[f"{schema}.{table}"] = con.execute(f'select {select} from "{schema}"."{table}" order by all').fetchall()
    return tables


def test_hourly_then_nightly_gives_the_marts_statuses_and_ledger_of_a_full_rebuild(chain: Chain):
    assert all(summary.succeeded for summary in [*chain.hourly, chain.nightly, chain.full_sync])
    incremental = _table_rows(chain.incremental.warehouse, COMPARED_SCHEMAS)
    full = _table_rows(chain.full.warehouse, COMPARED_SCHEMAS)
    assert "marts.mart_quality__status" in incremental and len(incremental) >= 5
    assert sorted(incremental) == sorted(full)
    for table in full:
        assert incremental[table] == full[table], f"{table}: {len(incremental[table])} vs {len(full[table])} rows"
    assert ledger_rows(chain.incremental.ledger) == ledger_rows(chain.full.ledger)

    # the two changes to older data reached the marts of both
    with duckdb.connect(str(chain.incremental.warehouse), read_only=True) as con:
        assert con.execute("select count(*) from core.fct_grade where grade_id = ? and grade_point = 0",
                           [chain.corrected_grade]).fetchone()[0] == 1
        assert con.execute("select count(*) from marts.mart_quality__status where indicator_code = ? and entity_id = ? "
                           "and status = '预警'", [SAME_DAY_CODE, chain.planted_student]).fetchone()[0] == 1


def test_hourly_runs_mail_only_same_day_crossings_once_and_nothing_when_nothing_crossed(chain: Chain):
    morning, night, quiet, nightly = chain.mail_by_run
    # no same-day line crossed in the day's sessions, the late grade or the class move: no e-mail at all
    assert morning == [] and chain.hourly[0].emails == []
    # the night away: the counsellor hears it the same evening, and only of it
    assert night and chain.hourly[1].emails
    assert f"counsellor:{chain.counsellor}" in {email.department_code for email in chain.hourly[1].emails}
    assert len(night) == len(chain.hourly[1].emails)      # what the SMTP server received
    for item in night:
        assert chain.planted_student in item.everything()
    with sqlite3.connect(chain.incremental.ledger) as con:
        told = con.execute(
            "select n.recipient, count(*) from notifications n join warnings w on w.id = n.warning_id "
            "where w.indicator_code = ? and w.entity_id = ? and n.kind = 'new' group by 1",
            [SAME_DAY_CODE, chain.planted_student]).fetchall()
        same_day_told_at = con.execute(
            "select distinct n.sent_at from notifications n join warnings w on w.id = n.warning_id "
            "where w.indicator_code = ? and w.entity_id = ?", [SAME_DAY_CODE, chain.planted_student]).fetchall()
    assert told and all(count == 1 for _, count in told)   # each recipient told of the night away once
    assert len(same_day_told_at) == 1      # told by the 22:00 run, not again at night
    # nothing new: no e-mail
    assert quiet == [] and chain.hourly[2].emails == []
    # the nightly run sends one digest per recipient; the night away was told once, at 22:00 (above)
    assert nightly == [] or len({item.recipient_key for item in nightly}) == len(nightly)


def test_each_hourly_build_runs_only_what_its_new_rows_reach(chain: Chain):
    """The night builds the whole project; an hour builds the nodes downstream of the tables
    that received rows. The plan workbook's refused rows are read and set aside again every
    run, but the same rows set aside again are no news: the quiet hour builds nothing, and
    succeeds."""
    with duckdb.connect(str(chain.incremental.warehouse), read_only=True) as con:
        builds = con.execute("select scope, nodes_selected, changed_sources from meta.data_center_builds "
                             "order by started_at").fetchall()
        refused_again = con.execute("select count(*) from meta.load_audit where source = 'plan' and rows_quarantined > 0 "
                                    "and started_at > (select started_at from meta.data_center_builds order by started_at "
                                    "limit 1 offset 2)").fetchone()[0]
    assert [scope for scope, *_ in builds] == ["full", "changed", "changed", "none", "full"]
    (_, whole, _), morning, evening, quiet, _ = builds
    changed = [json.loads(build[2]) for build in (morning, evening, quiet)]
    # 08:00: the morning's sessions and check-ins, the corrected grade, the moved student
    assert {"raw_jw.JW_KQ_SKJLB", "raw_jw.JW_KQ_XSKQB", "raw_jw.JW_CJ_XSCJB", "raw_jw.JW_XJGL_XSJBXXB",
            "raw_xg.XG_XSXX"} <= set(changed[0])
    # 22:00: the dorm checks only; the quiet hour: no raw table
    assert [table for table in changed[1] if table.startswith("raw_")] == ["raw_xg.XG_CQJL"]
    assert changed[2] == [] and refused_again > 0
    assert 0 == quiet[1] < evening[1] < morning[1] < whole
    # the evening's build reached the status: site and snapshot follow; the quiet hour's did not
    assert chain.hourly[1].snapshot and chain.hourly[1].report_site
    assert chain.hourly[2].succeeded and chain.hourly[2].models_built == 0
    assert chain.hourly[2].report_site is None


def test_the_snapshot_after_the_day_is_a_delta_equal_to_a_full_copy(chain: Chain, tmp_path: Path):
    """After the hours and the night the analysts' snapshot was brought up to date, not copied
    again (the check-ins and dorm checks as a delta of the rows dbt stamped), and it holds what
    a full copy of the warehouse holds: the real build's counterpart of tests/serving/test_snapshot_delta.py."""
    assert chain.nightly.snapshot == str(chain.incremental.snapshot)
    info = read_snapshot_info(chain.incremental.snapshot)
    assert info["mode"] == "delta", info["full_copy_reason"]
    assert set(info["classified_through"]) == {"core.fct_attendance", "core.fct_dorm_check"}
    published = snapshot_contents(chain.incremental.snapshot)
    assert len(published["core.fct_attendance"]) > 0 and "core.fct_grade" in published
    assert published == snapshot_contents(full_copy(chain.incremental.warehouse, tmp_path))
