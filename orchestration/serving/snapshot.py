"""The analysts' read-only snapshot of the data center: core, marts and the registry.

DuckDB lets one process write a database file, and while it writes nobody else can open
it. So analysts never open the warehouse: after each good build the nightly run copies
core, marts and registry into a new file beside the snapshot and moves it onto the
snapshot path with `os.replace` (atomic on POSIX). An analyst's open connection keeps
reading the file it opened; the next connection reads the new one. No query waits on the
nightly writer, and no analyst can make the nightly run fail.

Personal data stays in the warehouse: columns the source contracts mark as personal
(national id SFZH, phone SJHM) and their data-center names are not copied, and before
the new file replaces the old one every text column is searched for the values of the
sources' SFZH and SJHM columns. A hit refuses the snapshot: analysts keep yesterday's.
"""

from __future__ import annotations

import json
import os
import stat
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

SCHOOL_TZ = ZoneInfo("Asia/Shanghai")
SNAPSHOT_SCHEMAS = ("core", "marts", "registry")
# The source contracts' personal-data columns (SOURCES.md): their values are what the
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
TYPES_THAT_CAN_HOLD_PERSONAL_DATA = frozenset({"VARCHAR", "BIGINT", "UBIGINT", "HUGEINT", "UHUGEINT"})
INFO_TABLE = "snapshot_info"
# The alias of the file being written, so it can never collide with the warehouse's name.
BUILD_ALIAS = "zhengai_snapshot_build"


@dataclass(frozen=True)
class TableDoc:
    """What a table and its columns mean, from the dbt project's documentation."""

    description: str
    columns: dict[str, str] = field(default_factory=dict)


class PersonalDataError(RuntimeError):
    """The new snapshot would contain a personal-data value; it was not published."""


@dataclass
class SnapshotReport:
    path: Path
    published_at: datetime
    tables: dict[str, int] = field(default_factory=dict)  # schema.table → rows
    withheld_columns: list[str] = field(default_factory=list)  # schema.table.column
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def publish_snapshot(
    warehouse: Path,
    snapshot: Path,
    *,
    run_id: str | None = None,
    docs: Mapping[str, TableDoc] | None = None,
) -> SnapshotReport:
    """Copy core, marts and registry of `warehouse` into a new file and move it onto `snapshot`.

    Call it from the process that holds the warehouse (the nightly run, between its
    writing steps): the warehouse is attached read-only and nothing else is touched.
    `docs` ("schema.table" → TableDoc) become table and column comments, which SQL
    clients and BI tools show next to the names.
    """
    started = time.perf_counter()
    warehouse, snapshot = Path(warehouse).resolve(), Path(snapshot).resolve()
    if not warehouse.exists():
        raise FileNotFoundError(f"数据仓库不存在：{warehouse}")
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    # What a killed run left behind (one publisher at a time: the warehouse_writer pool).
    for leftover in snapshot.parent.glob(f".{snapshot.name}.*.building*"):
        leftover.unlink()
    # Same folder, so os.replace is a rename on one file system, never a copy.
    building = snapshot.with_name(f".{snapshot.name}.{uuid.uuid4().hex[:8]}.building")
    report = SnapshotReport(path=snapshot, published_at=datetime.now(SCHOOL_TZ).replace(tzinfo=None))
    try:
        with duckdb.connect() as con:
            con.execute("SET enable_progress_bar = false")  # a nightly step has no terminal
            # dbt writes the warehouse's views with its file name as catalog: attach it so.
            source = warehouse.stem
            con.execute(f"ATTACH {sql_text(str(warehouse))} AS {quote(source)} (READ_ONLY)")
            con.execute(f"ATTACH {sql_text(str(building))} AS {BUILD_ALIAS}")
            con.execute("BEGIN")  # one commit for the whole file, not one per table and comment
            _copy_schemas(con, source, report)
            _comment(con, report, docs or {})
            _write_info(con, report, run_id)
            con.execute("COMMIT")
            # searched once written; a refused file is deleted below and never published
            _refuse_personal_data(con, source, report)
            con.execute(f"DETACH {quote(source)}")
            con.execute(f"DETACH {BUILD_ALIAS}")  # checkpoints: the file is complete on disk
        _fsync(building)
        building.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)  # a snapshot is read, never written
        os.replace(building, snapshot)
        _fsync(snapshot.parent)
    finally:
        for leftover in (building, building.with_name(building.name + ".wal")):
            leftover.unlink(missing_ok=True)
    report.seconds = time.perf_counter() - started
    return report


def _relations(con: duckdb.DuckDBPyConnection, catalog: str, schema: str) -> list[str]:
    return [
        name
        for (name,) in con.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = ? and table_schema = ? order by table_name",
            [catalog, schema],
        ).fetchall()
    ]


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = ? and table_name = ? order by ordinal_position",
        [catalog, schema, table],
    ).fetchall()


def _copy_schemas(con: duckdb.DuckDBPyConnection, source: str, report: SnapshotReport) -> None:
    for schema in SNAPSHOT_SCHEMAS:
        con.execute(f"CREATE SCHEMA {BUILD_ALIAS}.{quote(schema)}")
        # Views (the wide marts) become tables: a view names the warehouse's catalog.
        for table in _relations(con, source, schema):
            kept = []
            for column, _ in _columns(con, source, schema, table):
                if column.lower() in WITHHELD_COLUMN_NAMES:
                    report.withheld_columns.append(f"{schema}.{table}.{column}")
                else:
                    kept.append(quote(column))
            if not kept:
                continue
            target = f"{BUILD_ALIAS}.{quote(schema)}.{quote(table)}"
            (rows,) = con.execute(
                f"CREATE TABLE {target} AS SELECT {', '.join(kept)} FROM {quote(source)}.{quote(schema)}.{quote(table)}"
            ).fetchone()
            report.tables[f"{schema}.{table}"] = rows


def personal_data_columns(con: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str, str]]:
    """(schema, table, column) of every SFZH / SJHM column the ingest loaded."""
    return con.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_catalog = ? and starts_with(table_schema, 'raw_') and upper(column_name) in "
        f"({', '.join('?' for _ in PERSONAL_DATA_SOURCE_COLUMNS)}) order by 1, 2, 3",
        [catalog, *PERSONAL_DATA_SOURCE_COLUMNS],
    ).fetchall()


def _refuse_personal_data(con: duckdb.DuckDBPyConnection, source: str, report: SnapshotReport) -> None:
    sources = personal_data_columns(con, source)
    if not sources:
        return
    values = " union ".join(
        f"select cast({quote(c)} as varchar) as value from {quote(source)}.{quote(s)}.{quote(t)}"
        for s, t, c in sources
    )
    con.execute(f"CREATE TEMP TABLE personal_data AS SELECT DISTINCT value FROM ({values}) WHERE value IS NOT NULL")
    leaks = []
    for name in report.tables:
        schema, table = name.split(".")
        for column, data_type in _columns(con, BUILD_ALIAS, schema, table):
            if data_type not in TYPES_THAT_CAN_HOLD_PERSONAL_DATA:
                continue
            text = f"cast({quote(column)} as varchar)"
            # distinct values first: ids repeat a million times, the search runs once per value
            hits = con.execute(
                "select count(distinct text) from ("
                f"select text, unnest(regexp_extract_all(text, '{PERSONAL_DATA_TOKEN}')) as token from ("
                f"select distinct {text} as text from {BUILD_ALIAS}.{quote(schema)}.{quote(table)} "
                f"where length({text}) >= {PERSONAL_DATA_MIN_LENGTH})) "
                "where token in (select value from personal_data)"
            ).fetchone()[0]
            if hits:
                leaks.append(f"{name}.{column}（{hits} 个不同的值）")
    con.execute("DROP TABLE personal_data")
    if leaks:
        raise PersonalDataError(
            "分析快照未发布：以下列含有源系统的身份证号或手机号，个人敏感信息不得离开数据仓库："
            + "；".join(leaks)
        )


def sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _comment(con: duckdb.DuckDBPyConnection, report: SnapshotReport, docs: Mapping[str, TableDoc]) -> None:
    for name in report.tables:
        doc = docs.get(name)
        if doc is None:
            continue
        schema, table = name.split(".")
        target = f"{BUILD_ALIAS}.{quote(schema)}.{quote(table)}"
        if doc.description:
            con.execute(f"COMMENT ON TABLE {target} IS {sql_text(doc.description)}")
        kept = {column for column, _ in _columns(con, BUILD_ALIAS, schema, table)}
        for column, description in doc.columns.items():
            if column in kept and description:
                con.execute(f"COMMENT ON COLUMN {target}.{quote(column)} IS {sql_text(description)}")


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


def _write_info(con: duckdb.DuckDBPyConnection, report: SnapshotReport, run_id: str | None) -> None:
    con.execute(
        f"CREATE TABLE {BUILD_ALIAS}.main.{INFO_TABLE} (published_at TIMESTAMP, run_id VARCHAR, "
        "tables INTEGER, total_rows BIGINT, withheld_columns VARCHAR[])"
    )
    con.execute(
        f"INSERT INTO {BUILD_ALIAS}.main.{INFO_TABLE} VALUES (?, ?, ?, ?, ?)",
        [report.published_at, run_id, len(report.tables), report.rows, report.withheld_columns],
    )
    con.execute(
        f"COMMENT ON TABLE {BUILD_ALIAS}.main.{INFO_TABLE} IS "
        "'本快照的发布时间、生成它的夜间运行、表数与行数、未复制的个人信息列 · when and by which run this snapshot was published'"
    )


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def read_snapshot_info(snapshot: Path) -> dict | None:
    """The snapshot's own record of when and by which run it was published."""
    with duckdb.connect(str(snapshot), read_only=True) as con:
        row = con.execute(f"select * from main.{INFO_TABLE}").fetchone()
        names = [d[0] for d in con.description]
    return dict(zip(names, row)) if row else None
