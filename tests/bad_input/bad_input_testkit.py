"""The bad-input corpus: a small generated school into which each case injects one kind of bad
input, in its own entity, so one pair of nights carries them all.

Night 1 loads the school with the rows that are bad from the start; night 2 (a full refresh,
which reconciles the keys of the watermark tables with the source) follows changes
made after a first load (a deleted row, a re-sent id, a renamed column, a missing sheet, a
corrupt workbook, a source whose URL carries a password and does not answer). A process
killed mid-sync is the one kind not here: tests/ingest/test_kill.py kills ingest with
SIGKILL at every step of a load and proves the next run recovers exactly.

Deterministic: the school comes from a fixed seed and every case picks its rows by key order.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

# The password of the source URL night 2 cannot reach; no text of the run may contain it.
SOURCE_PASSWORD = "Corpus-Pw-5b9e1d"
# The staff id a student's counsellor is given on night 1; HR has nobody by it.
UNKNOWN_COUNSELLOR = "T404404"
SCHOOL = {"students": 200, "seed": 13, "years": 1}   # the corpus plants its rows in 2024-2025


@dataclass(frozen=True)
class Case:
    """One injected bad input and where the night must put it.

    outcome: quarantine (in meta.quarantine with a rule), left_out (in
    data_quality.dq_unjudged_records), deleted (gone from core, counted in the load audit),
    load_failed (the table keeps the previous night's rows, the others load), loaded (odd
    but valid: in raw as sent, not quarantined).
    """

    kind: str
    night: int
    source: str
    table: str
    key_column: str
    key: str
    column: str
    outcome: str
    rules: tuple[str, ...] = ()  # acceptable quarantine rules; empty: any
    named_in_alert: tuple[str, ...] = ()  # what the engineers' alert must name
    value: str | None = None

    @property
    def raw_table(self) -> str:
        return f"raw_{self.source}.{self.table}"


@dataclass
class Night:
    cases: list[Case] = field(default_factory=list)
    source_rows: dict[str, int] = field(default_factory=dict)  # raw table → rows in the source before the night


def _connect(sources: Path, name: str) -> sqlite3.Connection:
    return sqlite3.connect(sources / f"{name}.sqlite")


def _first(connection: sqlite3.Connection, sql: str, *params) -> tuple:
    row = connection.execute(sql, params).fetchone()
    assert row is not None, sql
    return row


def _insert(connection: sqlite3.Connection, table: str, row: dict) -> None:
    names = ", ".join(row)
    connection.execute(f"insert into {table} ({names}) values ({', '.join('?' for _ in row)})", list(row.values()))


def _copy_row(connection: sqlite3.Connection, table: str, where: str, changes: dict) -> dict:
    cursor = connection.execute(f"select * from {table} where {where} limit 1")
    names = [column[0] for column in cursor.description]
    row = dict(zip(names, cursor.fetchone()))
    row.update(changes)
    _insert(connection, table, row)
    return row


def _count_rows(sources: Path, cases: list[Case]) -> dict[str, int]:
    counts = {}
    for case in cases:
        if case.source in ("jw", "hr", "xg"):
            with _connect(sources, case.source) as connection:
                counts[case.raw_table] = connection.execute(f"select count(*) from {case.table}").fetchone()[0]
    return counts


def inject_first_night(sources: Path) -> Night:
    """Rows bad from the start, each in an entity of its own."""
    cases = []
    with _connect(sources, "jw") as jw:
        # a class session dated 2099-13-45, with check-ins
        session_id, class_id = _first(jw, "select max(SKJL_ID) + 1, min(JXB_ID) from JW_KQ_SKJLB")
        _insert(jw, "JW_KQ_SKJLB", {"SKJL_ID": session_id, "JXB_ID": class_id, "SKRQ": "2099-13-45", "JC": "1-2", "XS": 2})
        next_check_in = _first(jw, "select max(KQ_ID) + 1 from JW_KQ_XSKQB")[0]
        students = [row[0] for row in jw.execute(
            "select distinct XH_ID from JW_KQ_XSKQB where SKJL_ID = (select min(SKJL_ID) from JW_KQ_SKJLB where JXB_ID = ?)"
            " order by XH_ID limit 3", [class_id])]
        for offset, student in enumerate(students):
            _insert(jw, "JW_KQ_XSKQB", {"KQ_ID": next_check_in + offset, "SKJL_ID": session_id, "XH_ID": student,
                                        "KQZT": 4, "CJSJ": "2024-10-08 08:00:00"})
        cases.append(Case("impossible_date", 1, "jw", "JW_KQ_SKJLB", "SKJL_ID", str(session_id), "SKRQ", "quarantine",
                          named_in_alert=("raw_jw.JW_KQ_SKJLB", "SKJL_ID", "SKRQ", str(session_id)), value="2099-13-45"))
        # a check-in status outside the contract
        code_check_in = next_check_in + len(students)
        _insert(jw, "JW_KQ_XSKQB", {"KQ_ID": code_check_in, "SKJL_ID": 1, "XH_ID": students[0], "KQZT": 9,
                                    "CJSJ": "2024-09-02 08:00:00"})
        cases.append(Case("code_outside_contract", 1, "jw", "JW_KQ_XSKQB", "KQ_ID", str(code_check_in), "KQZT",
                          "quarantine", rules=("code_not_allowed",),
                          named_in_alert=("raw_jw.JW_KQ_XSKQB", "KQ_ID", "KQZT", str(code_check_in))))
        # grades: stamped in 2099, scored 150, graded in a word nobody uses, sent without a key
        grade_where = "CJ_ID = (select min(CJ_ID) from JW_CJ_XSCJB)"
        _copy_row(jw, "JW_CJ_XSCJB", grade_where, {"CJ_ID": "BAD0000001", "GXSJ": "2099-01-01 00:00:00"})
        cases.append(Case("future_timestamp", 1, "jw", "JW_CJ_XSCJB", "CJ_ID", "BAD0000001", "GXSJ", "quarantine",
                          named_in_alert=("raw_jw.JW_CJ_XSCJB", "CJ_ID", "GXSJ", "BAD0000001"), value="2099-01-01 00:00:00"))
        _copy_row(jw, "JW_CJ_XSCJB", grade_where, {"CJ_ID": "BAD0000002", "CJ": "150"})
        cases.append(Case("out_of_range_score", 1, "jw", "JW_CJ_XSCJB", "CJ_ID", "BAD0000002", "CJ", "quarantine",
                          named_in_alert=("raw_jw.JW_CJ_XSCJB", "CJ_ID", "CJ", "BAD0000002"), value="150"))
        _copy_row(jw, "JW_CJ_XSCJB", grade_where, {"CJ_ID": "BAD0000003", "CJ": "优+"})
        cases.append(Case("unknown_grade_word", 1, "jw", "JW_CJ_XSCJB", "CJ_ID", "BAD0000003", "CJ", "quarantine",
                          named_in_alert=("raw_jw.JW_CJ_XSCJB", "CJ_ID", "CJ", "BAD0000003"), value="优+"))
        _copy_row(jw, "JW_CJ_XSCJB", grade_where, {"CJ_ID": None})
        cases.append(Case("null_key", 1, "jw", "JW_CJ_XSCJB", "CJ_ID", "", "CJ_ID", "quarantine", rules=("null_key",),
                          named_in_alert=("raw_jw.JW_CJ_XSCJB", "CJ_ID", "列 CJ_ID")))
        # an evaluation scored 999 out of 100
        _copy_row(jw, "JW_PJ_XSPFB", "PJ_ID = (select min(PJ_ID) from JW_PJ_XSPFB)", {"PJ_ID": "PJBAD00001", "ZF": 999.0})
        cases.append(Case("out_of_range_score", 1, "jw", "JW_PJ_XSPFB", "PJ_ID", "PJBAD00001", "ZF", "quarantine",
                          named_in_alert=("raw_jw.JW_PJ_XSPFB", "PJ_ID", "ZF", "PJBAD00001"), value="999"))
    with _connect(sources, "xg") as xg:
        # a sanction dated 0000-00-00
        _copy_row(xg, "XG_WJCF", "CF_ID = (select min(CF_ID) from XG_WJCF)", {"CF_ID": "CFBAD00001", "WJRQ": "0000-00-00"})
        cases.append(Case("impossible_date", 1, "xg", "XG_WJCF", "CF_ID", "CFBAD00001", "WJRQ", "quarantine",
                          named_in_alert=("raw_xg.XG_WJCF", "CF_ID", "WJRQ", "CFBAD00001"), value="0000-00-00"))
        # a counsellor HR does not know: loaded as sent, caught by a dbt data test (warn) of dim_student
        xg.execute(f"update XG_XSXX set FDYGH = '{UNKNOWN_COUNSELLOR}' where XH = (select min(XH) from XG_XSXX)")
    with _connect(sources, "hr") as hr:
        # a training named with a zero-width space, full-width spaces and an emoji: valid text
        odd = "\u3000Python\u200b 培训😀  "
        _copy_row(hr, "RS_PXJL", "PX_ID = (select min(PX_ID) from RS_PXJL)", {"PX_ID": "PXODD00001", "PXMC": odd})
        cases.append(Case("odd_text", 1, "hr", "RS_PXJL", "PX_ID", "PXODD00001", "PXMC", "loaded", value=odd))
    return Night(cases, _count_rows(sources, cases))


def inject_second_night(sources: Path) -> Night:
    """Changes after the first load. The source whose URL carries SOURCE_PASSWORD is set by the caller."""
    cases = []
    with _connect(sources, "jw") as jw:
        # a grade deleted in the source
        deleted = _first(jw, "select CJ_ID from JW_CJ_XSCJB where CJ_ID like '0%' order by CJ_ID limit 1 offset 1")[0]
        jw.execute("delete from JW_CJ_XSCJB where CJ_ID = ?", [deleted])
        cases.append(Case("deleted_source_row", 2, "jw", "JW_CJ_XSCJB", "CJ_ID", deleted, "CJ_ID", "deleted",
                          named_in_alert=("raw_jw.JW_CJ_XSCJB", "CJ_ID", "源系统已删除")))
        # a check-in sent again, below the watermark, with another status
        check_in, session, student = _first(
            jw, "select KQ_ID, SKJL_ID, XH_ID from JW_KQ_XSKQB where KQZT = 1 order by KQ_ID limit 1")
        _insert(jw, "JW_KQ_XSKQB", {"KQ_ID": check_in, "SKJL_ID": session, "XH_ID": student, "KQZT": 4,
                                    "CJSJ": "2024-09-02 09:00:00"})
        cases.append(Case("resent_append_id", 2, "jw", "JW_KQ_XSKQB", "KQ_ID", str(check_in), "", "quarantine",
                          named_in_alert=("raw_jw.JW_KQ_XSKQB", "KQ_ID", str(check_in)), value="4"))
    with _connect(sources, "xg") as xg:
        # the vendor renamed a column of the awards table
        xg.execute("alter table XG_JZXJ rename column RQ to HJRQ")
        cases.append(Case("renamed_column", 2, "xg", "XG_JZXJ", "JL_ID", "", "RQ", "load_failed",
                          named_in_alert=("raw_xg/xg_jzxj", "XG_JZXJ", "RQ")))
    workbook_path = sources / "state" / "2025.xlsx"
    workbook = openpyxl.load_workbook(workbook_path)
    del workbook["A6-1"]  # a sheet left out of this year's workbook
    workbook.save(workbook_path)
    cases.append(Case("missing_sheet", 2, "state", "a6_1", "collection_year", "", "A6-1", "load_failed",
                      named_in_alert=("raw_state/a6_1", "A6-1")))
    # a plan workbook that is no workbook (a download cut short, a file renamed to .xlsx)
    (sources / "plan" / "targets-2024-2025.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    cases.append(Case("corrupt_workbook", 2, "plan", "own_targets", "", "", "", "load_failed",
                      named_in_alert=("raw_plan/own_targets", "targets-2024-2025.xlsx")))
    cases.append(Case("bad_password_url", 2, "hr", "RS_PXJL", "PX_ID", "", "", "load_failed",
                      named_in_alert=("raw_hr/rs_pxjl",)))
    return Night(cases, _count_rows(sources, [case for case in cases if case.outcome != "load_failed"]))


def unreachable_url(port: int) -> str:
    """A PostgreSQL URL with a password, on a port where nothing listens."""
    return f"postgresql+psycopg2://zhengai:{SOURCE_PASSWORD}@127.0.0.1:{port}/hr"
