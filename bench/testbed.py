"""A school's SQLite sources copied into a PostgreSQL or MariaDB server, as a vendor ships them.

For the integration tests and the benchmark: the same generated school is loaded from its
SQLite files and from a server, and must give the same warehouse. The tables get vendor DDL
(VARCHAR, BIGINT, DOUBLE, the GXSJ stamp as a real TIMESTAMP / DATETIME); PostgreSQL names
are either unquoted (folded to lower case, as most vendors' scripts leave them) or quoted
upper case (as schemas migrated from Oracle keep them). The rows go over DuckDB's scanners:
binary COPY into PostgreSQL, batched INSERTs into MariaDB.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
import sqlite3
import uuid

import sqlalchemy as sa

from ingest.connectors.duckdb_extensions import scanner_connection
from ingest.connectors.database_scan import attach_string

SERVER_TYPES = {
    "postgresql": {"TEXT": "VARCHAR(1000)", "INTEGER": "BIGINT", "REAL": "DOUBLE PRECISION",
                   "STAMP": "TIMESTAMP"},
    "mysql": {"TEXT": "VARCHAR(255)", "INTEGER": "BIGINT", "REAL": "DOUBLE",
              "STAMP": "DATETIME"},
}
STAMP_COLUMNS = {"GXSJ"}


@contextmanager
def scratch_database(server_url: str, prefix: str = "zhengai_ingest") -> Iterator[str]:
    """A new, uniquely named database on the server (URL of an account allowed to create
    one); yields its URL and drops it afterwards."""
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    backend = admin.url.get_backend_name()
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
        try:
            yield admin.url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                force = " WITH (FORCE)" if backend == "postgresql" else ""
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}{force}"))
    finally:
        admin.dispose()


def copy_sqlite_tables(sqlite_path: Path, server_url: str, tables: list[str] | None = None,
                       upper_case: bool = False) -> dict[str, int]:
    """Copy tables (all by default) of a SQLite source into the server database at
    server_url; returns rows copied per table."""
    backend = sa.make_url(server_url).get_backend_name()
    postgres = backend == "postgresql"
    types = SERVER_TYPES["postgresql" if postgres else "mysql"]
    engine = sa.create_engine(server_url)
    quote = engine.dialect.identifier_preparer.quote_identifier
    copied: dict[str, int] = {}
    try:
        with sqlite3.connect(sqlite_path) as db:
            names = tables or [r[0] for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
            declared = {t: [(r[1], (r[2] or "TEXT").upper())
                            for r in db.execute(f'PRAGMA table_info("{t}")')] for t in names}
        for table in names:
            # unquoted names in a vendor's PostgreSQL script come out lower case
            name = (lambda n: n) if upper_case or not postgres else str.lower
            columns = ", ".join(
                f"{quote(name(c))} {types['STAMP'] if c in STAMP_COLUMNS else types[t]}"
                for c, t in declared[table])
            with engine.begin() as conn:
                conn.execute(sa.text(f"CREATE TABLE {quote(name(table))} ({columns})"))
        if postgres:
            copied = _copy_over_duckdb(sqlite_path, server_url, names, upper_case, engine)
        else:
            copied = {t: _insert_rows(sqlite_path, t, engine) for t in names}
    finally:
        engine.dispose()
    return copied


def _copy_over_duckdb(sqlite_path: Path, server_url: str, tables: list[str], upper_case: bool,
                      engine: sa.Engine) -> dict[str, int]:
    """Rows into PostgreSQL by binary COPY, through DuckDB's scanners."""
    con = scanner_connection("sqlite")
    scanner_connection("postgres").close()  # loads the postgres scanner too
    # catalogs are shared by the process's scanner connections: unique names
    source, server = (f"testbed_{role}_{uuid.uuid4().hex[:8]}" for role in ("source", "server"))
    schema = sa.inspect(engine).default_schema_name
    try:
        con.execute(f"ATTACH '{sqlite_path}' AS {source} (TYPE sqlite, READ_ONLY)")
        con.execute(f"ATTACH '{attach_string(server_url)}' AS {server} (TYPE postgres)")
        copied = {}
        for table in tables:
            target = f'{server}."{schema}"."{table if upper_case else table.lower()}"'
            copied[table] = con.execute(
                f'INSERT INTO {target} SELECT * FROM {source}."{table}"').fetchone()[0]
        return copied
    finally:
        for alias in (source, server):
            con.execute(f"DETACH DATABASE IF EXISTS {alias}")
        con.close()


def _insert_rows(sqlite_path: Path, table: str, engine: sa.Engine) -> int:
    """Rows into MariaDB/MySQL by the driver's multi-row INSERTs (faster than the scanner)."""
    quote = engine.dialect.identifier_preparer.quote_identifier
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with sqlite3.connect(sqlite_path) as db:
            rows = db.execute(f'SELECT * FROM "{table}"')
            width = len(rows.description)
            insert = f"INSERT INTO {quote(table)} VALUES ({', '.join(['%s'] * width)})"
            copied = 0
            while chunk := rows.fetchmany(50_000):
                cursor.executemany(insert, chunk)
                copied += len(chunk)
        raw.commit()
        return copied
    finally:
        raw.close()
