"""The analysts' read-only snapshot of the data center: core, data quality, marts and the registry.

Why a copy: DuckDB lets one process write a file and nobody else open it meanwhile, so
analysts read a new file moved onto the snapshot path with `os.replace` after each good
build; open connections keep the file they opened.

Full or delta. The first snapshot is a full copy; later ones start from a file copy of the
previous snapshot and change only what changed: a table whose checksum and columns are
unchanged is kept, a changed one is updated row by row when few rows changed or replaced;
the big facts (BIG_FACTS) take only the keys dbt restamped (`_classified_at`) since the
previous high-water mark, then count and checksum must equal the warehouse's. Anything
doubtful (no or foreign previous file, stamps gone back, a mass restamp, too much free
space) makes a full copy instead; `SnapshotReport.reason` says which.

Personal data. Columns the contracts mark personal (SFZH, SJHM) are not copied, and every
run of 11+ digits/X in the file's text and wide-integer values (kept per column in
main.snapshot_tokens, old rows included) is compared with today's SFZH and SJHM values of
the sources before the file is published; a hit refuses the snapshot and analysts keep
yesterday's.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from zhengai.clock import school_now, school_time
from zhengai.sql import quote_identifier, quote_literal

log = logging.getLogger(__name__)

SNAPSHOT_SCHEMAS = ("core", "data_quality", "marts", "registry")
# The source contracts' personal-data columns (docs/sources.md): their values are what the
# snapshot must never contain, whatever a column is called.
PERSONAL_DATA_SOURCE_COLUMNS = ("SFZH", "SJHM")
# Names under which those columns could reach the data center; never copied.
WITHHELD_COLUMN_NAMES = frozenset({
    "sfzh", "sjhm", "national_id", "id_number", "id_card_number",
    "phone", "phone_number", "mobile", "mobile_phone",
})
# A national id is 18 characters (17 digits and a digit or X), a phone number 11 digits:
# any run of 11 or more such characters inside a text value is compared with them.
PERSONAL_DATA_MIN_LENGTH = 11
PERSONAL_DATA_TOKEN = f"[0-9Xx]{{{PERSONAL_DATA_MIN_LENGTH},}}"
# Text, and integers wide enough for a phone number.
TEXT_TYPES = frozenset({"VARCHAR"})
WIDE_INTEGER_TYPES = frozenset({"BIGINT", "UBIGINT", "HUGEINT", "UHUGEINT"})
TYPES_THAT_CAN_HOLD_PERSONAL_DATA = TEXT_TYPES | WIDE_INTEGER_TYPES
INFO_TABLE = "snapshot_info"
# Bookkeeping of the snapshot itself (schema main): what each table holds, and the tokens.
CONTENTS_TABLE = "snapshot_tables"
TOKENS_TABLE = "snapshot_tokens"
# The alias of the file being written, so it can never collide with the warehouse's name.
BUILD_ALIAS = "zhengai_snapshot_build"
CLASSIFIED_AT = "_classified_at"
# A delta that would restamp more than this share of a fact costs more than a full copy.
DELTA_MAX_SHARE = 0.25
# A changed table is brought up to date row by row when at most this share of its rows
# changed, else replaced whole.
ROW_DIFF_MAX_SHARE = 0.3
# A previous snapshot with more free blocks than this share (and than MIN_FREE_BYTES) is not
# reused: a full copy compacts the file that deletes and replaced tables have left holes in.
MAX_FREE_SHARE = 0.3
MIN_FREE_BYTES = 256 * 2**20
# The publishing connection's settings: the copy streams, so memory stays bounded well
# under the nightly process's budget; rows need no particular order.
CONNECTION_SETTINGS = {"memory_limit": "1GB", "preserve_insertion_order": False,
                       "enable_progress_bar": False}


@dataclass(frozen=True)
class BigFact:
    """A fact too big to copy every night: after the first copy, only its changed rows.

    `table` (schema.table, in the warehouse and the snapshot) carries `_classified_at`, the
    time dbt last wrote the row; `changes` (schema.table in the warehouse, not published),
    when given, has one row per `key` with its `_classified_at`, including the keys that
    left the fact (with a newer stamp): the intermediate model the fact is built from.
    """

    table: str
    key: str
    changes: str | None = None


# The big facts of the data center: incremental, stamped with _classified_at.
BIG_FACTS: tuple[BigFact, ...] = (
    BigFact("core.fct_attendance", "check_in_id", "intermediate.int_jw__check_ins_classified"),
    BigFact("core.fct_dorm_check", "dorm_check_id", "intermediate.int_xg__dorm_checks_classified"),
)


@dataclass(frozen=True)
class TableDoc:
    """What a table and its columns mean, from the dbt project's documentation."""

    description: str
    columns: dict[str, str] = field(default_factory=dict)


class PersonalDataError(RuntimeError):
    """The new snapshot would contain a personal-data value; it was not published."""


class DeltaNotApplicable(RuntimeError):
    """The previous snapshot cannot be brought up to date by a delta: copy in full."""


@dataclass
class SnapshotReport:
    path: Path
    published_at: datetime
    tables: dict[str, int] = field(default_factory=dict)  # schema.table → rows
    withheld_columns: list[str] = field(default_factory=list)  # schema.table.column
    seconds: float = 0.0
    mode: str = "full"  # 'full': everything copied; 'delta': the previous snapshot updated
    reason: str | None = None  # why a full copy (when a delta was not possible)
    copied: list[str] = field(default_factory=list)  # tables copied whole
    kept: list[str] = field(default_factory=list)  # tables unchanged since the previous snapshot
    # tables brought up to date row by row → rows (deleted, inserted)
    diffed: dict[str, tuple[int, int]] = field(default_factory=dict)
    # big fact → rows (deleted, inserted) by the delta
    deltas: dict[str, tuple[int, int]] = field(default_factory=dict)
    classified_through: dict[str, datetime] = field(default_factory=dict)  # big fact → high-water mark
    steps: dict[str, float] = field(default_factory=dict)  # seconds by step

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


@dataclass(frozen=True)
class _Relation:
    """A table or view of the warehouse as it is published."""

    name: str  # schema.table
    columns: tuple[tuple[str, str], ...]  # (column, type) of the columns copied
    view: bool = False  # a view in the warehouse (a table in the snapshot)

    @property
    def signature(self) -> str:
        return json.dumps(self.columns, ensure_ascii=False)

    @property
    def schema(self) -> str:
        return self.name.split(".")[0]

    @property
    def table(self) -> str:
        return self.name.split(".", 1)[1]

    def column_list(self, prefix: str = "") -> str:
        return ", ".join(prefix + quote_identifier(column) for column, _ in self.columns)


@dataclass(frozen=True)
class _Recorded:
    """What the previous snapshot recorded about one of its tables."""

    kind: str  # 'table' or 'big_fact'
    rows: int
    signature: str
    fingerprint: str | None
    classified_through: datetime | None


def _text_list(texts) -> str:
    return ", ".join(quote_literal(text) for text in texts)


def _literal(value: str | datetime | None) -> str:
    """A value written into SQL (bound parameters would make DuckDB import pandas: a second
    or more in a command-line process)."""
    if value is None:
        return "NULL"
    if isinstance(value, datetime):
        return _timestamp(value)
    return quote_literal(str(value))


def qualified(catalog: str, name: str) -> str:
    schema, table = name.split(".", 1)
    return f"{quote_identifier(catalog)}.{quote_identifier(schema)}.{quote_identifier(table)}"


def publish_snapshot(
    warehouse: Path,
    snapshot: Path,
    *,
    run_id: str | None = None,
    docs: Mapping[str, TableDoc] | None = None,
    big_facts: tuple[BigFact, ...] = BIG_FACTS,
    full: bool = False,
) -> SnapshotReport:
    """Publish core, data quality, marts and registry of `warehouse` as the read-only file `snapshot`.

    Call it from the process that holds the warehouse (the nightly run, between its
    writing steps): the warehouse is attached read-only and nothing else is touched.
    `docs` ("schema.table" → TableDoc) become table and column comments, which SQL
    clients and BI tools show next to the names. The previous snapshot is brought up to
    date when it can be (module docstring); `full` copies everything regardless.
    """
    started = time.perf_counter()
    warehouse, snapshot = Path(warehouse).resolve(), Path(snapshot).resolve()
    if not warehouse.exists():
        raise FileNotFoundError(f"数据仓库不存在：{warehouse}")
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    # What a killed run left behind (one publisher at a time: the warehouse_writer pool).
    for leftover in snapshot.parent.glob(f".{snapshot.name}.*.building*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink()
    # Same folder, so os.replace is a rename on one file system, never a copy.
    building = snapshot.with_name(f".{snapshot.name}.{uuid.uuid4().hex[:8]}.building")
    spill = building.with_name(building.name + ".tmp")  # DuckDB's temporary files, if any
    published_at = school_now()
    report = SnapshotReport(path=snapshot, published_at=published_at)
    try:
        reason = "要求全量复制" if full else _reuse_refusal(snapshot, warehouse)
        if reason is None:
            try:
                _build(warehouse, building, spill, report, docs or {}, big_facts, run_id,
                       previous=snapshot)
            except DeltaNotApplicable as exc:
                reason = str(exc)
                log.info("分析快照改为全量复制：%s", reason)
                _remove(building)
        if reason is not None:
            attempt = {"delta_attempt": round(sum(report.steps.values()), 2)} if report.steps else {}
            report = SnapshotReport(path=snapshot, published_at=published_at, reason=reason, steps=attempt)
            _build(warehouse, building, spill, report, docs or {}, big_facts, run_id, previous=None)
        clock = time.perf_counter()
        _fsync(building)
        building.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)  # a snapshot is read, never written
        os.replace(building, snapshot)
        _fsync(snapshot.parent)
        report.steps["replace"] = round(time.perf_counter() - clock, 2)
    finally:
        _remove(building)
        shutil.rmtree(spill, ignore_errors=True)
    report.seconds = time.perf_counter() - started
    return report


def _remove(building: Path) -> None:
    for leftover in (building, building.with_name(building.name + ".wal")):
        leftover.unlink(missing_ok=True)


def _reuse_refusal(snapshot: Path, warehouse: Path) -> str | None:
    """Why the previous snapshot cannot be the start of this one (None: it can)."""
    if not snapshot.exists():
        return "尚无上一版快照"
    if snapshot.with_name(snapshot.name + ".wal").exists():
        return "上一版快照带有预写日志（曾被以写方式打开）"
    try:
        with duckdb.connect(str(snapshot), read_only=True) as con:
            result = con.execute(f"select * from main.{INFO_TABLE}")
            names = [d[0] for d in result.description]
            info = dict(zip(names, result.fetchone() or ()))
            con.execute(f"select count(*) from main.{CONTENTS_TABLE}").fetchone()
            con.execute(f"select count(*) from main.{TOKENS_TABLE}").fetchone()
            schemas = {name for (name,) in con.execute("select schema_name from information_schema.schemata").fetchall()}
            total, free, block_size = con.execute(
                "select total_blocks, free_blocks, block_size from pragma_database_size() "
                "where database_name = current_database()").fetchone()
    except duckdb.Error as exc:
        return f"上一版快照格式较旧或无法读取（{type(exc).__name__}）"
    missing = sorted(set(SNAPSHOT_SCHEMAS) - schemas)
    if missing:
        return f"上一版快照缺少模式 {'、'.join(missing)}"
    if info.get("warehouse") != str(warehouse):
        return f"上一版快照来自另一个数据仓库（{info.get('warehouse')}）"
    if total and free / total > MAX_FREE_SHARE and free * block_size > MIN_FREE_BYTES:
        return f"上一版快照有 {free / total:.0%} 空闲空间（全量复制可压缩）"
    return None


def _connect(spill: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name, value in CONNECTION_SETTINGS.items():
        con.execute(f"SET {name} = {quote_literal(value) if isinstance(value, str) else str(value).lower()}")
    con.execute(f"SET temp_directory = {quote_literal(str(spill))}")
    return con


def _build(warehouse: Path, building: Path, spill: Path, report: SnapshotReport,
           docs: Mapping[str, TableDoc], big_facts: tuple[BigFact, ...], run_id: str | None,
           previous: Path | None) -> None:
    """Write the snapshot into `building`: from scratch, or from a copy of `previous`."""
    clock = time.perf_counter()

    def step(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        report.steps[name] = round(report.steps.get(name, 0) + now - clock, 2)
        clock = now

    if previous is not None:
        shutil.copyfile(previous, building)
        step("file_copy")
    report.mode = "full" if previous is None else "delta"
    with _connect(spill) as con:
        # dbt writes the warehouse's views with its file name as catalog: attach it so.
        source = warehouse.stem
        con.execute(f"ATTACH {quote_literal(str(warehouse))} AS {quote_identifier(source)} (READ_ONLY)")
        con.execute(f"ATTACH {quote_literal(str(building))} AS {BUILD_ALIAS}")
        recorded = _recorded(con) if previous is not None else {}
        relations = _published_relations(con, source, report)
        facts = {fact.table: fact for fact in big_facts if fact.table in relations}
        newest = {name: _newest_stamp(con, source, fact) for name, fact in facts.items()
                  if CLASSIFIED_AT in dict(relations[name].columns)}
        marks = {name: _plan_delta(con, source, relations[name], fact, recorded.get(name), newest.get(name))
                 for name, fact in facts.items()} if previous is not None else {}
        step("plan")
        con.execute("BEGIN")  # one commit for the whole file, not one per table and comment
        if previous is None:
            for schema in SNAPSHOT_SCHEMAS:
                con.execute(f"CREATE SCHEMA {BUILD_ALIAS}.{quote_identifier(schema)}")
            _create_bookkeeping(con)
        for name in sorted(set(recorded) - set(relations)):  # gone from the data center
            _drop(con, name)
        contents = []
        for name, relation in relations.items():
            if name in facts:
                continue
            fingerprint = _fingerprint(con, source, relation)
            rows = int(fingerprint.split(":", 1)[0])
            before = recorded.get(name)
            same_columns = before is not None and before.signature == relation.signature
            if same_columns and before.fingerprint == fingerprint:
                report.kept.append(name)
            elif same_columns and (changed := _apply_row_diff(con, source, relation, before, fingerprint)):
                report.diffed[name] = changed
            else:
                if before:
                    _drop(con, name)
                _copy_whole(con, source, relation)
                report.copied.append(name)
            report.tables[name] = rows
            contents.append((name, "table", rows, relation.signature, fingerprint, None))
        step("tables")
        for name, fact in facts.items():
            relation = relations[name]
            if name in marks:
                report.deltas[name] = _apply_delta(con, source, relation, fact, marks[name])
            else:
                _copy_whole(con, source, relation)
                report.copied.append(name)
            (rows,) = con.execute(f"select count(*) from {qualified(BUILD_ALIAS, name)}").fetchone()
            report.tables[name] = rows
            if newest.get(name) is not None:
                report.classified_through[name] = newest[name]
            contents.append((name, "big_fact", rows, relation.signature, None, newest.get(name)))
        step("big_facts")
        _comment(con, report, docs)
        _write_info(con, report, run_id, contents, str(warehouse))
        con.execute("COMMIT")
        step("commit")
        for name, fact in facts.items():
            if name in marks:
                _verify_delta(con, source, relations[name], fact)
        step("verify")
        # searched once written; a refused file is deleted by the caller and never published
        _refuse_personal_data(con, source)
        step("personal_data")
        con.execute(f"DETACH {quote_identifier(source)}")
        con.execute(f"DETACH {BUILD_ALIAS}")  # checkpoints: the file is complete on disk
        step("checkpoint")


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from information_schema.columns "
        f"where table_catalog = {quote_literal(catalog)} and table_schema = {quote_literal(schema)} "
        f"and table_name = {quote_literal(table)} order by ordinal_position"
    ).fetchall()


def _published_relations(con: duckdb.DuckDBPyConnection, source: str,
                         report: SnapshotReport) -> dict[str, _Relation]:
    """schema.table → what is copied of it: every relation of the published schemas (views
    become tables: a view names the warehouse's catalog), without the withheld columns."""
    columns: dict[str, list[tuple[str, str]]] = {}
    for schema, table, column, data_type in con.execute(
        "select table_schema, table_name, column_name, data_type from information_schema.columns "
        f"where table_catalog = {quote_literal(source)} and table_schema in ({_text_list(SNAPSHOT_SCHEMAS)}) "
        "order by table_schema, table_name, ordinal_position"
    ).fetchall():
        name = f"{schema}.{table}"
        columns.setdefault(name, [])
        if column.lower() in WITHHELD_COLUMN_NAMES:
            report.withheld_columns.append(f"{name}.{column}")
        else:
            columns[name].append((column, data_type))
    views = {f"{schema}.{table}" for schema, table in con.execute(
        "select table_schema, table_name from information_schema.tables "
        f"where table_catalog = {quote_literal(source)} and table_type = 'VIEW'").fetchall()}
    return {name: _Relation(name, tuple(kept), name in views) for name, kept in columns.items() if kept}


def _fingerprint(con: duckdb.DuckDBPyConnection, source: str, relation: _Relation) -> str:
    """'rows:checksum' of a relation's published columns: equal content, equal text."""
    rows, checksum = con.execute(
        f"select count(*), coalesce(sum(hash({relation.column_list()})::hugeint), 0) "
        f"from {qualified(source, relation.name)}"
    ).fetchone()
    return f"{rows}:{checksum}"


def _copy_whole(con: duckdb.DuckDBPyConnection, source: str, relation: _Relation) -> None:
    target = qualified(BUILD_ALIAS, relation.name)
    con.execute(f"CREATE TABLE {target} AS SELECT {relation.column_list()} "
                f"FROM {qualified(source, relation.name)}")
    _add_tokens(con, relation, target)


def _apply_row_diff(con: duckdb.DuckDBPyConnection, source: str, relation: _Relation, before: _Recorded,
                    fingerprint: str) -> tuple[int, int] | None:
    """Bring a changed table of the snapshot copy up to date row by row: delete its rows that
    are no longer in the warehouse, insert the warehouse's rows it lacks. Rows are compared by
    the hash of their published columns (the one the fingerprint sums; joining on one value
    is four times faster than on every column of the status mart). None, and the caller
    replaces the table whole: for views, for nested column types, when more than
    ROW_DIFF_MAX_SHARE of the rows changed (nothing touched then), and when the result's
    fingerprint differs from the warehouse's (rows repeated within a table, which a set
    difference does not count, or two rows of one hash)."""
    if relation.view:  # computed again for each comparison: copying it once is cheaper
        return None
    if any(data_type.endswith("]") or data_type.startswith(("STRUCT", "MAP", "UNION"))
           for _, data_type in relation.columns):
        return None
    target, origin = qualified(BUILD_ALIAS, relation.name), qualified(source, relation.name)
    target_hash, origin_hash = f"hash({relation.column_list('t.')})", f"hash({relation.column_list('o.')})"
    con.execute(f"create or replace temp table snapshot_gone as "
                f"select t.rowid as row_id from {target} t anti join (select {origin_hash} as h from {origin} o) "
                f"as o on {target_hash} = o.h")
    (gone,) = con.execute("select count(*) from snapshot_gone").fetchone()
    if gone > ROW_DIFF_MAX_SHARE * max(before.rows, 1):
        con.execute("drop table snapshot_gone")
        return None
    con.execute(f"create or replace temp table snapshot_new as "
                f"select {relation.column_list('o.')} from {origin} o anti join (select {target_hash} as h from {target} t) "
                f"as t on {origin_hash} = t.h")
    (inserted,) = con.execute(f"insert into {target} select * from snapshot_new").fetchone()
    _add_tokens(con, relation, "snapshot_new")
    (deleted,) = con.execute(f"delete from {target} where rowid in (select row_id from snapshot_gone)").fetchone()
    con.execute("drop table snapshot_gone")
    con.execute("drop table snapshot_new")
    if _fingerprint(con, BUILD_ALIAS, relation) != fingerprint:
        log.info("%s: row by row the snapshot differs from the warehouse (repeated rows); "
                 "replaced whole", relation.name)
        return None
    return deleted, inserted


def _drop(con: duckdb.DuckDBPyConnection, name: str) -> None:
    con.execute(f"DROP TABLE IF EXISTS {qualified(BUILD_ALIAS, name)}")
    for table in (CONTENTS_TABLE, TOKENS_TABLE):
        con.execute(f"DELETE FROM {BUILD_ALIAS}.main.{table} WHERE table_name = {quote_literal(name)}")


# -- the big facts ------------------------------------------------------------------------


def _stamp_sources(fact: BigFact) -> list[str]:
    return [fact.table] + ([fact.changes] if fact.changes else [])


def _newest_stamp(con: duckdb.DuckDBPyConnection, source: str, fact: BigFact) -> datetime | None:
    stamps = " union all ".join(f"select max({quote_identifier(CLASSIFIED_AT)}) as stamp from {qualified(source, name)}"
                                for name in _stamp_sources(fact) if _has_stamp(con, source, name))
    return con.execute(f"select max(stamp) from ({stamps})").fetchone()[0]


def _has_stamp(con: duckdb.DuckDBPyConnection, catalog: str, name: str) -> bool:
    """The relation exists and has a _classified_at column."""
    schema, table = name.split(".", 1)
    return bool(con.execute(
        f"select count(*) from information_schema.columns where table_catalog = {quote_literal(catalog)} "
        f"and table_schema = {quote_literal(schema)} and table_name = {quote_literal(table)} "
        f"and column_name = {quote_literal(CLASSIFIED_AT)}").fetchone()[0])


def _plan_delta(con: duckdb.DuckDBPyConnection, source: str, relation: _Relation, fact: BigFact,
                before: _Recorded | None, newest: datetime | None) -> datetime:
    """The high-water mark past which the fact's rows changed; DeltaNotApplicable when a
    delta cannot or should not bring the previous snapshot's copy up to date."""
    name = relation.name
    if CLASSIFIED_AT not in dict(relation.columns):
        raise DeltaNotApplicable(f"{name} 没有 {CLASSIFIED_AT} 列")
    if before is None or before.kind != "big_fact" or before.classified_through is None:
        raise DeltaNotApplicable(f"上一版快照没有 {name} 的高水位")
    if before.signature != relation.signature:
        raise DeltaNotApplicable(f"{name} 的列已改变")
    mark = before.classified_through
    if newest is None or newest < mark:
        raise DeltaNotApplicable(f"数据仓库中的 {name} 比上一版快照旧（已恢复或重建）")
    changed = max(con.execute(
        f"select count(*) from {qualified(source, table)} where {quote_identifier(CLASSIFIED_AT)} > {_timestamp(mark)}"
    ).fetchone()[0] for table in _stamp_sources(fact) if _has_stamp(con, source, table))
    if changed > DELTA_MAX_SHARE * max(before.rows, 1):
        raise DeltaNotApplicable(f"自上一版快照以来 {name} 有 {changed:,} 行重新分类（全量重建），"
                                 f"全量复制更省")
    return mark


def _apply_delta(con: duckdb.DuckDBPyConnection, source: str, relation: _Relation, fact: BigFact,
                 mark: datetime) -> tuple[int, int]:
    """Delete the keys restamped after `mark`, insert the fact's rows stamped after it."""
    target, key, stamp = qualified(BUILD_ALIAS, relation.name), quote_identifier(fact.key), quote_identifier(CLASSIFIED_AT)
    changed = " union all ".join(f"select {key} from {qualified(source, table)} where {stamp} > {_timestamp(mark)}"
                                 for table in _stamp_sources(fact) if _has_stamp(con, source, table))
    (deleted,) = con.execute(f"DELETE FROM {target} WHERE {key} IN ({changed})").fetchone()
    new_rows = f"(select * from {qualified(source, relation.name)} where {stamp} > {_timestamp(mark)})"
    (inserted,) = con.execute(f"INSERT INTO {target} ({relation.column_list()}) "
                              f"SELECT {relation.column_list()} FROM {new_rows}").fetchone()
    _add_tokens(con, relation, new_rows)
    return deleted, inserted


def _verify_delta(con: duckdb.DuckDBPyConnection, source: str, relation: _Relation, fact: BigFact) -> None:
    """The fact in the snapshot holds exactly the warehouse's (key, _classified_at) pairs."""
    check = f"select count(*), coalesce(sum(hash({quote_identifier(fact.key)}, {quote_identifier(CLASSIFIED_AT)})::hugeint), 0) from {{}}"
    published = con.execute(check.format(qualified(BUILD_ALIAS, relation.name))).fetchone()
    expected = con.execute(check.format(qualified(source, relation.name))).fetchone()
    if published != expected:
        raise DeltaNotApplicable(
            f"增量之后快照中 {relation.name} 有 {published[0]:,} 行，数据仓库有 {expected[0]:,} 行"
            f"（或版本不同）：有行改变而 {CLASSIFIED_AT} 未更新")


def _timestamp(value: datetime) -> str:
    return f"TIMESTAMP {quote_literal(value.isoformat(sep=' '))}"


def _instant(value: datetime) -> str:
    """An aware school-local time as TIMESTAMPTZ: the same instant whatever the reader's zone."""
    return f"TIMESTAMPTZ {quote_literal(school_time(value).isoformat(sep=' '))}"


# -- personal data ------------------------------------------------------------------------


def _add_tokens(con: duckdb.DuckDBPyConnection, relation: _Relation, rows: str) -> None:
    """Record the distinct personal-data-shaped tokens of `rows` (a table or subquery with
    the relation's columns) under the relation's name, those not recorded yet."""
    tokens = f"{BUILD_ALIAS}.main.{TOKENS_TABLE}"
    for column, data_type in relation.columns:
        if data_type in TEXT_TYPES:
            candidates = f"length({quote_identifier(column)}) >= {PERSONAL_DATA_MIN_LENGTH}"
        elif data_type in WIDE_INTEGER_TYPES:  # the cheap test first: at least 11 digits
            bound = 10 ** (PERSONAL_DATA_MIN_LENGTH - 1) - 1
            candidates = f"{quote_identifier(column)} not between -{bound} and {bound}"
        else:
            continue
        # distinct values first: ids repeat a million times, the search runs once per value
        con.execute(f"""
            INSERT INTO {tokens}
            SELECT DISTINCT {quote_literal(relation.name)}, {quote_literal(column)}, found.token FROM (
                SELECT unnest(regexp_extract_all(text, '{PERSONAL_DATA_TOKEN}')) AS token FROM (
                    SELECT DISTINCT cast({quote_identifier(column)} AS varchar) AS text FROM {rows} WHERE {candidates})
            ) AS found
            WHERE NOT EXISTS (
                SELECT 1 FROM {tokens} AS known WHERE known.table_name = {quote_literal(relation.name)}
                  AND known.column_name = {quote_literal(column)} AND known.token = found.token)""")


def personal_data_columns(con: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str, str]]:
    """(schema, table, column) of every SFZH / SJHM column the ingest loaded."""
    return con.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        f"where table_catalog = {quote_literal(catalog)} and starts_with(table_schema, 'raw_') and upper(column_name) in "
        f"({_text_list(PERSONAL_DATA_SOURCE_COLUMNS)}) order by 1, 2, 3"
    ).fetchall()


def _refuse_personal_data(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """Compare every token of the snapshot with today's personal values of the sources."""
    sources = personal_data_columns(con, source)
    if not sources:
        return
    values = " union ".join(
        f"select cast({quote_identifier(c)} as varchar) as value from {quote_identifier(source)}.{quote_identifier(s)}.{quote_identifier(t)}"
        for s, t, c in sources
    )
    leaks = con.execute(
        f"select table_name, column_name, count(distinct token) from {BUILD_ALIAS}.main.{TOKENS_TABLE} "
        f"where token in (select value from ({values}) where value is not null) "
        "group by table_name, column_name order by table_name, column_name"
    ).fetchall()
    if leaks:
        raise PersonalDataError(
            "分析快照未发布：以下列含有源系统的身份证号或手机号，个人敏感信息不得离开数据仓库："
            + "；".join(f"{table}.{column}（{hits} 个不同的值）" for table, column, hits in leaks)
        )


# -- documentation and bookkeeping --------------------------------------------------------


def _comment(con: duckdb.DuckDBPyConnection, report: SnapshotReport, docs: Mapping[str, TableDoc]) -> None:
    for name in report.tables:
        doc = docs.get(name)
        if doc is None:
            continue
        schema, table = name.split(".")
        target = f"{BUILD_ALIAS}.{quote_identifier(schema)}.{quote_identifier(table)}"
        if doc.description:
            con.execute(f"COMMENT ON TABLE {target} IS {quote_literal(doc.description)}")
        kept = {column for column, _ in _columns(con, BUILD_ALIAS, schema, table)}
        for column, description in doc.columns.items():
            if column in kept and description:
                con.execute(f"COMMENT ON COLUMN {target}.{quote_identifier(column)} IS {quote_literal(description)}")


def docs_from_dbt_manifest(manifest: Path) -> dict[str, TableDoc]:
    """"schema.table" → TableDoc for every model and seed the dbt project documents."""
    nodes = json.loads(Path(manifest).read_text(encoding="utf-8"))["nodes"].values()
    return {
        f"{node['schema']}.{node['name']}": TableDoc(
            description=" ".join(node.get("description", "").split()),
            columns={name: " ".join(c.get("description", "").split()) for name, c in node.get("columns", {}).items()},
        )
        for node in nodes
        if node["resource_type"] in {"model", "seed"}
    }


def _create_bookkeeping(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"CREATE TABLE {BUILD_ALIAS}.main.{CONTENTS_TABLE} (table_name VARCHAR, kind VARCHAR, "
        "rows BIGINT, columns VARCHAR, fingerprint VARCHAR, classified_through TIMESTAMP)"
    )
    con.execute(
        f"COMMENT ON TABLE {BUILD_ALIAS}.main.{CONTENTS_TABLE} IS "
        "'快照内部记录：每张表的行数、列、内容校验和与大事实表的分类高水位，供下次增量发布 · "
        "bookkeeping: what each table holds, for the next publish'"
    )
    con.execute(
        f"CREATE TABLE {BUILD_ALIAS}.main.{TOKENS_TABLE} (table_name VARCHAR, column_name VARCHAR, token VARCHAR)"
    )
    con.execute(
        f"COMMENT ON TABLE {BUILD_ALIAS}.main.{TOKENS_TABLE} IS "
        "'快照内部记录：各列中 11 位以上数字串（快照本身已含有），每次发布都与源系统的身份证号、手机号比对 · "
        "bookkeeping: the digit runs of each column, compared with the personal data at every publish'"
    )


def _recorded(con: duckdb.DuckDBPyConnection) -> dict[str, _Recorded]:
    return {
        name: _Recorded(kind, rows, signature, fingerprint, through)
        for name, kind, rows, signature, fingerprint, through in con.execute(
            f"select table_name, kind, rows, columns, fingerprint, classified_through "
            f"from {BUILD_ALIAS}.main.{CONTENTS_TABLE}"
        ).fetchall()
    }


def _write_info(con: duckdb.DuckDBPyConnection, report: SnapshotReport, run_id: str | None,
                contents: list[tuple], warehouse: str) -> None:
    contents_table = f"{BUILD_ALIAS}.main.{CONTENTS_TABLE}"
    con.execute(f"DELETE FROM {contents_table}")
    if contents:
        con.execute(f"INSERT INTO {contents_table} VALUES " + ", ".join(
            f"({quote_literal(name)}, {quote_literal(kind)}, {rows}, {quote_literal(signature)}, "
            f"{_literal(fingerprint)}, {_literal(through)})"
            for name, kind, rows, signature, fingerprint, through in contents))
    con.execute(
        f"CREATE OR REPLACE TABLE {BUILD_ALIAS}.main.{INFO_TABLE} (published_at TIMESTAMPTZ, run_id VARCHAR, "
        "tables INTEGER, total_rows BIGINT, withheld_columns VARCHAR[], mode VARCHAR, full_copy_reason VARCHAR, "
        "warehouse VARCHAR, classified_through MAP(VARCHAR, TIMESTAMP))"
    )
    through = report.classified_through
    con.execute(
        f"INSERT INTO {BUILD_ALIAS}.main.{INFO_TABLE} VALUES ({_instant(report.published_at)}, "
        f"{_literal(run_id)}, {len(report.tables)}, {report.rows}, "
        f"[{_text_list(report.withheld_columns)}]::VARCHAR[], {_literal(report.mode)}, {_literal(report.reason)}, "
        f"{_literal(warehouse)}, map([{_text_list(through)}]::VARCHAR[], "
        f"[{', '.join(_literal(t) for t in through.values())}]::TIMESTAMP[]))"
    )
    con.execute(
        f"COMMENT ON TABLE {BUILD_ALIAS}.main.{INFO_TABLE} IS "
        "'本快照的发布时间、生成它的夜间运行、表数与行数、未复制的个人信息列、全量或增量发布与大事实表的分类高水位 · "
        "when and by which run this snapshot was published, full or delta'"
    )


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def read_snapshot_info(snapshot: Path) -> dict | None:
    """The snapshot's own record of when and by which run it was published (published_at
    aware, in the school's time zone)."""
    with duckdb.connect(str(snapshot), read_only=True) as con:
        row = con.execute(f"select * from main.{INFO_TABLE}").fetchone()
        names = [d[0] for d in con.description]
    if not row:
        return None
    info = dict(zip(names, row))
    if isinstance(info.get("published_at"), datetime):
        info["published_at"] = school_time(info["published_at"])
    return info
