"""Connector for relational sources (any SQLAlchemy URL: sqlite, mysql+pymysql, postgresql+psycopg2 …).

Reads only the contract's columns and only the rows past the table's watermark, in batches
of bounded size; the query is built with SQLAlchemy so identifiers are quoted per dialect.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from ingest.config import TableConfig
from ingest.contract import TIMESTAMP_FORMAT, ContractError


@dataclass
class SqlRead:
    """One table's rows past its watermark, read through SQLAlchemy."""
    source: "SqlSource"
    query: sa.Select

    def count(self) -> int:
        return self.source.count(self.query)

    def batches(self, batch_size: int) -> Iterator[pl.DataFrame]:
        return self.source.batches(self.query, batch_size)


class SqlSource:
    label = "sqlalchemy"

    def __init__(self, name: str, url: str):
        self.name = name
        parsed = sa.make_url(url)
        # SQLite would silently create an empty database for a mistyped path.
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            if not Path(parsed.database).exists():
                raise ContractError(f"{name}: source database {parsed.database} does not exist")
        self.engine = sa.create_engine(url)
        self._table_names: dict[str, str] | None = None
        self._resolved: dict[str, tuple[str, dict[str, str]]] = {}

    def close(self) -> None:
        self.engine.dispose()

    def read(self, table: TableConfig, watermark: str | None) -> SqlRead:
        return SqlRead(self, self.query(table, watermark))

    def query(self, table: TableConfig, watermark: str | None) -> sa.Select:
        """SELECT of the contract's columns past `watermark`; checks the columns exist."""
        source_table, columns = self.resolve(table)
        handle = sa.table(source_table, *(sa.column(c) for c in columns.values()))
        query = sa.select(*(handle.c[actual].label(name) for name, actual in columns.items()))
        if watermark is not None and table.mode == "append":
            query = query.where(handle.c[columns[table.watermark]] > int(watermark))
        elif watermark is not None and table.mode == "changing":
            since = lookback_start(watermark, table.lookback_days)
            stamp = handle.c[columns[table.watermark]]
            # rows without a stamp are read too, so the contract can quarantine them
            query = query.where(sa.or_(stamp > since, stamp.is_(None)))
        return query

    def count(self, query: sa.Select) -> int:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()

    def batches(self, query: sa.Select, batch_size: int) -> Iterator[pl.DataFrame]:
        with self.engine.connect() as conn:
            # server-side cursor where the driver has one, so memory stays at one batch
            streaming = conn.execution_options(stream_results=True, max_row_buffer=batch_size)
            yield from pl.read_database(
                query, streaming, iter_batches=True, batch_size=batch_size,
                infer_schema_length=None,
            )

    def resolve(self, table: TableConfig) -> tuple[str, dict[str, str]]:
        """Source table name and contract column → source column, matched case-insensitively
        (Oracle folds unquoted names to upper case, PostgreSQL to lower case)."""
        if table.name not in self._resolved:
            self._resolved[table.name] = self._look_up(table)
        return self._resolved[table.name]

    def _look_up(self, table: TableConfig) -> tuple[str, dict[str, str]]:
        inspector = sa.inspect(self.engine)
        if self._table_names is None:
            self._table_names = {n.upper(): n for n in inspector.get_table_names()}
        source_table = self._table_names.get(table.name.upper())
        if source_table is None:
            raise ContractError(f"{self.name}.{table.name}: table is missing in the source")
        found = {c["name"].upper(): c["name"] for c in inspector.get_columns(source_table)}
        missing = [c for c in table.column_names if c.upper() not in found]
        if missing:
            raise ContractError(
                f"{self.name}.{table.name}: source column {', '.join(missing)} is missing "
                f"(the table has {', '.join(found.values())})")
        return source_table, {c: found[c.upper()] for c in table.column_names}


def lookback_start(watermark: str, lookback_days: float) -> str:
    try:
        stamp = datetime.strptime(watermark, TIMESTAMP_FORMAT)
    except ValueError:
        raise ContractError(f"watermark {watermark!r} is not a '{TIMESTAMP_FORMAT}' "
                            f"timestamp") from None
    return (stamp - timedelta(days=lookback_days)).strftime(TIMESTAMP_FORMAT)
