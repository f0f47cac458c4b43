"""DuckDB side of ingest: raw tables, quarantine, watermarks and the load audit.

A table is first read and checked in full without touching the warehouse: its valid rows
are staged in Parquet files (in `.<warehouse file>.ingest-stage/` beside it, so memory stays
bounded whatever the table's size), its keys and rejected rows kept in memory. Then, in one
transaction: duplicate keys are set aside, rows that repeat what earlier loads handled are
dropped or quarantined, the rest is merged into raw_<source>.<TABLE> by the table's mode
(one INSERT from the stage; a snapshot table only its new and changed rows), and the
quarantine, watermark and audit rows are written before the single commit. A failure
rolls all of it back, and a process killed at any point leaves no trace (DuckDB recovers
committed transactions only): the raw table and its watermark stay as they were until a
load completes.

Only small sets (duplicated keys, look-back rows, re-sent ids) are compared with the
warehouse; nightly loads, which have none of the first and few of the others, skip most joins.
The look-back re-reads its last days every night: those rows, all seen before, are dropped by
an anti join (a literal list of positions when few), and a load left with nothing new
writes nothing. Beside the watermark, meta.watermarks keeps where the read of a SQLite log
ended (read_position, see sql_source.py), written in the same transaction.

An append log's reconciliation reads again the ranges of ids whose count differs between the
source and the warehouse (runner.py): there, rows raw, the quarantine or meta.corrections
already hold are dropped as a multiset (a row the source holds twice and the warehouse once
is new once), and the rest goes through the same checks as a night's new rows: an id already
loaded is quarantined as duplicate_key, or replaces the loaded row where the log allows
corrections (the replaced row kept in meta.corrections).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
import shutil
import tempfile
import time

import duckdb
import polars as pl

from ingest import contract
from ingest.config import TableConfig
from zhengai.sql import quote_identifier, quote_literal
from ingest.connectors.database import IdRanges, ReadPosition

ROW = "_ingest_row"  # position of a row in this load
PROBE = "_ingest_probe"  # a small Arrow table registered for one query
DROPPED = "_ingest_dropped"  # positions of the rows set aside, when there are many
# up to this many positions set aside are written into the query as a literal list
LITERAL_POSITIONS = 1_000
# rows per stage file: big enough for fast writes, small enough to bound memory
CHUNK_ROWS = 1_000_000

META_DDL = """
CREATE SCHEMA IF NOT EXISTS meta;
CREATE TABLE IF NOT EXISTS meta.load_audit (
    run_id VARCHAR, source VARCHAR, table_name VARCHAR, mode VARCHAR,
    rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT,
    watermark_before VARCHAR, watermark_after VARCHAR,
    started_at TIMESTAMP, seconds DOUBLE, status VARCHAR, error VARCHAR, connector VARCHAR);
ALTER TABLE meta.load_audit ADD COLUMN IF NOT EXISTS connector VARCHAR;
ALTER TABLE meta.load_audit ADD COLUMN IF NOT EXISTS rows_future_dated BIGINT DEFAULT 0;
ALTER TABLE meta.load_audit ADD COLUMN IF NOT EXISTS rows_deleted BIGINT DEFAULT 0;
ALTER TABLE meta.load_audit ADD COLUMN IF NOT EXISTS rows_corrected BIGINT DEFAULT 0;
-- what the load changed in raw: rows inserted (new rows, new versions of changed rows) and removed
ALTER TABLE meta.load_audit ADD COLUMN IF NOT EXISTS rows_written BIGINT;
ALTER TABLE meta.load_audit ADD COLUMN IF NOT EXISTS rows_removed BIGINT;
CREATE TABLE IF NOT EXISTS meta.quarantine (
    run_id VARCHAR, source VARCHAR, table_name VARCHAR, row_key VARCHAR, rule VARCHAR,
    detail VARCHAR, raw_values JSON, quarantined_at TIMESTAMP);
ALTER TABLE meta.quarantine ADD COLUMN IF NOT EXISTS column_name VARCHAR;
ALTER TABLE meta.quarantine ADD COLUMN IF NOT EXISTS value VARCHAR;
ALTER TABLE meta.quarantine ADD COLUMN IF NOT EXISTS reason VARCHAR;
CREATE TABLE IF NOT EXISTS meta.watermarks (
    source VARCHAR, table_name VARCHAR, watermark VARCHAR, updated_at TIMESTAMP,
    PRIMARY KEY (source, table_name));
ALTER TABLE meta.watermarks ADD COLUMN IF NOT EXISTS read_position VARCHAR;
CREATE TABLE IF NOT EXISTS meta.corrections (
    run_id VARCHAR, source VARCHAR, table_name VARCHAR, row_key VARCHAR, raw_values JSON,
    corrected_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS meta.reconciliations (
    source VARCHAR, table_name VARCHAR, reconciled_at TIMESTAMP, run_id VARCHAR,
    source_keys BIGINT, rows_deleted BIGINT, rows_restored BIGINT,
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
    connector: str | None = None  # what read the source: duckdb-postgres, sqlalchemy, csv, xlsx
    # of rows_quarantined: stamped later than the run's start (re-read until loaded)
    rows_future_dated: int = 0
    # raw rows marked deleted by this run's key reconciliation (not part of rows_read)
    rows_deleted: int = 0
    # of rows_loaded: ids an append log sent again, replacing the row loaded before
    rows_corrected: int = 0
    # What the load changed in raw (0 and 0 on a night without changes; rows_loaded counts
    # the rows of the read that raw now holds, changed or not): rows inserted, and rows
    # removed (older versions of changed rows, rows a snapshot no longer holds)
    rows_written: int | None = None
    rows_removed: int | None = None


def _later(current: str | None, newest: int | str | None) -> str | None:
    """The stored watermark (text) moved to the newest value read, never backwards."""
    if newest is None:
        return current
    if current is None:
        return str(newest)
    return str(max(type(newest)(current), newest))  # ids compare as numbers, stamps as text




class Warehouse:
    """One DuckDB connection for the length of an ingest run (DuckDB has one writer)."""

    def __init__(self, path: Path, not_after: str | None = None):
        path = Path(path)
        # the latest watermark stamp a load of this run accepts (see load())
        self.not_after = not_after
        path.parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(str(path))
        # beside the warehouse, whose write lock this process now holds: files a killed
        # load left there are nobody's any more
        self.stage_root = path.parent / f".{path.name}.ingest-stage"
        shutil.rmtree(self.stage_root, ignore_errors=True)
        # DuckDB's own progress bar would print over the CLI's bars and summary
        self.con.execute("SET enable_progress_bar = false")
        # raw tables are sets: inserting in any order lets DuckDB write in parallel with less
        # memory
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute(META_DDL)

    def close(self) -> None:
        self.con.close()

    def watermark(self, table: TableConfig) -> str | None:
        row = self.con.execute(
            "SELECT watermark FROM meta.watermarks WHERE source = ? AND table_name = ?",
            [table.source, table.name]).fetchone()
        return row[0] if row else None

    def position(self, table: TableConfig) -> str | None:
        """Where the last load's read of a SQLite log ended (sql_source.ReadPosition)."""
        row = self.con.execute(
            "SELECT read_position FROM meta.watermarks WHERE source = ? AND table_name = ?",
            [table.source, table.name]).fetchone()
        return row[0] if row else None

    def load(self, table: TableConfig, batches: Iterable[pl.DataFrame], *, run_id: str,
             watermark_before: str | None, started_at: datetime, clock: float,
             replace_years: set[int] | None = None, connector: str | None = None,
             position: ReadPosition | None = None,
             refused: pl.DataFrame | None = None, not_after: str | None = None,
             recheck: IdRanges = ()) -> LoadResult:
        """Load one table atomically and return its audit record (also written). `position`
        (where the source table ended when the read began) is stored with the watermark.
        `refused`: rows the connector read and set aside itself (REJECTED_SCHEMA), counted as
        read and quarantined with the rest. `not_after`: the latest GXSJ accepted (the run's
        start plus the clock tolerance); later rows are quarantined as future-dated and the
        watermark stays before them, so they are read again. `recheck`: the id ranges of an
        append log read again by its reconciliation; their rows already held are dropped."""
        not_after = not_after or self.not_after
        with Stage(table, self.stage_root) as stage:
            rows_read, newest, quarantine = 0, None, []
            if refused is not None:
                rows_read += refused.height
                quarantine.append(refused.cast(contract.REJECTED_SCHEMA))
            for batch in batches:
                rows_read += batch.height
                if table.watermark and batch.height:
                    stamps = contract.typed_column(batch, table, table.watermark)
                    if not_after is not None and table.mode == "changing":
                        stamps = stamps.filter(stamps <= not_after)
                    batch_newest = stamps.max()
                    if batch_newest is not None:
                        newest = batch_newest if newest is None else max(newest, batch_newest)
                checked = contract.check(batch, table, not_after)
                quarantine.append(checked.rejected)
                stage.add(checked.valid)
            stage.close()
            quarantine = [pl.concat([pl.DataFrame(schema=contract.REJECTED_SCHEMA), *quarantine])]
            return self._write(table, stage, quarantine, rows_read, newest, run_id=run_id,
                               watermark_before=watermark_before, started_at=started_at,
                               clock=clock, replace_years=replace_years, connector=connector,
                               position=position, recheck=recheck)

    def _write(self, table: TableConfig, stage: "Stage", quarantine: list[pl.DataFrame],
               rows_read: int, newest, *, run_id: str, watermark_before: str | None,
               started_at: datetime, clock: float, replace_years: set[int] | None,
               connector: str | None, position: ReadPosition | None,
               recheck: IdRanges = ()) -> LoadResult:
        con = self.con
        con.begin()
        try:
            self._create_raw_table(table)
            dropped = _positions()
            if recheck:
                dropped, seen_rejected = self._drop_rows_held(table, stage, quarantine, recheck)
                rows_read -= len(dropped) + seen_rejected
            dropped = pl.concat([dropped, self._set_aside_duplicates(table, stage, quarantine,
                                                                     dropped)])
            if table.mode == "changing" and watermark_before is not None:
                seen, seen_rejected = self._drop_seen_versions(table, stage, quarantine,
                                                               watermark_before)
                dropped = pl.concat([dropped, seen])
                rows_read -= len(seen) + seen_rejected
            rows_corrected = 0
            if table.mode == "append":
                resent = self._already_loaded(table, stage, dropped)
                if table.corrections:
                    rows_corrected = self._replace_corrected(table, resent, run_id, started_at)
                elif not resent.is_empty():
                    quarantine.append(self._set_aside(
                        table, resent, "duplicate_key", "key already loaded by an earlier run",
                        "该编号已在之前的加载中入库，重新发送的这一行未采用（该日志不接受更正）"))
                    dropped = pl.concat([dropped, resent.select(ROW)])
            rows_loaded, rows_written, rows_removed = self._merge(table, stage, dropped, run_id, started_at,
                                                                  replace_years)
            rejected = pl.concat(quarantine)
            rows_removed += rows_corrected  # the earlier rows the corrections replaced
            rows_quarantined = self._quarantine(table, rejected, run_id, started_at)
            rows_future_dated = int((rejected["rule"] == "future_dated").sum())
            if rows_read != rows_loaded + rows_quarantined:
                raise RuntimeError(f"{table.source}.{table.name}: {rows_read} rows read but "
                                   f"{rows_loaded} loaded + {rows_quarantined} quarantined")

            watermark_after = _later(watermark_before, newest)
            # the position vouches for the watermark it is stored with
            read_position = position.stored(watermark_after) if position else None
            if (watermark_after != watermark_before
                    or read_position != self.position(table)):
                con.execute("INSERT OR REPLACE INTO meta.watermarks (source, table_name, "
                            "watermark, updated_at, read_position) VALUES (?, ?, ?, ?, ?)",
                            [table.source, table.name, watermark_after, datetime.now(),
                             read_position])
            result = LoadResult(
                source=table.source, table_name=table.name, mode=table.mode,
                rows_read=rows_read, rows_loaded=rows_loaded, rows_quarantined=rows_quarantined,
                watermark_before=watermark_before, watermark_after=watermark_after,
                seconds=round(time.monotonic() - clock, 3), status="ok", connector=connector,
                rows_future_dated=rows_future_dated, rows_corrected=rows_corrected,
                rows_written=rows_written, rows_removed=rows_removed)
            self.write_audit(result, run_id, started_at)
            con.commit()
            return result
        except BaseException:
            con.rollback()
            raise
        finally:
            con.unregister(PROBE)
            con.unregister(DROPPED)

    def write_audit(self, result: LoadResult, run_id: str, started_at: datetime) -> None:
        record = asdict(result)
        self.con.execute(
            "INSERT INTO meta.load_audit (run_id, source, table_name, mode, rows_read, "
            "rows_loaded, rows_quarantined, watermark_before, watermark_after, started_at, "
            "seconds, status, error, connector, rows_future_dated, rows_deleted, rows_corrected, "
            "rows_written, rows_removed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, record["source"], record["table_name"], record["mode"], record["rows_read"],
             record["rows_loaded"], record["rows_quarantined"], record["watermark_before"],
             record["watermark_after"], started_at, record["seconds"], record["status"],
             record["error"], record["connector"], record["rows_future_dated"],
             record["rows_deleted"], record["rows_corrected"], record["rows_written"],
             record["rows_removed"]])

    def last_reconciled(self, table: TableConfig) -> datetime | None:
        row = self.con.execute(
            "SELECT reconciled_at FROM meta.reconciliations WHERE source = ? AND table_name = ?",
            [table.source, table.name]).fetchone()
        return row[0] if row else None

    def reconcile(self, table: TableConfig, source_keys: pl.DataFrame, result: LoadResult,
                  run_id: str, at: datetime, ranges: IdRanges | None = None,
                  source_rows: int | None = None) -> LoadResult:
        """Mark the raw rows whose key the source no longer has as deleted (_deleted_at, the
        row kept for audit) and clear the mark of rows whose key came back; the count goes
        into this run's audit row of the table. `source_keys`: every key the source holds,
        in the contract's types (a key that does not parse is left out: its row is in the
        quarantine, not in raw). An append log compares only the id `ranges` whose count
        differed (source_keys: the keys read there; source_rows: the rows the source counted)."""
        raw = _raw(table)
        typed = source_keys.select(
            contract.cast_expr(k, source_keys.schema[k], table.column(k).type).alias(k)
            for k in table.key).drop_nulls().unique()
        in_source = " AND ".join(f"p.{quote_identifier(k)} = r.{quote_identifier(k)}"
                                 for k in table.key)
        compared = "true" if ranges is None else _in_ranges(
            f"r.{quote_identifier(table.watermark)}", ranges)
        self.con.begin()
        try:
            self._create_raw_table(table)
            self.con.register(PROBE, typed.to_arrow())
            deleted = self.con.execute(
                f"UPDATE {raw} r SET _deleted_at = ? WHERE _deleted_at IS NULL AND ({compared}) "
                f"AND NOT EXISTS (SELECT 1 FROM {PROBE} p WHERE {in_source})", [at]).fetchone()[0]
            # a row back in the source counts as loaded now: the incremental models over the
            # logs pick up what was loaded since their last build
            restored = self.con.execute(
                f"UPDATE {raw} r SET _deleted_at = NULL, _loaded_at = ? WHERE _deleted_at IS NOT "
                f"NULL AND ({compared}) AND EXISTS (SELECT 1 FROM {PROBE} p WHERE {in_source})",
                [at]).fetchone()[0]
            self.con.execute(
                "INSERT OR REPLACE INTO meta.reconciliations VALUES (?, ?, ?, ?, ?, ?, ?)",
                [table.source, table.name, at, run_id,
                 typed.height if source_rows is None else source_rows, deleted, restored])
            self.con.execute(
                "UPDATE meta.load_audit SET rows_deleted = ? WHERE run_id = ? AND source = ? "
                "AND table_name = ? AND status = 'ok'", [deleted, run_id, table.source, table.name])
            self.con.commit()
        except BaseException:
            self.con.rollback()
            raise
        finally:
            self.con.unregister(PROBE)
        return replace(result, rows_deleted=deleted)

    # -- steps of a load ----------------------------------------------------------------

    def _column_ddl(self, table: TableConfig) -> str:
        return ", ".join(f"{quote_identifier(c.name)} {contract.duckdb_type(table, c)}" for c in table.columns)

    def _create_raw_table(self, table: TableConfig) -> None:
        raw = f"{quote_identifier(table.raw_schema)}.{quote_identifier(table.name)}"
        self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_identifier(table.raw_schema)}")
        self.con.execute(f"CREATE TABLE IF NOT EXISTS {raw} ({self._column_ddl(table)}, "
                         f"_load_id VARCHAR, _loaded_at TIMESTAMP)")
        if table.reconcile:
            # when a key reconciliation found the row gone from the source (kept for audit)
            self.con.execute(f"ALTER TABLE {raw} ADD COLUMN IF NOT EXISTS _deleted_at TIMESTAMP")
        # a column added to the contract later is added to the raw table, empty for old rows
        existing = {r[0] for r in self.con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ?",
            [table.raw_schema, table.name]).fetchall()}
        for c in table.columns:
            if c.name not in existing:
                self.con.execute(f"ALTER TABLE {raw} ADD COLUMN {quote_identifier(c.name)} "
                                 f"{contract.duckdb_type(table, c)}")

    @staticmethod
    def _columns_sql(table: TableConfig) -> str:
        return ", ".join(quote_identifier(c) for c in table.column_names)

    def _probe(self, frame: pl.DataFrame, sql: str, params: list | None = None) -> pl.DataFrame:
        """Run `sql` over a small frame registered as PROBE (plain Arrow strings: DuckDB may
        push filters into the scan, which Arrow cannot apply to string views)."""
        self.con.register(PROBE, frame.to_arrow())
        try:
            return self.con.execute(sql, params or []).pl()
        finally:
            self.con.unregister(PROBE)

    def _set_aside(self, table: TableConfig, frame: pl.DataFrame, rule: str, detail: str,
                   reason: str) -> pl.DataFrame:
        """Rows of a load (typed) as quarantine records of a rule about the whole row."""
        rows = self._probe(frame, f"""
            SELECT concat_ws('|', {", ".join(f"CAST({quote_identifier(k)} AS VARCHAR)" for k in table.key)})
                       AS row_key,
                   CAST(to_json(struct_pack({self._columns_sql(table)})) AS VARCHAR) AS raw_values
            FROM {PROBE} ORDER BY {ROW}""")
        return contract.rejection(rows, rule, detail, reason)

    def _set_aside_duplicates(self, table: TableConfig, stage: "Stage",
                              quarantine: list[pl.DataFrame],
                              held: pl.DataFrame) -> pl.DataFrame:
        """Keep one row per key: the newest by watermark for changing tables, else the first
        in column order (deterministic whatever order the source returned); quarantine the
        rest. Returns the positions of the rows set aside. `held`: positions of rows the
        warehouse already holds (a reconciliation's re-read), neither kept nor set aside.

        Duplicates are rare and loads large: sorting the keys finds the duplicated ones (logs
        arrive nearly in id order, so this is fast) and only their rows are ranked.
        """
        key = list(table.key)
        repeated = pl.all_horizontal([pl.col(k) == pl.col(k).shift(1) for k in key])
        duplicated = stage.keys().sort(key).filter(repeated).unique()
        if duplicated.is_empty():
            return _positions()
        same_key = " AND ".join(f"d.{quote_identifier(k)} = s.{quote_identifier(k)}" for k in key)
        rows = self._probe(duplicated, f"""
            SELECT s.* FROM {stage.relation} s
            WHERE EXISTS (SELECT 1 FROM {PROBE} d WHERE {same_key})""")
        rows = rows.filter(~pl.col(ROW).is_in(held[ROW].implode()))
        order = [pl.col(c) for c in table.column_names]
        descending = [False] * len(order)
        if table.mode == "changing":
            order.insert(0, pl.col(table.watermark))
            descending.insert(0, True)
        ranked = (rows.sort(order, descending=descending, nulls_last=True)
                  .with_columns(pl.int_range(pl.len()).over(key).alias("_rank")))
        extra = ranked.filter(pl.col("_rank") > 0).drop("_rank")
        kept_by = (f"newest {table.watermark}" if table.mode == "changing"
                   else "first row in column order")
        kept_by_zh = (f"保留 {table.watermark} 最新的一行" if table.mode == "changing"
                      else "按列顺序保留第一行")
        quarantine.append(self._set_aside(
            table, extra, "duplicate_key",
            f"another row with this key is in the same load (kept: {kept_by})",
            f"同一次加载中另有一行使用相同的键（{kept_by_zh}）"))
        return extra.select(ROW)

    def _drop_seen_versions(self, table: TableConfig, stage: "Stage",
                            quarantine: list[pl.DataFrame],
                            watermark_before: str) -> tuple[pl.DataFrame, int]:
        """The look-back window re-reads rows already handled: drop the versions (key, stamp)
        already in raw or already quarantined, so a re-run reads and loads nothing.
        Returns (positions of the staged rows dropped, rows dropped from the quarantine)."""
        stamp = quote_identifier(table.watermark)
        same_key = " AND ".join(f"r.{quote_identifier(k)} = s.{quote_identifier(k)}" for k in table.key)
        seen = self.con.execute(f"""
            SELECT s.{ROW} FROM {stage.relation} s
            WHERE s.{stamp} <= ? AND EXISTS (
                SELECT 1 FROM {_raw(table)} r WHERE {same_key} AND r.{stamp} = s.{stamp})""",
            [watermark_before]).pl().cast({ROW: pl.Int64})

        json_stamp = f"'$.{table.watermark}'"
        rejected = pl.concat(quarantine).with_row_index(ROW)
        seen_rejected = self._probe(rejected, f"""
            SELECT {ROW} FROM {PROBE} p
            WHERE json_extract_string(p.raw_values, {json_stamp}) <= ? AND EXISTS (
                SELECT 1 FROM meta.quarantine m
                WHERE m.source = ? AND m.table_name = ? AND m.row_key = p.row_key
                  AND json_extract_string(m.raw_values, {json_stamp})
                      = json_extract_string(p.raw_values, {json_stamp}))""",
            [watermark_before, table.source, table.name])
        quarantine[:] = [rejected.filter(~pl.col(ROW).is_in(seen_rejected[ROW].implode()))
                         .drop(ROW)]
        return seen, len(seen_rejected)

    def _held_rows_sql(self, table: TableConfig, ranges: IdRanges) -> str:
        """Every row of the id `ranges` the warehouse holds, as JSON text (`j`): in raw (also
        those marked deleted: a row back in the source is not new), quarantined, or replaced
        by a correction. Parameters: source and table name, twice."""
        columns = self._columns_sql(table)
        return f"""
            SELECT CAST(to_json(struct_pack({columns})) AS VARCHAR) AS j FROM {_raw(table)}
            WHERE {_in_ranges(quote_identifier(table.watermark), ranges)}
            UNION ALL SELECT CAST(raw_values AS VARCHAR) FROM meta.quarantine
            WHERE source = ? AND table_name = ?
            UNION ALL SELECT CAST(raw_values AS VARCHAR) FROM meta.corrections
            WHERE source = ? AND table_name = ?"""

    def _drop_rows_held(self, table: TableConfig, stage: "Stage",
                        quarantine: list[pl.DataFrame],
                        ranges: IdRanges) -> tuple[pl.DataFrame, int]:
        """The rows of the re-read id ranges the warehouse already holds: the staged ones'
        positions, and the count of rejected ones dropped from `quarantine`. Matched as
        multisets of whole rows, so a row the source holds once more than the warehouse is
        kept once."""
        params = [table.source, table.name] * 2
        held = self._held_rows_sql(table, ranges)
        stamp = quote_identifier(table.watermark)
        seen = self.con.execute(_matched_rows_sql(held, f"""
            SELECT {ROW}, CAST(to_json(struct_pack({self._columns_sql(table)})) AS VARCHAR) AS j
            FROM {stage.relation} WHERE {_in_ranges(stamp, ranges)}"""), params).pl().cast({ROW: pl.Int64})

        rejected = pl.concat(quarantine).with_row_index(ROW)
        seen_rejected = self._probe(rejected, _matched_rows_sql(held, f"""
            SELECT {ROW}, raw_values AS j FROM {PROBE}
            WHERE {_in_ranges(_id_in_raw_values(table), ranges)}"""), params)
        quarantine[:] = [rejected.filter(~pl.col(ROW).is_in(seen_rejected[ROW].implode()))
                         .drop(ROW)]
        return seen, len(seen_rejected)

    def bucket_counts(self, table: TableConfig, size: int) -> pl.DataFrame:
        """Rows and the sum of their ids per range of `size` ids of an append log as the
        warehouse holds them: live in raw, quarantined, or replaced by a correction (each
        was one row of the source). As the connectors' bucket_counts."""
        self._create_raw_table(table)  # a warehouse loaded before the table was reconciled
        json_id = _id_in_raw_values(table)
        return self.con.execute(f"""
            WITH held AS (
                SELECT {quote_identifier(table.watermark)} AS id FROM {_raw(table)}
                WHERE _deleted_at IS NULL
                UNION ALL SELECT {json_id} FROM meta.quarantine WHERE source = ? AND table_name = ?
                UNION ALL SELECT {json_id} FROM meta.corrections WHERE source = ? AND table_name = ?)
            SELECT id - id % {int(size)} AS bucket, count(*) AS rows, sum(id) AS total
            FROM held WHERE id >= 0 GROUP BY 1""",
            [table.source, table.name] * 2).pl().cast({"bucket": pl.Int64, "rows": pl.Int64,
                                                       "total": pl.Int64})

    def _already_loaded(self, table: TableConfig, stage: "Stage",
                        dropped: pl.DataFrame) -> pl.DataFrame:
        """The staged rows of an append-only log whose key an earlier run loaded: the log sent
        an id again (below the watermark, as the read seeks by position, see database.py)."""
        raw = _raw(table)
        candidates = stage.keys()
        nothing = contract.empty_frame(table).with_columns(pl.lit(0, pl.Int64).alias(ROW)).clear()
        if table.key == (table.watermark,):
            # ids only grow: only rows at or below the largest loaded id can be loaded already
            # (none on a nightly run), so the comparison with the whole log is skipped
            stamp = quote_identifier(table.watermark)
            newest_loaded = self.con.execute(f"SELECT max({stamp}) FROM {raw}").fetchone()[0]
            if newest_loaded is None:
                return nothing
            candidates = candidates.filter(pl.col(table.watermark) <= newest_loaded)
        if candidates.is_empty():
            return nothing
        in_probe = " AND ".join(f"p.{quote_identifier(k)} = s.{quote_identifier(k)}" for k in table.key)
        same_key = " AND ".join(f"r.{quote_identifier(k)} = s.{quote_identifier(k)}" for k in table.key)
        loaded = self._probe(candidates.unique(), f"""
            SELECT s.* FROM {stage.relation} s
            WHERE EXISTS (SELECT 1 FROM {PROBE} p WHERE {in_probe})
              AND EXISTS (SELECT 1 FROM {raw} r WHERE {same_key})""")
        # a duplicate already set aside is reported once
        return loaded.filter(~pl.col(ROW).is_in(dropped[ROW].implode()))

    def _replace_corrected(self, table: TableConfig, resent: pl.DataFrame, run_id: str,
                           at: datetime) -> int:
        """A log that allows corrections (sources.yml `corrections`): an id sent again
        replaces the row loaded before (the new row is inserted with the rest of the load);
        the replaced row goes to meta.corrections, where the reconciliation counts it as a
        row of the source the warehouse holds. Returns the number of rows corrected."""
        if resent.is_empty():
            return 0
        same_key = " AND ".join(f"p.{quote_identifier(k)} = r.{quote_identifier(k)}" for k in table.key)
        row_key = ", ".join(f"CAST(r.{quote_identifier(k)} AS VARCHAR)" for k in table.key)
        self._probe(resent.select(table.key).unique(), f"""
            INSERT INTO meta.corrections
            SELECT ?, ?, ?, concat_ws('|', {row_key}),
                   to_json(struct_pack({self._columns_sql(table)})), ?::TIMESTAMP
            FROM {_raw(table)} r WHERE EXISTS (SELECT 1 FROM {PROBE} p WHERE {same_key})""",
                    [run_id, table.source, table.name, at])
        self._probe(resent.select(table.key).unique(),
                    f"DELETE FROM {_raw(table)} r WHERE EXISTS (SELECT 1 FROM {PROBE} p WHERE {same_key})")
        return resent.height

    def _merge(self, table: TableConfig, stage: "Stage", dropped: pl.DataFrame, run_id: str,
               loaded_at: datetime, replace_years: set[int] | None) -> tuple[int, int, int]:
        """Returns the rows of the read now in raw, the rows inserted and the rows removed."""
        raw = _raw(table)
        kept = stage.relation
        positions = dropped[ROW].unique().sort()
        if table.mode in ("append", "changing") and len(positions) == stage.rows:
            # every row read was set aside or seen before (a night's look-back): nothing to do
            return 0, 0, 0
        if len(positions) > LITERAL_POSITIONS:
            # many rows set aside (the look-back re-reads a day of a changing table): an anti
            # join; as a literal list DuckDB would compare each row with every position
            self.con.register(DROPPED, positions.to_frame().to_arrow())
            kept = (f"(SELECT * FROM {stage.relation} s WHERE NOT EXISTS "
                    f"(SELECT 1 FROM {DROPPED} d WHERE d.{ROW} = s.{ROW}))")
        elif len(positions):
            # the few rows set aside, as a literal list: a filter DuckDB applies while scanning
            kept = (f"(SELECT * FROM {stage.relation} WHERE {ROW} NOT IN "
                    f"({', '.join(str(p) for p in positions)}))")
        if table.mode == "snapshot":
            return self._replace_changed_rows(table, kept, run_id, loaded_at)
        if table.mode == "yearly":
            # the years read are replaced; within them, as a snapshot, only what changed
            return self._replace_changed_rows(table, kept, run_id, loaded_at,
                                              years=sorted(replace_years or []))
        deleted = 0
        if table.mode == "changing":
            same_key = " AND ".join(f"s.{quote_identifier(k)} = r.{quote_identifier(k)}" for k in table.key)
            deleted = self.con.execute(f"DELETE FROM {raw} r WHERE EXISTS "
                                       f"(SELECT 1 FROM {kept} s WHERE {same_key})").fetchone()[0]
        columns = self._columns_sql(table)
        inserted = self.con.execute(
            f"INSERT INTO {raw} ({columns}, _load_id, _loaded_at) "
            f"SELECT {columns}, ?, ?::TIMESTAMP FROM {kept}", [run_id, loaded_at]).fetchone()[0]
        return inserted, inserted, deleted

    def _replace_changed_rows(self, table: TableConfig, kept: str, run_id: str,
                              loaded_at: datetime, years: list[int] | None = None) -> tuple[int, int, int]:
        """A snapshot table (or a yearly table's `years`) takes exactly the rows read: those
        no longer read are deleted, new and changed ones inserted; a row read again unchanged
        stays as it is (with the load that first brought it), so a night without changes
        writes nothing. Returns the rows the table now holds from this read (keys are unique,
        so rows are), the rows inserted and the rows removed."""
        raw, columns = _raw(table), self._columns_sql(table)
        same = " AND ".join(f"r.{quote_identifier(c)} IS NOT DISTINCT FROM s.{quote_identifier(c)}" for c in table.column_names)
        in_years, params = "", []
        if years is not None:
            in_years, params = "r.collection_year IN (SELECT unnest(?::INTEGER[])) AND ", [years]
        deleted = self.con.execute(f"DELETE FROM {raw} r WHERE {in_years}NOT EXISTS (SELECT 1 FROM {kept} s WHERE {same})",
                                   params).fetchone()[0]
        inserted = self.con.execute(
            f"INSERT INTO {raw} ({columns}, _load_id, _loaded_at) SELECT {columns}, ?, ?::TIMESTAMP "
            f"FROM {kept} s WHERE NOT EXISTS (SELECT 1 FROM {raw} r WHERE {same})", [run_id, loaded_at]).fetchone()[0]
        return self.con.execute(f"SELECT count(*) FROM {kept}").fetchone()[0], inserted, deleted

    def _quarantine(self, table: TableConfig, rejected: pl.DataFrame, run_id: str,
                    quarantined_at: datetime) -> int:
        if rejected.is_empty():
            return 0
        return self._probe(rejected, f"""
            INSERT INTO meta.quarantine (run_id, source, table_name, row_key, rule, detail,
                                         raw_values, quarantined_at, column_name, value, reason)
            SELECT ?, ?, ?, row_key, rule, detail, raw_values, ?::TIMESTAMP, column_name, value,
                   reason FROM {PROBE}""",
            [run_id, table.source, table.name, quarantined_at]).item()


class Stage:
    """The valid rows of one load, in Parquet files of a temporary folder under `root`, with
    a position column; their keys stay in memory (small) for the duplicate checks."""

    def __init__(self, table: TableConfig, root: Path):
        self.table = table
        root.mkdir(exist_ok=True)
        self.folder = Path(tempfile.mkdtemp(prefix=f"{table.source}.{table.name}-", dir=root))
        self._pending: list[pl.DataFrame] = []
        self._keys: list[pl.DataFrame] = []
        self._rows = self._files = 0

    def __enter__(self) -> "Stage":
        return self

    def __exit__(self, *_) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def add(self, valid: pl.DataFrame) -> None:
        self._pending.append(valid)
        if sum(frame.height for frame in self._pending) >= CHUNK_ROWS:
            self._flush()

    def close(self) -> None:
        self._flush()
        if not self._files:  # no rows: an empty file still gives the stage its columns
            self._pending.append(contract.empty_frame(self.table))
            self._flush()

    @property
    def rows(self) -> int:
        """Rows staged (once closed)."""
        return self._rows

    def keys(self) -> pl.DataFrame:
        return pl.concat([contract.empty_frame(self.table).select(self.table.key), *self._keys])

    @property
    def relation(self) -> str:
        return f"read_parquet({quote_literal(str(self.folder / '*.parquet'))})"

    def _flush(self) -> None:
        if not self._pending:
            return
        # one contiguous copy: the batches it came from (Arrow memory of the scanner, whose
        # every column keeps its whole batch alive) are released, the keys kept stay small
        chunk = pl.concat(self._pending, rechunk=True).with_row_index(ROW, offset=self._rows)
        chunk = chunk.with_columns(pl.col(ROW).cast(pl.Int64))
        self._pending.clear()
        # uncompressed: written and read at disk speed; the files live for one load
        chunk.write_parquet(self.folder / f"{self._files:06d}.parquet", compression="uncompressed")
        self._keys.append(chunk.select(self.table.key))
        self._rows += chunk.height
        self._files += 1


def _in_ranges(stamp: str, ranges: IdRanges) -> str:
    return " OR ".join(f"({stamp} >= {int(start)} AND {stamp} < {int(end)})"
                       for start, end in ranges) or "false"


def _matched_rows_sql(held: str, candidates: str) -> str:
    """SQL: the positions of the `candidates` rows ({ROW}, the whole row as JSON `j`) that the
    `held` rows (`j`) account for, matched as multisets: a row held twice matches two copies."""
    return f"""
        WITH held AS (SELECT j, count(*) AS n FROM ({held}) GROUP BY j),
        numbered AS (SELECT {ROW}, j, row_number() OVER (PARTITION BY j ORDER BY {ROW}) AS k
                     FROM ({candidates}))
        SELECT {ROW} FROM numbered JOIN held USING (j) WHERE k <= n"""


def _id_in_raw_values(table: TableConfig) -> str:
    """SQL: the id of an append log's row kept as JSON (meta.quarantine, meta.corrections)."""
    return f"TRY_CAST(json_extract_string(raw_values, '$.{table.watermark}') AS BIGINT)"


def _positions() -> pl.DataFrame:
    return pl.DataFrame(schema={ROW: pl.Int64})


def _raw(table: TableConfig) -> str:
    return f"{quote_identifier(table.raw_schema)}.{quote_identifier(table.name)}"
