"""`zhengai publish`: the marts in a PostgreSQL schema for BI tools (FineBI, Superset, Metabase).

BI tools speak JDBC/ODBC to a server, not DuckDB files. This copies every table of the
snapshot's `marts` schema (the long indicator marts, the wide per-layer tables and the
status mart) and what the README's questions join them with (PUBLISHED: the core
dimensions, dim_period among them, the registry, the state platform reconciliations) into
one PostgreSQL schema and gives a read-only role SELECT on it. Table names are unique across
those schemas, so the one schema keeps them as they are.

It reads the analysts' snapshot, never the warehouse, so it neither waits on nor blocks
the nightly writer. All tables are replaced in one transaction: a BI dashboard sees
yesterday's marts or today's, never half of each; a failure leaves yesterday's.
"""

from __future__ import annotations

import re
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import psycopg2
from psycopg2 import sql

from serving.snapshot import INFO_TABLE
from zhengai.clock import school_time
from zhengai.sql import quote_identifier

DEFAULT_SCHEMA = "zhengai_marts"
DEFAULT_ROLE = "zhengai_reader"
# (snapshot schema, table name pattern) of what is published; the big facts stay in the snapshot.
PUBLISHED = (("marts", "%"), ("core", "dim\\_%"), ("registry", "%"), ("data_quality", "dq\\_state\\_%"))
PUBLISH_INFO_TABLE = "publish_info"
# Starts the comment of every table this command owns, so a mart dropped from the dbt
# project is dropped here too while anything else in the schema is left alone.
OWNER_MARK = "zhengai:"
LOCK_TIMEOUT = "60s"
# BI tools read plain lower-case names without quoting.
PLAIN_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
POSTGRES_TYPES = {
    "VARCHAR": "text",
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "HUGEINT": "numeric",
    "UTINYINT": "smallint",
    "USMALLINT": "integer",
    "UINTEGER": "bigint",
    "UBIGINT": "numeric",
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "DATE": "date",
    "TIME": "time",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "INTERVAL": "interval",
    "UUID": "uuid",
}
DECIMAL = re.compile(r"^DECIMAL\((\d+),(\d+)\)$")


@dataclass
class PublishReport:
    schema: str
    role: str
    tables: dict[str, int] = field(default_factory=dict)  # table → rows
    dropped: list[str] = field(default_factory=list)
    snapshot_published_at: datetime | None = None
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def libpq_url(url: str) -> str:
    """`postgresql+psycopg2://…` (SQLAlchemy style) or `postgresql://…` → what libpq reads."""
    scheme, separator, rest = url.partition("://")
    if not separator or scheme.split("+")[0] not in {"postgresql", "postgres"}:
        raise ValueError(f"不是 PostgreSQL 连接地址：{url!r}（应为 postgresql://用户@主机:端口/数据库）")
    return f"postgresql://{rest}"


def postgres_type(duckdb_type: str) -> str | None:
    """The PostgreSQL column type, or None when the value is sent as text."""
    if duckdb_type in POSTGRES_TYPES:
        return POSTGRES_TYPES[duckdb_type]
    decimal = DECIMAL.match(duckdb_type)
    return f"numeric({decimal[1]},{decimal[2]})" if decimal else None


def publish_to_postgres(
    snapshot: Path,
    url: str,
    *,
    schema: str = DEFAULT_SCHEMA,
    role: str = DEFAULT_ROLE,
    role_password: str | None = None,
) -> PublishReport:
    """Replace the marts in `schema` of the database at `url` and grant `role` read-only access.

    Without a password the role is NOLOGIN: give it to login roles with `GRANT role TO …`.
    With one it can log in itself, and every session it opens is read-only.
    """
    started = time.perf_counter()
    for kind, name in (("模式", schema), ("角色", role)):
        if not PLAIN_NAME.match(name):
            raise ValueError(f"{kind}名 {name!r} 须为小写字母、数字和下划线，且不以数字开头")
    snapshot = Path(snapshot)
    if not snapshot.exists():
        raise FileNotFoundError(f"分析快照不存在：{snapshot}（先运行 zhengai sync）")
    report = PublishReport(schema=schema, role=role)
    target = sql.Identifier(schema)
    with duckdb.connect(str(snapshot), read_only=True) as source, tempfile.TemporaryDirectory() as scratch:
        published_at, run_id = source.execute(
            f"select published_at, run_id from main.{INFO_TABLE}"
        ).fetchone()
        report.snapshot_published_at = school_time(published_at) if published_at else None
        # No bound parameters: binding one makes DuckDB import pandas, seconds for a CLI.
        published = " or ".join(f"(table_schema = '{schema}' and table_name like '{pattern}' escape '\\')"
                                for schema, pattern in PUBLISHED)
        tables: dict[str, list[tuple[str, str]]] = {}
        schemas: dict[str, str] = {}
        for schema_name, table, column, duckdb_type in source.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns "
            f"where {published} order by table_schema, table_name, ordinal_position"
        ).fetchall():
            if schemas.setdefault(table, schema_name) != schema_name:
                raise ValueError(f"快照中 {schemas[table]}.{table} 与 {schema_name}.{table} 同名，无法发布到同一模式")
            tables.setdefault(table, []).append((column, duckdb_type))
        in_schema = published.replace("table_schema", "schema_name")
        comments = {
            (table, column): comment
            for table, column, comment in source.execute(
                "select table_name, null, comment from duckdb_tables() "
                f"where ({in_schema}) and comment is not null union all "
                "select table_name, column_name, comment from duckdb_columns() "
                f"where ({in_schema}) and comment is not null"
            ).fetchall()
        }
        connection = psycopg2.connect(libpq_url(url), connect_timeout=10)
        try:
            with connection, connection.cursor() as cur:  # one transaction: commit or roll back
                cur.execute("SET LOCAL lock_timeout = %s", [LOCK_TIMEOUT])
                _ensure_role(cur, role, role_password)
                cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(target))
                for table, columns in tables.items():
                    report.tables[table] = _replace_table(cur, source, schemas[table], schema, table, columns,
                                                          Path(scratch))
                    _comment(cur, schemas[table], schema, table, comments)
                report.dropped = _drop_stale_tables(cur, schema, set(tables))
                _write_publish_info(cur, schema, report, run_id)
                _grant_read_only(cur, schema, role)
        finally:
            connection.close()
    report.seconds = time.perf_counter() - started
    return report


def _ensure_role(cur, role: str, password: str | None) -> None:
    name = sql.Identifier(role)
    cur.execute("select 1 from pg_roles where rolname = %s", [role])
    exists = cur.fetchone() is not None
    if password is not None:
        verb = "ALTER" if exists else "CREATE"
        cur.execute(sql.SQL(verb + " ROLE {} LOGIN PASSWORD %s").format(name), [password])
    elif not exists:
        cur.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(name))
    # Whatever else it is granted later, a session of this role cannot write.
    cur.execute(sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(name))


def _replace_table(
    cur, source: duckdb.DuckDBPyConnection, source_schema: str, schema: str, table: str,
    columns: list[tuple[str, str]], scratch: Path
) -> int:
    definitions, selected = [], []
    for column, duckdb_type in columns:
        pg_type = postgres_type(duckdb_type)
        definitions.append(sql.SQL("{} {}").format(sql.Identifier(column), sql.SQL(pg_type or "text")))
        selected.append(quote_identifier(column) if pg_type else f"cast({quote_identifier(column)} as varchar) as {quote_identifier(column)}")
    csv_path = scratch / f"{table}.csv"
    # DuckDB writes NULL as an empty field and '' as "": PostgreSQL's CSV reads them back so.
    source.execute(
        f"COPY (SELECT {', '.join(selected)} FROM {source_schema}.{quote_identifier(table)}) "
        f"TO '{csv_path}' (FORMAT csv, HEADER false)"
    )
    qualified = sql.Identifier(schema, table)
    cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(qualified))
    cur.execute(sql.SQL("CREATE TABLE {} ({})").format(qualified, sql.SQL(", ").join(definitions)))
    with csv_path.open(encoding="utf-8") as data:
        cur.copy_expert(
            sql.SQL("COPY {} FROM STDIN WITH (FORMAT csv)").format(qualified).as_string(cur), data
        )
    rows = cur.rowcount
    csv_path.unlink()
    return rows


def _comment(cur, source_schema: str, schema: str, table: str, comments: dict[tuple[str, str | None], str]) -> None:
    """The dbt documentation, which BI tools show as table and field descriptions."""
    qualified = sql.Identifier(schema, table)
    description = comments.get((table, None)) or f"{source_schema}.{table}"
    cur.execute(sql.SQL("COMMENT ON TABLE {} IS %s").format(qualified), [f"{OWNER_MARK} {description}"])
    for (commented_table, column), comment in comments.items():
        if commented_table == table and column is not None:
            cur.execute(sql.SQL("COMMENT ON COLUMN {} IS %s").format(sql.Identifier(schema, table, column)), [comment])


def _drop_stale_tables(cur, schema: str, current: set[str]) -> list[str]:
    cur.execute(
        "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relkind = 'r' and obj_description(c.oid, 'pg_class') like %s",
        [schema, OWNER_MARK + "%"],
    )
    stale = sorted(name for (name,) in cur.fetchall() if name not in current and name != PUBLISH_INFO_TABLE)
    for name in stale:
        cur.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(schema, name)))
    return stale


def _write_publish_info(cur, schema: str, report: PublishReport, run_id: str | None) -> None:
    """One row telling a dashboard how fresh the marts are."""
    qualified = sql.Identifier(schema, PUBLISH_INFO_TABLE)
    cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(qualified))
    cur.execute(
        sql.SQL(
            "CREATE TABLE {} (published_at timestamptz, snapshot_published_at timestamptz, "
            "run_id text, tables integer, total_rows bigint)"
        ).format(qualified)
    )
    cur.execute(
        sql.SQL("INSERT INTO {} VALUES (now(), %s, %s, %s, %s)").format(qualified),
        [report.snapshot_published_at, run_id, len(report.tables), report.rows],
    )
    cur.execute(
        sql.SQL("COMMENT ON TABLE {} IS %s").format(qualified),
        [f"{OWNER_MARK} 本模式最近一次发布的时间与来源快照"],
    )


def _grant_read_only(cur, schema: str, role: str) -> None:
    target, reader = sql.Identifier(schema), sql.Identifier(role)
    cur.execute("select current_database()")
    database = sql.Identifier(cur.fetchone()[0])
    for statement in (
        "GRANT CONNECT ON DATABASE {database} TO {reader}",
        "REVOKE CREATE ON SCHEMA {target} FROM PUBLIC",
        "GRANT USAGE ON SCHEMA {target} TO {reader}",
        "GRANT SELECT ON ALL TABLES IN SCHEMA {target} TO {reader}",
        # tables created later in this schema by the publisher are readable too
        "ALTER DEFAULT PRIVILEGES IN SCHEMA {target} GRANT SELECT ON TABLES TO {reader}",
    ):
        cur.execute(sql.SQL(statement).format(database=database, target=target, reader=reader))
