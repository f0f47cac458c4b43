"""The peer: the same dbt project built on PostgreSQL (target `postgres`) from the same raw tables.

It tells how much of the build's speed is DuckDB's: the raw and meta tables are copied from
the warehouse into a scratch database and `dbt build --target postgres` is measured there.
Column types follow `zhengai publish` (serving.publish.postgres_type), so the peer and the
BI copy of the marts agree on what each DuckDB type becomes.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from serving.publish import postgres_type
from zhengai.settings import DBT_PROJECT_DIR, Settings

from bench.measure import child_env, dbt_breakdown, measure_command

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/zhengai_bench"


@dataclass(frozen=True)
class PostgresTarget:
    """Where the peer builds: a PostgreSQL URL, postgresql://user[:password]@host[:port]/database.
    The database is dropped and recreated by every peer run."""

    host: str
    port: int
    user: str
    password: str
    database: str

    @classmethod
    def from_url(cls, url: str) -> "PostgresTarget":
        parts = urlsplit(url)
        if parts.scheme not in ("postgresql", "postgres") or not parts.path.strip("/"):
            raise ValueError(f"not a PostgreSQL URL with a database: {url}")
        return cls(parts.hostname or "127.0.0.1", parts.port or 5432, unquote(parts.username or "postgres"),
                   unquote(parts.password or ""), parts.path.strip("/"))

    def dbt_env(self) -> dict[str, str]:
        """What the `postgres` output of dbt_project/profiles.yml reads."""
        return {"ZHENGAI_PG_HOST": self.host, "ZHENGAI_PG_PORT": str(self.port), "ZHENGAI_PG_USER": self.user,
                "ZHENGAI_PG_PASSWORD": self.password, "ZHENGAI_PG_DATABASE": self.database}

    def connect(self, database: str | None = None):
        import psycopg2

        return psycopg2.connect(host=self.host, port=self.port, user=self.user, password=self.password or None,
                                dbname=database or self.database, connect_timeout=5)


def postgres_available(pg: PostgresTarget, need_dbt: bool = True) -> str | None:
    """None when the peer can run (the server answers, and dbt-postgres is there when
    need_dbt), else why not."""
    if need_dbt:
        try:
            import dbt.adapters.postgres  # noqa: F401
        except ImportError:
            return "dbt-postgres is not installed (uv pip install 'dbt-postgres==1.11.*')"
    try:
        pg.connect("postgres").close()
    except Exception as exc:  # noqa: BLE001 - any connection problem means: no peer
        return f"cannot connect to PostgreSQL at {pg.host}:{pg.port}: {str(exc).strip().splitlines()[0]}"
    return None


def _recreate_database(pg: PostgresTarget) -> None:
    admin = pg.connect("postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'drop database if exists "{pg.database}" with (force)')
        cur.execute(f'create database "{pg.database}"')
    admin.close()


def _copy_table(con, cur, schema: str, table: str, scratch: Path) -> int:
    """One DuckDB table into PostgreSQL through a CSV file; the rows copied."""
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position", [schema, table]).fetchall()
    cur.execute(f'create schema if not exists "{schema}"')
    # A type PostgreSQL has no counterpart for (JSON, lists, …) goes over as text.
    ddl = ", ".join(f"{name.lower()} {postgres_type(kind) or 'text'}" for name, kind in columns)
    cur.execute(f'create table "{schema}"."{table}" ({ddl})')
    csv_path = scratch / f"{schema}.{table}.csv"
    con.execute(f"copy \"{schema}\".\"{table}\" to '{csv_path}' (header false)")
    with open(csv_path) as f:
        cur.copy_expert(f'copy "{schema}"."{table}" from stdin with (format csv)', f)
    csv_path.unlink()
    return cur.rowcount


def copy_raw_to_postgres(warehouse: Path, pg: PostgresTarget, scratch: Path) -> dict:
    """Recreate the peer database and copy every raw_* and meta table into it (CSV + COPY).
    Table names keep their case (dbt quotes source names); columns are lower case, as
    PostgreSQL folds the models' unquoted upper-case column names."""
    import duckdb

    _recreate_database(pg)
    scratch.mkdir(parents=True, exist_ok=True)
    started, rows = time.perf_counter(), 0
    conn = pg.connect()
    with duckdb.connect(str(warehouse), read_only=True) as con, conn, conn.cursor() as cur:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where (table_schema like 'raw_%' or table_schema = 'meta') and table_type = 'BASE TABLE' "
            "order by 1, 2").fetchall()
        for schema, table in tables:
            rows += _copy_table(con, cur, schema, table, scratch)
        cur.execute("analyze")
    conn.close()
    return {"tables": len(tables), "rows": rows, "seconds": round(time.perf_counter() - started, 2)}


def _server_version(pg: PostgresTarget) -> str:
    with pg.connect() as con, con.cursor() as cur:
        cur.execute("show server_version")
        return cur.fetchone()[0]


def postgres_peer(data_dir: Path, pg: PostgresTarget) -> dict:
    """Copy the school's raw tables into pg and measure `dbt build --target postgres` there
    ({"skipped": why} when the peer cannot run)."""
    why_not = postgres_available(pg)
    if why_not:
        return {"skipped": why_not}
    settings = Settings.from_env({"ZHENGAI_DATA_DIR": str(data_dir)})
    copied = copy_raw_to_postgres(settings.warehouse, pg, data_dir / "pg_copy")
    target = data_dir / "dbt_target_postgres"
    shutil.rmtree(target, ignore_errors=True)
    cmd = [str(Path(sys.executable).with_name("dbt")), "build", "--target", "postgres",
           "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
           "--target-path", str(target), "--log-path", str(target), "--no-use-colors"]
    env = child_env(data_dir, ZHENGAI_WAREHOUSE=str(settings.warehouse), **pg.dbt_env())
    version = _server_version(pg)
    load = os.getloadavg()[0]
    m = measure_command(cmd, env, data_dir / "logs" / "dbt_build_postgres.log")
    return {"postgres_version": version, "database": pg.database, "copy": copied, "load_before": round(load, 2),
            **asdict(m), "succeeded": m.returncode == 0, "dbt": dbt_breakdown(target / "run_results.json")}
