"""run_ingest: load every configured table of the chosen sources into the warehouse."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
import logging
from pathlib import Path
import time

import polars as pl
from tqdm import tqdm

from ingest.contract import TIMESTAMP_FORMAT, ContractError
from ingest.config import SourceConfig, SourceSpec, TableConfig, load_config
from ingest.connectors.csv_export import CsvSource, is_csv_url
from ingest.connectors.database_scan import ScanSource, SourceTypeMismatch, scanner_for
from ingest.connectors.database import IdRanges, ReadPosition, SqlSource
from ingest.connectors.urls import database_url, redact, secrets_of
from ingest.loader import LoadResult, Warehouse
from ingest.connectors import workbook as xlsx_source
from ingest.connectors import plan_workbook
from zhengai.settings import REGISTRY_DIR

log = logging.getLogger(__name__)


def run_ingest(warehouse: Path, source_urls: dict[str, str], state_path: Path, *, run_id: str,
               sources: list[str] | None = None, progress: bool = False,
               config: SourceConfig | None = None, plan_path: Path | None = None,
               registry_dir: Path = REGISTRY_DIR, started_at: datetime | None = None,
               full_refresh: bool = False) -> list[LoadResult]:
    """Load the chosen sources (all by default); one LoadResult per table.

    source_urls maps a relational source to a SQLAlchemy URL or to `csv:///folder` of exports.
    plan_path is the quality office's folder of plan workbooks (none, or a folder that does
    not exist: the plan tables stay as they are); registry_dir holds the registry seeds the
    plan's rows are checked against.
    A table that fails (missing column, unreadable source …) is reported with status
    'failed' and left as it was; the other tables still load. With progress, long tables
    show a progress bar (stderr). started_at: the run's start (now by default); no watermark
    passes it by more than the configured clock tolerance. full_refresh: reconcile the keys of
    every reconciled table now, whenever they were last reconciled.
    """
    config = config or load_config()
    chosen = list(config.sources) if sources is None else sources
    config.tables(chosen)  # rejects unknown source names
    missing_urls = [s for s in chosen if config.sources[s].kind == "sql" and s not in source_urls]
    if missing_urls:
        raise ValueError(f"no connection URL for source(s) {missing_urls}")

    started_at = started_at or datetime.now()
    not_after = (started_at + timedelta(minutes=config.clock_tolerance_minutes)).strftime(
        TIMESTAMP_FORMAT)
    results: list[LoadResult] = []
    store = Warehouse(Path(warehouse), not_after=not_after)
    try:
        for name in chosen:
            spec = config.sources[name]
            if spec.kind == "sql":
                results += _load_relational_source(store, spec, source_urls[name], config,
                                                   run_id, progress, started_at, full_refresh)
            elif spec.kind == "plan":
                results += _load_plan_workbooks(store, spec, plan_path, registry_dir, run_id)
            else:
                results += _load_workbooks(store, spec, Path(state_path), run_id)
    finally:
        store.close()
    return results


@dataclass
class Reading:
    """What a connector reads for one load: the batches, and where a SQLite log ended when
    the read began (stored with the watermark, so the next read seeks past it)."""
    batches: Iterable[pl.DataFrame]
    position: ReadPosition | None = None
    refused: pl.DataFrame | None = None  # rows the connector set aside (plan rules)


class RelationalSource:
    """The connectors of one relational source: its CSV exports, or its database through
    DuckDB's scanner (tables with fast_path auto) and SQLAlchemy (the rest, and the fallback
    when the scanner cannot be used)."""

    def __init__(self, name: str, url: str):
        self.name = name
        self.secrets = secrets_of(url)  # kept out of every message (urls.py)
        if not is_csv_url(url):  # postgresql:// means the shipped driver …
            url = database_url(name, url).render_as_string(hide_password=False)
        self.url = url
        self.files = CsvSource(name, url) if is_csv_url(url) else None
        self.database = None if self.files else SqlSource(name, url)
        self._scanner: ScanSource | None = None
        self._scanner_tried = False

    def connector(self, table: TableConfig,
                  incremental: bool) -> CsvSource | ScanSource | SqlSource:
        if self.files:
            return self.files
        # DuckDB's SQLite scanner filters in DuckDB, after reading the whole table: a
        # night's new rows come through SQLAlchemy, where SQLite filters and, for the logs,
        # seeks by rowid (on PostgreSQL and MySQL the scanner passes the query through)
        whole_table_scan = incremental and scanner_for(self.url) == "sqlite"
        if table.fast_path == "auto" and scanner_for(self.url) and not whole_table_scan:
            scanner = self._open_scanner()
            if scanner:
                return scanner
        return self.database

    def _open_scanner(self) -> ScanSource | None:
        if not self._scanner_tried:
            self._scanner_tried = True
            try:
                self._scanner = ScanSource(self.name, self.url, self.database)
            except Exception as exc:  # no wheel, unsupported login … SQLAlchemy still reads it
                log.warning("%s: DuckDB scanner unavailable, reading through SQLAlchemy: %s",
                            self.name, _describe(exc, self.secrets))
        return self._scanner

    def close(self) -> None:
        for connector in (self.files, self._scanner, self.database):
            if connector:
                connector.close()


def _load_relational_source(store: Warehouse, spec: SourceSpec, url: str, config: SourceConfig,
                            run_id: str, progress: bool, started_at: datetime,
                            full_refresh: bool) -> list[LoadResult]:
    try:
        source = RelationalSource(spec.name, url)
    except Exception as exc:
        return [_failed(store, table, run_id, store.watermark(table), exc,
                        secrets=secrets_of(url)) for table in spec.tables]
    try:
        results = []
        for table in spec.tables:
            due = _reconciliation_due(store, table, config, started_at, full_refresh)
            if due and table.mode == "append":
                result = _load_and_reconcile_log(store, table, source, config, run_id, progress,
                                                 started_at)
            else:
                result = _load_relational_table(store, table, source, config, run_id, progress)
                if result.status == "ok" and due:
                    result = _reconcile(store, table, source, result, run_id, started_at)
            results.append(result)
        return results
    finally:
        source.close()


def _reconciliation_due(store: Warehouse, table: TableConfig, config: SourceConfig,
                        started_at: datetime, full_refresh: bool) -> bool:
    """A watermark read never sees a row deleted in the source: the tables marked `reconcile`
    compare their keys every reconcile_every_days (sources.yml) and on a full refresh."""
    if not table.reconcile:
        return False
    last = store.last_reconciled(table)
    return (full_refresh or last is None
            or started_at - last >= timedelta(days=config.reconcile_every_days))


def _reconcile(store: Warehouse, table: TableConfig, source: "RelationalSource",
               result: LoadResult, run_id: str, started_at: datetime) -> LoadResult:
    try:
        keys = (source.files or source.database).keys(table)
    except Exception as exc:  # the load stands; the reconciliation is tried again next run
        log.error("%s.%s: key reconciliation failed: %s", table.source, table.name,
                  _describe(exc, source.secrets))
        return result
    return _mark_deleted(store, table, source, keys, result, run_id, started_at)


def _mark_deleted(store: Warehouse, table: TableConfig, source: "RelationalSource",
                  source_keys: pl.DataFrame, result: LoadResult, run_id: str, started_at: datetime,
                  **reconcile_options) -> LoadResult:
    try:
        result = store.reconcile(table, source_keys, result, run_id, started_at, **reconcile_options)
    except Exception as exc:  # the load stands; the reconciliation is tried again next run
        log.error("%s.%s: key reconciliation failed: %s", table.source, table.name,
                  _describe(exc, source.secrets))
        return result
    if result.rows_deleted:
        log.warning("%s.%s: %s rows gone from the source marked deleted", table.source,
                    table.name, result.rows_deleted)
    return result


def _load_and_reconcile_log(store: Warehouse, table: TableConfig, source: "RelationalSource",
                            config: SourceConfig, run_id: str, progress: bool,
                            started_at: datetime) -> LoadResult:
    """An append log's load and reconciliation in one read. The source counts its rows per
    range of ids (one grouped query, cheap on tens of millions of rows); the ranges whose
    count or sum of ids differs from what raw, the quarantine and the corrections hold are
    read again with the night's new rows. There a row not held before (an id sent again below
    the watermark: no server has a rowid to find it by) is quarantined or corrected by the
    load, and a key of raw the source no longer has is marked deleted."""
    ranges: IdRanges = ()
    source_rows = None
    if store.watermark(table) is not None:  # a first load reads the whole log anyway
        try:
            ranges, source_rows = _differing_ranges(store, table, source,
                                                    config.reconcile_bucket_size)
        except Exception as exc:  # the night's rows still load; reconciled next run
            log.error("%s.%s: 按编号区间核对行数失败，本次只加载新增行：%s", table.source,
                      table.name, _describe(exc, source.secrets))
            return _load_relational_table(store, table, source, config, run_id, progress)
        if ranges:
            log.warning("%s.%s: %s 个编号区间的行数与源系统不一致，重新读取这些区间",
                        table.source, table.name, len(ranges))
    # only the re-read ranges are compared: a first load (into an empty table) and a night
    # whose ranges all agree keep no keys (tens of millions for a whole log)
    keys: list[pl.DataFrame] | None = [] if ranges else None
    result = _load_relational_table(store, table, source, config, run_id, progress,
                                    ranges=ranges, keys=keys)
    if result.status != "ok":
        return result
    source_keys = pl.concat([_no_keys(table), *(keys or [])])
    # a first load read every row the source holds
    return _mark_deleted(store, table, source, source_keys, result, run_id, started_at, ranges=ranges,
                         source_rows=result.rows_read if source_rows is None else source_rows)


def _no_keys(table: TableConfig) -> pl.DataFrame:
    return pl.DataFrame(schema={k: pl.String for k in table.key})


def _differing_ranges(store: Warehouse, table: TableConfig, source: "RelationalSource",
                      size: int) -> tuple[IdRanges, int]:
    """The id ranges [start, end) whose rows differ between the source and the warehouse
    (by count and by sum of ids, so a deletion and an addition in one range do not cancel
    out), adjacent ones merged; and the rows the source holds."""
    counted = (source.files or source.database).bucket_counts(table, size)
    held = store.bucket_counts(table, size)
    both = counted.join(held, on="bucket", how="full", coalesce=True, suffix="_held").fill_null(0)
    differing = sorted(both.filter((pl.col("rows") != pl.col("rows_held"))
                                   | (pl.col("total") != pl.col("total_held")))["bucket"])
    ranges: list[tuple[int, int]] = []
    for start in differing:
        if ranges and ranges[-1][1] == start:
            ranges[-1] = (ranges[-1][0], start + size)
        else:
            ranges.append((start, start + size))
    return tuple(ranges), int(counted["rows"].sum())


def _load_relational_table(store: Warehouse, table: TableConfig, source: RelationalSource,
                           config: SourceConfig, run_id: str, progress: bool,
                           ranges: IdRanges = (),
                           keys: list[pl.DataFrame] | None = None) -> LoadResult:
    """`ranges`: id ranges of an append log read again besides its new rows; `keys` collects
    the key columns of every row read (for the reconciliation of those ranges)."""
    incremental = table.mode in ("append", "changing") and store.watermark(table) is not None
    connector = source.connector(table, incremental)

    def reader(**options) -> Callable[[str | None], Reading]:
        def read(watermark: str | None) -> Reading:
            if not source.files:  # where a SQLite log ended at the last read
                options["position"] = store.position(table)
            if ranges:
                options["ranges"] = ranges
            selection = connector.read(table, watermark, **options)  # checks the columns
            batches = selection.batches(config.batch_size)
            if keys is not None:
                keys.clear()  # a re-read as text starts over
                batches = _keeping_keys(batches, table, keys)
            if progress:  # a bar for the long tables, those of more than one batch
                total = selection.count()
                if total > config.batch_size:
                    batches = _with_progress(batches, total, table)
            return Reading(batches, getattr(selection, "position", None))
        return read

    try:
        return _load_table(store, table, run_id, reader(), connector.label,
                           passthrough=(SourceTypeMismatch,), secrets=source.secrets,
                           recheck=ranges)
    except SourceTypeMismatch as mismatch:
        # SQLite's loose typing: reload the table as text so the contract quarantines the value
        log.warning("%s.%s: %s; reading the table as text", table.source, table.name, mismatch)
        return _load_table(store, table, run_id, reader(as_text=True),
                           f"{connector.label} (text)", secrets=source.secrets, recheck=ranges)


def _keeping_keys(batches: Iterable[pl.DataFrame], table: TableConfig,
                  keys: list[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    for batch in batches:
        # as text, a copy: a slice of the batch would keep the scanner's whole batch in memory
        keys.append(batch.select(pl.col(table.key).cast(pl.String)))
        yield batch


def _load_workbooks(store: Warehouse, spec: SourceSpec, state_path: Path,
                    run_id: str) -> list[LoadResult]:
    books = xlsx_source.workbooks(state_path)
    opened = xlsx_source.Workbooks()  # each workbook opened once for all its tables
    results = []
    for table in spec.tables:
        def read(_watermark: str | None, table: TableConfig = table) -> Reading:
            if not books:
                raise FileNotFoundError(f"no <year>.xlsx workbook in {state_path}")
            # read every workbook before writing, so a bad one leaves the table untouched
            return Reading([xlsx_source.read_table(path, year, table, spec.workbook, opened)
                            for year, path in books.items()])
        results.append(_load_table(store, table, run_id, read, "xlsx",
                                   replace_years=set(books)))
    return results


def _load_plan_workbooks(store: Warehouse, spec: SourceSpec, plan_path: Path | None,
                         registry_dir: Path, run_id: str) -> list[LoadResult]:
    """Every plan table from the workbooks in plan_path. A folder that is missing (not set,
    or a share not mounted) is no error: the tables keep what they hold (a first run creates
    them empty, so the data center builds)."""
    folder = Path(plan_path) if plan_path else None
    if folder is None or not folder.is_dir():
        log.warning("plan: no folder %s; the plan tables keep what they hold", folder)
        return [_nothing_read(store, table, run_id) if _has_raw_table(store, table)
                else _load_table(store, table, run_id, lambda _watermark: Reading([]), "xlsx")
                for table in spec.tables]
    context = plan_workbook.PlanContext(registry_dir, store.con)
    results = []
    for table in spec.tables:
        def read(_watermark: str | None, table: TableConfig = table) -> Reading:
            reading = plan_workbook.read_plan_table(folder, spec, table, context)
            return Reading(reading.batches, refused=reading.refused)
        results.append(_load_table(store, table, run_id, read, "xlsx"))
    return results


def _has_raw_table(store: Warehouse, table: TableConfig) -> bool:
    return store.con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? "
                             "AND table_name = ?", [table.raw_schema, table.name]).fetchone()[0] > 0


def _nothing_read(store: Warehouse, table: TableConfig, run_id: str) -> LoadResult:
    result = LoadResult(source=table.source, table_name=table.name, mode=table.mode, rows_read=0,
                        rows_loaded=0, rows_quarantined=0, watermark_before=None,
                        watermark_after=None, seconds=0.0, status="ok", connector="xlsx")
    store.write_audit(result, run_id, datetime.now())
    return result


def _load_table(store: Warehouse, table: TableConfig, run_id: str, read, connector: str,
                replace_years: set[int] | None = None,
                passthrough: tuple[type[Exception], ...] = (),
                secrets: list[str] | None = None, recheck: IdRanges = ()) -> LoadResult:
    started_at, clock = datetime.now(), time.monotonic()
    watermark = store.watermark(table)
    try:
        reading = read(watermark)
        result = store.load(table, reading.batches, run_id=run_id, watermark_before=watermark,
                            started_at=started_at, clock=clock, replace_years=replace_years,
                            connector=connector, position=reading.position,
                            refused=reading.refused, recheck=recheck)
    except passthrough:
        raise
    except Exception as exc:
        return _failed(store, table, run_id, watermark, exc, started_at, clock, connector,
                       secrets)
    log.info("%s.%s: %s read, %s loaded, %s quarantined in %.1f s (%s)", table.source,
             table.name, result.rows_read, result.rows_loaded, result.rows_quarantined,
             result.seconds, connector)
    return result


def _failed(store: Warehouse, table: TableConfig, run_id: str, watermark: str | None,
            exc: Exception, started_at: datetime | None = None,
            clock: float | None = None, connector: str | None = None,
            secrets: list[str] | None = None) -> LoadResult:
    started_at = started_at or datetime.now()
    seconds = round(time.monotonic() - clock, 3) if clock is not None else 0.0
    result = LoadResult(
        source=table.source, table_name=table.name, mode=table.mode, rows_read=0,
        rows_loaded=0, rows_quarantined=0, watermark_before=watermark, watermark_after=watermark,
        seconds=seconds, status="failed",
        error=_describe(exc, secrets),
        connector=connector)
    log.error("%s.%s failed: %s", table.source, table.name, result.error)
    store.write_audit(result, run_id, started_at)
    return result


def _describe(exc: Exception, secrets: list[str] | None = None) -> str:
    """An exception as the audit and the log show it, without the source's password (a
    driver or the DuckDB scanner may repeat the connection string it was given)."""
    text = str(exc) if isinstance(exc, ContractError) else f"{type(exc).__name__}: {exc}"
    return redact(text, secrets or [])


def _with_progress(batches: Iterable[pl.DataFrame], total: int,
                   table: TableConfig) -> Iterator[pl.DataFrame]:
    with tqdm(total=total, unit="行", unit_scale=total >= 10_000,
              desc=f"{table.source}.{table.name}", leave=True) as bar:
        for batch in batches:
            bar.update(batch.height)
            yield batch
