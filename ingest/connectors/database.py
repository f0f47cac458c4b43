"""Connector for relational sources (any SQLAlchemy URL: sqlite, mysql+pymysql, postgresql+psycopg2 …).

Reads only the contract's columns and only the rows past the table's watermark, in batches
of bounded size; the query is built with SQLAlchemy so identifiers are quoted per dialect.
The filter runs in the source database: on a server, on the vendor's index of the id.

SQLite logs come without an index on their id, so `id > watermark` alone would scan the whole
table every night. For append-mode tables the read also remembers where the table ended (its
largest rowid, and the id in that row: a ReadPosition, stored beside the watermark); the next
read seeks past that rowid (`rowid > R`), reading only the rows added since — among them an
id the log sent again below the watermark, which the loader quarantines or, where the
contract allows corrections, loads in place of the earlier row. It
relies on what append mode means — rows are only ever added, never changed or removed — and
checks it: when the remembered row is gone or holds another id (table rebuilt, VACUUM
renumbering, rows deleted and re-sent) or the watermark was set back, the read scans the
whole table as before.

Servers have no rowid to seek by: there an id sent again below the watermark is found by the
periodic reconciliation of append logs (runner.py), which counts the rows per range of ids
(`bucket_counts`) and reads again, beside the rows past the watermark, the ranges whose count
differs from what the warehouse holds (`ranges`, half-open [start, end) of ids).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
import json
import logging
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from ingest.config import TableConfig
from ingest.contract import TIMESTAMP_FORMAT, ContractError

log = logging.getLogger(__name__)
# SQLite's names for the rowid: a table with a column of one of these names hides it
ROWID_NAMES = {"rowid", "_rowid_", "oid"}


# half-open ranges of ids [start, end) an append log's read takes beside its new rows
IdRanges = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class ReadPosition:
    """Where a SQLite append-mode table ended when a read began: its largest rowid and the
    watermark column's value in that row. Stored with the watermark the load reached, it
    says: every row up to this rowid has an id at or below that watermark."""
    rowid: int
    value: int

    def stored(self, watermark: str | None) -> str:
        """As kept in meta.watermarks, with the watermark it vouches for."""
        return json.dumps({"rowid": self.rowid, "value": self.value, "watermark": watermark})


@dataclass
class SqlRead:
    """One table's rows past its watermark, read through SQLAlchemy."""
    source: "SqlSource"
    query: sa.Select
    position: ReadPosition | None = None  # where the table ended when this read began

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
        self.backend = parsed.get_backend_name()
        self._table_names: dict[str, str] | None = None
        self._resolved: dict[str, tuple[str, dict[str, str]]] = {}

    def close(self) -> None:
        self.engine.dispose()

    def read(self, table: TableConfig, watermark: str | None,
             position: str | None = None, ranges: IdRanges = ()) -> SqlRead:
        """The rows past `watermark`, and those of the id `ranges` (an append log's
        reconciliation); `position` is the ReadPosition stored with the watermark, if any."""
        query = self.query(table, watermark, ranges)
        ended = self.position(table)  # before the read: rows added meanwhile are read again
        seek = self.seek_from(table, watermark, position) if ended else None
        if seek is not None:
            # every row added since the last read, also one that sends an id again below the
            # watermark: the loader quarantines it or loads it as a correction
            _, columns = self.resolve(table)
            query = self.query(table, None).where(sa.or_(
                sa.column("rowid") > seek, *_in_ranges(sa.column(columns[table.watermark]), ranges)))
        return SqlRead(self, query, ended)

    def position(self, table: TableConfig) -> ReadPosition | None:
        """Where a SQLite append-mode table ends now (None for other tables and sources)."""
        if self.backend != "sqlite" or table.mode != "append":
            return None
        source_table, columns = self.resolve(table)
        if self._has_rowid_column(source_table):
            return None
        handle = sa.table(source_table, sa.column("rowid"), sa.column(columns[table.watermark]))
        try:
            with self.engine.connect() as conn:
                row = conn.execute(sa.select(handle.c.rowid, handle.c[columns[table.watermark]])
                                   .order_by(handle.c.rowid.desc()).limit(1)).first()
        except sa.exc.DBAPIError:  # a view or a WITHOUT ROWID table: no rowid to seek by
            return None
        if row is None or not isinstance(row[1], int):
            return None
        return ReadPosition(rowid=int(row[0]), value=row[1])

    def seek_from(self, table: TableConfig, watermark: str | None,
                  stored: str | None) -> int | None:
        """The rowid past which the rows after `watermark` lie, when the stored position
        still holds; None: read the whole table."""
        if watermark is None or stored is None:
            return None
        try:
            position = json.loads(stored)
            rowid, value, vouched = int(position["rowid"]), position["value"], position["watermark"]
        except (ValueError, TypeError, KeyError):
            return None
        if vouched is None or int(watermark) < int(vouched):
            return None  # the watermark was set back: rows before the position are wanted
        source_table, columns = self.resolve(table)
        handle = sa.table(source_table, sa.column("rowid"), sa.column(columns[table.watermark]))
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(handle.c[columns[table.watermark]])
                                 .where(handle.c.rowid == rowid)).first()
        if found is None or found[0] != value:
            log.warning("%s.%s: the table was rewritten since the last read (row %s holds "
                        "another id); reading it whole", self.name, table.name, rowid)
            return None
        return rowid

    def _has_rowid_column(self, source_table: str) -> bool:
        columns = sa.inspect(self.engine).get_columns(source_table)
        return any(c["name"].lower() in ROWID_NAMES for c in columns)

    def query(self, table: TableConfig, watermark: str | None, ranges: IdRanges = ()) -> sa.Select:
        """SELECT of the contract's columns past `watermark` (and, of an append log, in the id
        `ranges`); checks the columns exist."""
        source_table, columns = self.resolve(table)
        handle = sa.table(source_table, *(sa.column(c) for c in columns.values()))
        query = sa.select(*(handle.c[actual].label(name) for name, actual in columns.items()))
        if watermark is not None and table.mode == "append":
            stamp = handle.c[columns[table.watermark]]
            query = query.where(sa.or_(stamp > int(watermark), *_in_ranges(stamp, ranges)))
        elif watermark is not None and table.mode == "changing":
            since = lookback_start(watermark, table.lookback_days)
            stamp = handle.c[columns[table.watermark]]
            # rows without a stamp are read too, so the contract can quarantine them
            query = query.where(sa.or_(stamp > since, stamp.is_(None)))
        return query

    def keys(self, table: TableConfig) -> pl.DataFrame:
        """The key columns of every row of the table (for the key reconciliation)."""
        source_table, columns = self.resolve(table)
        handle = sa.table(source_table, *(sa.column(columns[k]) for k in table.key))
        query = sa.select(*(handle.c[columns[k]].label(k) for k in table.key))
        with self.engine.connect() as conn:
            return pl.read_database(query, conn, infer_schema_length=None)

    def bucket_counts(self, table: TableConfig, size: int) -> pl.DataFrame:
        """Rows and the sum of their ids per range of `size` ids of an append log (bucket: the
        first id of the range), one grouped query the server answers from its index."""
        source_table, columns = self.resolve(table)
        handle = sa.table(source_table, sa.column(columns[table.watermark]))
        stamp = handle.c[columns[table.watermark]]
        # start of the range by subtraction, not division: / truncates, rounds or goes
        # decimal depending on the engine, % agrees on every one for ids from 0 up
        bucket = (stamp - stamp % size).label("bucket")
        query = (sa.select(bucket, sa.func.count().label("rows"), sa.func.sum(stamp).label("total"))
                 .where(stamp >= 0).group_by(bucket))
        with self.engine.connect() as conn:
            found = conn.execute(query).all()
        return bucket_frame([(int(b), int(n), int(t)) for b, n, t in found])

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


def _in_ranges(stamp, ranges: IdRanges) -> list:
    return [sa.and_(stamp >= start, stamp < end) for start, end in ranges]


BUCKET_SCHEMA = {"bucket": pl.Int64, "rows": pl.Int64, "total": pl.Int64}


def bucket_frame(rows: list[tuple[int, int, int]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=BUCKET_SCHEMA, orient="row")


def lookback_start(watermark: str, lookback_days: float) -> str:
    try:
        stamp = datetime.strptime(watermark, TIMESTAMP_FORMAT)
    except ValueError:
        raise ContractError(f"watermark {watermark!r} is not a '{TIMESTAMP_FORMAT}' "
                            f"timestamp") from None
    return (stamp - timedelta(days=lookback_days)).strftime(TIMESTAMP_FORMAT)
