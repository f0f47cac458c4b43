"""run_ingest: load every configured table of the chosen sources into the warehouse."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
import logging
from pathlib import Path
import time

import polars as pl
from tqdm import tqdm

from ingest.contract import ContractError
from ingest.config import SourceConfig, SourceSpec, TableConfig, load_config
from ingest.connectors.csv_export import CsvSource, is_csv_url
from ingest.connectors.database_scan import ScanSource, SourceTypeMismatch, scanner_for
from ingest.connectors.database import ReadPosition, SqlSource
from ingest.loader import LoadResult, Warehouse
from ingest.connectors import workbook as xlsx_source
from ingest.connectors import plan_workbook
from zhengai.settings import REGISTRY_DIR

log = logging.getLogger(__name__)


def run_ingest(warehouse: Path, source_urls: dict[str, str], state_path: Path, *, run_id: str,
               sources: list[str] | None = None, progress: bool = False,
               config: SourceConfig | None = None, plan_path: Path | None = None,
               registry_dir: Path = REGISTRY_DIR) -> list[LoadResult]:
    """Load the chosen sources (all by default); one LoadResult per table.

    source_urls maps a relational source to a SQLAlchemy URL or to `csv:///folder` of exports.
    plan_path is the quality office's folder of plan workbooks (none, or a folder that does
    not exist: the plan tables stay as they are); registry_dir holds the registry seeds the
    plan's rows are checked against.
    A table that fails (missing column, unreadable source …) is reported with status
    'failed' and left as it was; the other tables still load. With progress, long tables
    show a progress bar (stderr).
    """
    config = config or load_config()
    chosen = list(config.sources) if sources is None else sources
    config.tables(chosen)  # rejects unknown source names
    missing_urls = [s for s in chosen if config.sources[s].kind == "sql" and s not in source_urls]
    if missing_urls:
        raise ValueError(f"no connection URL for source(s) {missing_urls}")

    results: list[LoadResult] = []
    store = Warehouse(Path(warehouse))
    try:
        for name in chosen:
            spec = config.sources[name]
            if spec.kind == "sql":
                results += _load_relational_source(store, spec, source_urls[name], config,
                                                   run_id, progress)
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
        self.name, self.url = name, url
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
                            self.name, exc)
        return self._scanner

    def close(self) -> None:
        for connector in (self.files, self._scanner, self.database):
            if connector:
                connector.close()


def _load_relational_source(store: Warehouse, spec: SourceSpec, url: str, config: SourceConfig,
                            run_id: str, progress: bool) -> list[LoadResult]:
    try:
        source = RelationalSource(spec.name, url)
    except Exception as exc:
        return [_failed(store, table, run_id, store.watermark(table), exc)
                for table in spec.tables]
    try:
        return [_load_relational_table(store, table, source, config, run_id, progress)
                for table in spec.tables]
    finally:
        source.close()


def _load_relational_table(store: Warehouse, table: TableConfig, source: RelationalSource,
                           config: SourceConfig, run_id: str, progress: bool) -> LoadResult:
    incremental = table.mode in ("append", "changing") and store.watermark(table) is not None
    connector = source.connector(table, incremental)

    def reader(**options) -> Callable[[str | None], Reading]:
        def read(watermark: str | None) -> Reading:
            if not source.files:  # where a SQLite log ended at the last read
                options["position"] = store.position(table)
            selection = connector.read(table, watermark, **options)  # checks the columns
            batches = selection.batches(config.batch_size)
            if progress:  # a bar for the long tables, those of more than one batch
                total = selection.count()
                if total > config.batch_size:
                    batches = _with_progress(batches, total, table)
            return Reading(batches, getattr(selection, "position", None))
        return read

    try:
        return _load_table(store, table, run_id, reader(), connector.label,
                           passthrough=(SourceTypeMismatch,))
    except SourceTypeMismatch as mismatch:
        # SQLite's loose typing: reload the table as text so the contract quarantines the value
        log.warning("%s.%s: %s; reading the table as text", table.source, table.name, mismatch)
        return _load_table(store, table, run_id, reader(as_text=True),
                           f"{connector.label} (text)")


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
                passthrough: tuple[type[Exception], ...] = ()) -> LoadResult:
    started_at, clock = datetime.now(), time.monotonic()
    watermark = store.watermark(table)
    try:
        reading = read(watermark)
        result = store.load(table, reading.batches, run_id=run_id, watermark_before=watermark,
                            started_at=started_at, clock=clock, replace_years=replace_years,
                            connector=connector, position=reading.position,
                            refused=reading.refused)
    except passthrough:
        raise
    except Exception as exc:
        return _failed(store, table, run_id, watermark, exc, started_at, clock, connector)
    log.info("%s.%s: %s read, %s loaded, %s quarantined in %.1f s (%s)", table.source,
             table.name, result.rows_read, result.rows_loaded, result.rows_quarantined,
             result.seconds, connector)
    return result


def _failed(store: Warehouse, table: TableConfig, run_id: str, watermark: str | None,
            exc: Exception, started_at: datetime | None = None,
            clock: float | None = None, connector: str | None = None) -> LoadResult:
    started_at = started_at or datetime.now()
    seconds = round(time.monotonic() - clock, 3) if clock is not None else 0.0
    result = LoadResult(
        source=table.source, table_name=table.name, mode=table.mode, rows_read=0,
        rows_loaded=0, rows_quarantined=0, watermark_before=watermark, watermark_after=watermark,
        seconds=seconds, status="failed",
        error=str(exc) if isinstance(exc, ContractError) else f"{type(exc).__name__}: {exc}",
        connector=connector)
    log.error("%s.%s failed: %s", table.source, table.name, result.error)
    store.write_audit(result, run_id, started_at)
    return result


def _with_progress(batches: Iterable[pl.DataFrame], total: int,
                   table: TableConfig) -> Iterator[pl.DataFrame]:
    with tqdm(total=total, unit="行", unit_scale=total >= 10_000,
              desc=f"{table.source}.{table.name}", leave=True) as bar:
        for batch in batches:
            bar.update(batch.height)
            yield batch
