"""run_ingest: load every configured table of the chosen sources into the warehouse."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
import logging
from pathlib import Path
import time

import polars as pl
from tqdm import tqdm

from ingest.contract import ContractError
from ingest.config import SourceConfig, SourceSpec, TableConfig, load_config
from ingest.sql_source import SqlSource
from ingest.warehouse import LoadResult, Warehouse
from ingest import xlsx_source

log = logging.getLogger(__name__)


def run_ingest(warehouse: Path, source_urls: dict[str, str], state_path: Path, *, run_id: str,
               sources: list[str] | None = None, progress: bool = False,
               config: SourceConfig | None = None) -> list[LoadResult]:
    """Load the chosen sources (all by default); one LoadResult per table.

    A table that fails (missing column, unreadable source …) is reported with status
    'failed' and left as it was; the other tables still load.
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
                results += _load_sql_source(store, spec, source_urls[name], config, run_id, progress)
            else:
                results += _load_workbooks(store, spec, Path(state_path), run_id)
    finally:
        store.close()
    return results


def _load_sql_source(store: Warehouse, spec: SourceSpec, url: str, config: SourceConfig,
                     run_id: str, progress: bool) -> list[LoadResult]:
    try:
        source = SqlSource(spec.name, url)
    except Exception as exc:
        return [_failed(store, table, run_id, store.watermark(table), exc)
                for table in spec.tables]
    try:
        results = []
        for table in spec.tables:
            def read(watermark: str | None, table: TableConfig = table) -> Iterable[pl.DataFrame]:
                query = source.query(table, watermark)  # fails here if a column is missing
                batches = source.batches(query, config.batch_size)
                if progress:  # a bar for the long tables, those of more than one batch
                    total = source.count(query)
                    if total > config.batch_size:
                        batches = _with_progress(batches, total, table)
                return batches
            results.append(_load_table(store, table, run_id, read))
        return results
    finally:
        source.close()


def _load_workbooks(store: Warehouse, spec: SourceSpec, state_path: Path,
                    run_id: str) -> list[LoadResult]:
    books = xlsx_source.workbooks(state_path)
    results = []
    for table in spec.tables:
        def read(_watermark: str | None, table: TableConfig = table) -> list[pl.DataFrame]:
            if not books:
                raise FileNotFoundError(f"no <year>.xlsx workbook in {state_path}")
            # read every workbook before writing, so a bad one leaves the table untouched
            return [xlsx_source.read_table(path, year, table, spec.workbook)
                    for year, path in books.items()]
        results.append(_load_table(store, table, run_id, read, replace_years=set(books)))
    return results


def _load_table(store: Warehouse, table: TableConfig, run_id: str, read,
                replace_years: set[int] | None = None) -> LoadResult:
    started_at, clock = datetime.now(), time.monotonic()
    watermark = store.watermark(table)
    try:
        result = store.load(table, read(watermark), run_id=run_id, watermark_before=watermark,
                            started_at=started_at, clock=clock, replace_years=replace_years)
    except Exception as exc:
        return _failed(store, table, run_id, watermark, exc, started_at, clock)
    log.info("%s.%s: %s read, %s loaded, %s quarantined in %.1f s", table.source, table.name,
             result.rows_read, result.rows_loaded, result.rows_quarantined, result.seconds)
    return result


def _failed(store: Warehouse, table: TableConfig, run_id: str, watermark: str | None,
            exc: Exception, started_at: datetime | None = None,
            clock: float | None = None) -> LoadResult:
    started_at = started_at or datetime.now()
    seconds = round(time.monotonic() - clock, 3) if clock is not None else 0.0
    result = LoadResult(
        source=table.source, table_name=table.name, mode=table.mode, rows_read=0,
        rows_loaded=0, rows_quarantined=0, watermark_before=watermark, watermark_after=watermark,
        seconds=seconds, status="failed",
        error=str(exc) if isinstance(exc, ContractError) else f"{type(exc).__name__}: {exc}")
    log.error("%s.%s failed: %s", table.source, table.name, result.error)
    store.write_audit(result, run_id, started_at)
    return result


def _with_progress(batches: Iterable[pl.DataFrame], total: int,
                   table: TableConfig) -> Iterator[pl.DataFrame]:
    with tqdm(total=total, unit="rows", desc=f"{table.source}.{table.name}",
              leave=False) as bar:
        for batch in batches:
            bar.update(batch.height)
            yield batch
