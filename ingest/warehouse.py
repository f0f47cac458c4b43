"""DuckDB side of ingest: raw tables, quarantine, watermarks and the load audit.

Each table loads in one transaction: its batches are staged in a temporary table, duplicate
keys are set aside, the rest is merged into raw_<source>.<TABLE> by the table's mode, and the
quarantine, watermark and audit rows are written before the single commit. A failure rolls
all of it back, so the raw table and its watermark stay as they were.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
import time

import duckdb
import polars as pl

from ingest import contract
from ingest.config import TableConfig

STAGE, REJECT = "_ingest_stage", "_ingest_reject"

META_DDL = """
CREATE SCHEMA IF NOT EXISTS meta;
CREATE TABLE IF NOT EXISTS meta.load_audit (
    run_id VARCHAR, source VARCHAR, table_name VARCHAR, mode VARCHAR,
    rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT,
    watermark_before VARCHAR, watermark_after VARCHAR,
    started_at TIMESTAMP, seconds DOUBLE, status VARCHAR, error VARCHAR);
CREATE TABLE IF NOT EXISTS meta.quarantine (
    run_id VARCHAR, source VARCHAR, table_name VARCHAR, row_key VARCHAR, rule VARCHAR,
    detail VARCHAR, raw_values JSON, quarantined_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS meta.watermarks (
    source VARCHAR, table_name VARCHAR, watermark VARCHAR, updated_at TIMESTAMP,
    PRIMARY KEY (source, table_name));
"""


@dataclass(frozen=True)
class LoadResult:
    source: str
    table_name: str
    mode: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    watermark_before: str | None
    watermark_after: str | None
    seconds: float
    status: str  # 'ok' or 'failed'
    error: str | None = None


def _later(current: str | None, newest: int | str | None) -> str | None:
    """The stored watermark (text) moved to the newest value read, never backwards."""
    if newest is None:
        return current
    if current is None:
        return str(newest)
    return str(max(type(newest)(current), newest))  # ids compare as numbers, stamps as text


def q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class Warehouse:
    """One DuckDB connection for the length of an ingest run (DuckDB has one writer)."""

    def __init__(self, path: Path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(str(path))
        self.con.execute(META_DDL)

    def close(self) -> None:
        self.con.close()

    def watermark(self, table: TableConfig) -> str | None:
        row = self.con.execute(
            "SELECT watermark FROM meta.watermarks WHERE source = ? AND table_name = ?",
            [table.source, table.name]).fetchone()
        return row[0] if row else None

    def load(self, table: TableConfig, batches: Iterable[pl.DataFrame], *, run_id: str,
             watermark_before: str | None, started_at: datetime, clock: float,
             replace_years: set[int] | None = None) -> LoadResult:
        """Load one table atomically and return its audit record (also written)."""
        con = self.con
        con.begin()
        try:
            self._create_raw_table(table)
            con.execute(f"CREATE TEMP TABLE {STAGE} ({self._column_ddl(table)})")
            con.execute(f"CREATE TEMP TABLE {REJECT} (row_key VARCHAR, rule VARCHAR, "
                        f"detail VARCHAR, raw_values VARCHAR)")
            rows_read, newest = 0, None
            for batch in batches:
                rows_read += batch.height
                if table.watermark and batch.height:
                    batch_newest = contract.typed_column(batch, table, table.watermark).max()
                    if batch_newest is not None:
                        newest = batch_newest if newest is None else max(newest, batch_newest)
                checked = contract.check(batch, table)
                self._append(STAGE, checked.valid)
                self._append(REJECT, checked.rejected)

            self._set_aside_duplicates(table)
            if table.mode == "changing" and watermark_before is not None:
                rows_read -= self._drop_seen_versions(table, watermark_before)
            if table.mode == "append":
                self._set_aside_already_loaded(table)
            rows_loaded = self._merge(table, run_id, started_at, replace_years)
            rows_quarantined = con.execute(
                f"INSERT INTO meta.quarantine SELECT ?, ?, ?, row_key, rule, detail, raw_values, "
                f"?::TIMESTAMP FROM {REJECT}",
                [run_id, table.source, table.name, started_at]).fetchone()[0]
            if rows_read != rows_loaded + rows_quarantined:
                raise RuntimeError(f"{table.source}.{table.name}: {rows_read} rows read but "
                                   f"{rows_loaded} loaded + {rows_quarantined} quarantined")

            watermark_after = _later(watermark_before, newest)
            if watermark_after != watermark_before:
                con.execute("INSERT OR REPLACE INTO meta.watermarks VALUES (?, ?, ?, ?)",
                            [table.source, table.name, watermark_after, datetime.now()])
            con.execute(f"DROP TABLE {STAGE}; DROP TABLE {REJECT}")
            result = LoadResult(
                source=table.source, table_name=table.name, mode=table.mode,
                rows_read=rows_read, rows_loaded=rows_loaded, rows_quarantined=rows_quarantined,
                watermark_before=watermark_before, watermark_after=watermark_after,
                seconds=round(time.monotonic() - clock, 3), status="ok")
            self.write_audit(result, run_id, started_at)
            con.commit()
            return result
        except BaseException:
            con.rollback()
            raise

    def write_audit(self, result: LoadResult, run_id: str, started_at: datetime) -> None:
        record = asdict(result)
        self.con.execute(
            "INSERT INTO meta.load_audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, record["source"], record["table_name"], record["mode"], record["rows_read"],
             record["rows_loaded"], record["rows_quarantined"], record["watermark_before"],
             record["watermark_after"], started_at, record["seconds"], record["status"],
             record["error"]])

    # -- steps of a load ----------------------------------------------------------------

    def _column_ddl(self, table: TableConfig) -> str:
        return ", ".join(f"{q(c.name)} {contract.duckdb_type(table, c)}" for c in table.columns)

    def _create_raw_table(self, table: TableConfig) -> None:
        raw = f"{q(table.raw_schema)}.{q(table.name)}"
        self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {q(table.raw_schema)}")
        self.con.execute(f"CREATE TABLE IF NOT EXISTS {raw} ({self._column_ddl(table)}, "
                         f"_load_id VARCHAR, _loaded_at TIMESTAMP)")
        # a column added to the contract later is added to the raw table, empty for old rows
        existing = {r[0] for r in self.con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ?",
            [table.raw_schema, table.name]).fetchall()}
        for c in table.columns:
            if c.name not in existing:
                self.con.execute(f"ALTER TABLE {raw} ADD COLUMN {q(c.name)} "
                                 f"{contract.duckdb_type(table, c)}")

    @staticmethod
    def _columns_sql(table: TableConfig) -> str:
        return ", ".join(q(c) for c in table.column_names)

    @staticmethod
    def _row_key_sql(table: TableConfig) -> str:
        # the same text as contract.row_key_expr gives for rejected rows
        return "concat_ws('|', " + ", ".join(f"CAST({q(k)} AS VARCHAR)" for k in table.key) + ")"

    def _append(self, target: str, frame: pl.DataFrame) -> None:
        if frame.height:
            self.con.register("_ingest_batch", frame.to_arrow())
            self.con.execute(f"INSERT INTO {target} SELECT * FROM _ingest_batch")
            self.con.unregister("_ingest_batch")

    def _set_aside_duplicates(self, table: TableConfig) -> None:
        """Keep one row per key: the newest by watermark for changing tables, else the first
        in column order (deterministic whatever order the source returned); quarantine the rest.
        Only the rows of duplicated keys are ranked: duplicates are rare, loads are large."""
        keys = ", ".join(q(k) for k in table.key)
        same_key = " AND ".join(f"d.{q(k)} = s.{q(k)}" for k in table.key)
        order = [f"{q(c)} ASC NULLS LAST" for c in table.column_names]
        if table.mode == "changing":
            order.insert(0, f"{q(table.watermark)} DESC NULLS LAST")
        kept_by = (f"newest {table.watermark}" if table.mode == "changing"
                   else "first row in column order")
        self.con.execute(f"""
            CREATE TEMP TABLE _ingest_extra AS
            SELECT * FROM (
                SELECT s.rowid AS _row, s.*,
                       row_number() OVER (PARTITION BY {keys} ORDER BY {", ".join(order)}) AS _rank
                FROM {STAGE} s
                WHERE EXISTS (SELECT 1 FROM (SELECT {keys} FROM {STAGE} GROUP BY {keys}
                                             HAVING count(*) > 1) d WHERE {same_key}))
            WHERE _rank > 1""")
        self.con.execute(f"""
            INSERT INTO {REJECT}
            SELECT {self._row_key_sql(table)}, 'duplicate_key',
                   'another row with this key is in the same load (kept: {kept_by})',
                   to_json(struct_pack({self._columns_sql(table)}))
            FROM _ingest_extra;
            DELETE FROM {STAGE} WHERE rowid IN (SELECT _row FROM _ingest_extra);
            DROP TABLE _ingest_extra""")

    def _drop_seen_versions(self, table: TableConfig, watermark_before: str) -> int:
        """The look-back window re-reads rows already handled: drop the versions (key, stamp)
        already in raw or already quarantined, so a re-run reads and loads nothing."""
        raw = f"{q(table.raw_schema)}.{q(table.name)}"
        stamp = q(table.watermark)
        same_key = " AND ".join(f"r.{q(k)} = s.{q(k)}" for k in table.key)
        dropped = self.con.execute(f"""
            DELETE FROM {STAGE} s WHERE s.{stamp} <= ? AND EXISTS (
                SELECT 1 FROM {raw} r WHERE {same_key} AND r.{stamp} = s.{stamp})""",
            [watermark_before]).fetchone()[0]
        json_stamp = f"'$.{table.watermark}'"
        dropped += self.con.execute(f"""
            DELETE FROM {REJECT} j
            WHERE json_extract_string(j.raw_values, {json_stamp}) <= ? AND EXISTS (
                SELECT 1 FROM meta.quarantine m
                WHERE m.source = ? AND m.table_name = ? AND m.row_key = j.row_key
                  AND json_extract_string(m.raw_values, {json_stamp})
                      = json_extract_string(j.raw_values, {json_stamp}))""",
            [watermark_before, table.source, table.name]).fetchone()[0]
        return dropped

    def _set_aside_already_loaded(self, table: TableConfig) -> None:
        """An append-only log sent a key again that an earlier run loaded: quarantine it."""
        raw = f"{q(table.raw_schema)}.{q(table.name)}"
        same_key = " AND ".join(f"r.{q(k)} = s.{q(k)}" for k in table.key)
        loaded_before = f"EXISTS (SELECT 1 FROM {raw} r WHERE {same_key})"
        self.con.execute(f"""
            INSERT INTO {REJECT}
            SELECT {self._row_key_sql(table)}, 'duplicate_key', 'key already loaded by an earlier run',
                   to_json(struct_pack({self._columns_sql(table)}))
            FROM {STAGE} s WHERE {loaded_before}""")
        self.con.execute(f"DELETE FROM {STAGE} s WHERE {loaded_before}")

    def _merge(self, table: TableConfig, run_id: str, loaded_at: datetime,
               replace_years: set[int] | None) -> int:
        raw = f"{q(table.raw_schema)}.{q(table.name)}"
        if table.mode == "snapshot":
            self.con.execute(f"DELETE FROM {raw}")
        elif table.mode == "changing":
            same_key = " AND ".join(f"{raw}.{q(k)} = s.{q(k)}" for k in table.key)
            self.con.execute(f"DELETE FROM {raw} USING {STAGE} s WHERE {same_key}")
        elif table.mode == "yearly":
            years = sorted(replace_years or [])
            self.con.execute(f"DELETE FROM {raw} WHERE collection_year IN "
                             f"(SELECT unnest(?::INTEGER[]))", [years])
        columns = self._columns_sql(table)
        return self.con.execute(
            f"INSERT INTO {raw} ({columns}, _load_id, _loaded_at) "
            f"SELECT {columns}, ?, ?::TIMESTAMP FROM {STAGE}", [run_id, loaded_at]).fetchone()[0]
