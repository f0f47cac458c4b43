"""Fast path for relational sources: DuckDB's own scanner for PostgreSQL, MySQL/MariaDB, SQLite.

The scanners read in bulk (PostgreSQL: binary COPY over parallel connections) and hand the
rows over as Arrow, several times faster than row-by-row DB-API drivers for the large event
logs (see BENCHMARKS.md). They read the same columns past the same watermark as the
SQLAlchemy connector, whose catalog look-up they reuse, and yield the same Polars batches,
so the contract, quarantine and watermarks are the same whichever path reads a table.

A night's new rows (a read past a watermark) are selected by the source database itself:
on PostgreSQL and MySQL/MariaDB the SQLAlchemy connector's query (same columns, same WHERE)
goes through the scanner as it is (postgres_query / mysql_query), so the server answers it
from its index on the id; DuckDB would not push the changing tables' `stamp > ? OR stamp IS
NULL` down and would read the whole table. SQLite's scanner pushes no filter at all: the
runner reads SQLite increments through SQLAlchemy (sql_source.py), which seeks by rowid.

SQLite declares types loosely. A table whose columns DuckDB would reinterpret (DATETIME,
BLOB …) is read as text; a value that does not match its column's declared type stops the
typed read with SourceTypeMismatch, and the caller reloads the table as text, so the
contract quarantines that value instead of the whole table failing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
import itertools
from typing import Any

import duckdb
import polars as pl
import sqlalchemy as sa

from ingest.config import TableConfig
from zhengai.sql import quote_identifier, quote_literal
from ingest.connectors.duckdb_extensions import scanner_connection
from ingest.connectors.database import IdRanges, ReadPosition, SqlSource, lookback_start

# SQLAlchemy backend → DuckDB scanner extension
SCANNER_FOR_BACKEND = {"postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql",
                       "sqlite": "sqlite"}
_catalogs = itertools.count(1)
# DuckDB types a SQLite column may be read as without changing the value the vendor wrote
SQLITE_TYPED_READS = {"BIGINT", "DOUBLE", "VARCHAR"}
# the scanner's function running a query in the server's own SQL
PASS_THROUGH = {"postgres": "postgres_query", "mysql": "mysql_query"}


class SourceTypeMismatch(Exception):
    """A SQLite value is not of its column's declared type: reload that table as text."""


def scanner_for(url: str) -> str | None:
    """The DuckDB scanner able to read this SQLAlchemy URL, or None."""
    return SCANNER_FOR_BACKEND.get(sa.make_url(url).get_backend_name())


@dataclass
class ScanRead:
    """One table's rows past its watermark, read through the scanner."""
    source: "ScanSource"
    sql: str
    params: list[Any]
    settings: dict[str, bool]  # scanner settings for this read (set per connection)
    position: ReadPosition | None = None  # where a SQLite log ended when this read began

    def count(self) -> int:
        self.source.apply(self.settings)
        return self.source.con.execute(f"SELECT count(*) FROM ({self.sql})",
                                       self.params).fetchone()[0]

    def batches(self, batch_size: int) -> Iterator[pl.DataFrame]:
        self.source.apply(self.settings)
        try:
            reader = self.source.con.execute(self.sql, self.params).to_arrow_reader(batch_size)
            for record_batch in reader:
                yield pl.from_arrow(record_batch)
        except duckdb.TypeMismatchException as exc:
            raise SourceTypeMismatch(str(exc).splitlines()[0]) from exc


class ScanSource:
    def __init__(self, name: str, url: str, catalog: SqlSource):
        self.name = name
        self.scanner = scanner_for(url)
        if self.scanner is None:
            raise ValueError(f"{name}: no DuckDB scanner for {sa.make_url(url).drivername}")
        self.catalog = catalog
        self.con = scanner_connection(self.scanner)
        # attached catalogs are shared by the process's scanner connections: a unique alias
        self.alias = f"source_{name}_{next(_catalogs)}"
        try:
            self.con.execute(f"ATTACH {quote_literal(attach_string(url))} AS {quote_identifier(self.alias)} "
                             f"(TYPE {self.scanner}, READ_ONLY)")
            self.attached = True
            self.schema = sa.inspect(catalog.engine).default_schema_name or "main"
        except BaseException:
            self.close()
            raise

    @property
    def label(self) -> str:
        return f"duckdb-{self.scanner}"

    def close(self) -> None:
        if getattr(self, "attached", False):
            self.con.execute(f"DETACH {quote_identifier(self.alias)}")
            self.attached = False
        self.con.close()

    def apply(self, settings: dict[str, bool]) -> None:
        for name, value in settings.items():
            self.con.execute(f"SET SESSION {name} = {'true' if value else 'false'}")

    def read(self, table: TableConfig, watermark: str | None, as_text: bool = False,
             position: str | None = None, ranges: IdRanges = ()) -> ScanRead:
        source_table, columns = self.catalog.resolve(table)
        if watermark is not None and self.scanner in PASS_THROUGH:
            return self._read_past(table, watermark, ranges)
        # before the read: where a SQLite log ends (the next night's read seeks past it)
        ended = self.catalog.position(table)
        relation = f"{quote_identifier(self.alias)}.{quote_identifier(self.schema)}.{quote_identifier(source_table)}"
        if self.scanner == "sqlite" and not as_text:
            self.apply({"sqlite_all_varchar": False})  # the declared types, not text
            declared = dict(self.con.execute(
                f"SELECT column_name, column_type FROM (DESCRIBE {relation})").fetchall())
            as_text = any(declared[actual] not in SQLITE_TYPED_READS for actual in columns.values())
        select = ", ".join(f"{quote_identifier(actual)} AS {quote_identifier(name)}" for name, actual in columns.items())
        sql, params = f"SELECT {select} FROM {relation}", []
        if watermark is not None and table.mode == "append":
            stamp = quote_identifier(columns[table.watermark])
            stamp = f"TRY_CAST({stamp} AS BIGINT)" if as_text else stamp
            sql += f" WHERE {stamp} > ?"
            params.append(int(watermark))
            for start, end in ranges:  # an append log's reconciliation reads these again
                sql += f" OR ({stamp} >= ? AND {stamp} < ?)"
                params += [start, end]
        elif watermark is not None and table.mode == "changing":
            stamp = quote_identifier(columns[table.watermark])
            # rows without a stamp are read too, so the contract can quarantine them
            sql += f" WHERE {stamp} > ? OR {stamp} IS NULL"
            params.append(lookback_start(watermark, table.lookback_days))
        settings = {}
        if self.scanner == "sqlite":
            settings["sqlite_all_varchar"] = as_text
        if self.scanner == "postgres":
            # a whole table reads fastest in parallel ranges of pages (ctid)
            settings["pg_use_ctid_scan"] = True
        return ScanRead(self, sql, params, settings, ended)

    def _read_past(self, table: TableConfig, watermark: str, ranges: IdRanges = ()) -> ScanRead:
        """The rows past the watermark (and in the id `ranges`), selected by the server: the
        SQLAlchemy connector's query in the server's dialect, values inlined, run through the
        scanner."""
        query = self.catalog.query(table, watermark, ranges).compile(
            dialect=self.catalog.engine.dialect, compile_kwargs={"literal_binds": True})
        sql = (f"SELECT * FROM {PASS_THROUGH[self.scanner]}("
               f"{quote_literal(self.alias)}, {quote_literal(str(query))})")
        return ScanRead(self, sql, [], {})


def attach_string(url: str) -> str:
    """The scanner's connection string for a SQLAlchemy URL."""
    parsed = sa.make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.database
    if backend == "postgresql":
        # libpq reads URIs; the SQLAlchemy driver name is not part of it
        return parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    options = {"host": parsed.host, "port": parsed.port, "user": parsed.username,
               "passwd": parsed.password, "database": parsed.database,
               "socket": parsed.query.get("unix_socket")}
    pairs = {k: str(v) for k, v in options.items() if v not in (None, "")}
    if any(c.isspace() or c == "=" for v in pairs.values() for c in v):
        raise ValueError("MySQL connection values with spaces or '=' cannot be passed to the "
                         "DuckDB scanner")
    return " ".join(f"{k}={v}" for k, v in pairs.items())


