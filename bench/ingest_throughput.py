"""Ingest throughput of the check-in log (JW_KQ_XSKQB), from SQLite, PostgreSQL and MariaDB.

    uv run python -m bench.ingest_throughput --write BENCHMARKS.md

Generates the school (20 000 students × 1 year, about 11 M check-ins) unless it is there,
copies the check-in log into a scratch PostgreSQL database (binary COPY, through DuckDB) and,
when a MariaDB server answers, into a scratch MariaDB database, and measures, per source:
- the floor: the source database's own export (PostgreSQL COPY … TO STDOUT; SQLite's and
  MariaDB's command-line shells selecting every row to /dev/null);
- a full load of the table into a new warehouse through each path (DuckDB scanner,
  SQLAlchemy + Polars batches), contract, quarantine and audit included;
- reading alone into Arrow with the other drivers tried (ADBC, connectorx), when installed;
- one day of new check-ins (the newest 1/180 of the log) loaded incrementally into the rest,
  and how many rows the source database examined for it (SQLite: virtual machine steps
  of the read, PostgreSQL/MariaDB: rows the server's statistics count as read).
Each figure is the best of --repeat runs: other work on the machine only slows runs down.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
from datetime import date
import os
from pathlib import Path
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

import duckdb
import sqlalchemy as sa

from ingest.config import load_config
from ingest.runner import run_ingest
from ingest.connectors.database import ReadPosition
from bench.report import INGEST_BLOCK_END, INGEST_BLOCK_START, update_markdown
from bench.testbed import copy_sqlite_tables, scratch_database

TABLE = "JW_KQ_XSKQB"
DAYS_OF_CLASSES = 180
SECTION = "## Ingest"


def check_in_config(fast_path: str):
    config = load_config().with_fast_path(fast_path)
    jw = config.sources["jw"]
    return dataclasses.replace(
        config, sources={"jw": dataclasses.replace(jw, tables=(jw.table(TABLE),))})


def best_of(repeat: int, measure) -> float:
    return min(measure() for _ in range(repeat))


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def full_load(url: str, fast_path: str, workdir: Path) -> tuple[float, int]:
    warehouse = workdir / f"full-{fast_path}.duckdb"
    warehouse.unlink(missing_ok=True)
    started = time.perf_counter()
    [result] = run_ingest(warehouse, {"jw": url}, workdir, run_id="bench", sources=["jw"],
                          config=check_in_config(fast_path))
    seconds = time.perf_counter() - started
    if result.status != "ok":
        raise RuntimeError(result.error)
    return seconds, result.rows_read


def one_day(url: str, fast_path: str, workdir: Path,
            last_day_from: int) -> tuple[float, int, str]:
    """A warehouse holding the log before `last_day_from`, as the previous night's load left
    it (watermark, and for SQLite where the read ended); then the rest (a day) loads."""
    base = workdir / f"full-{fast_path}.duckdb"
    warehouse = workdir / f"day-{fast_path}.duckdb"
    shutil.copy(base, warehouse)
    position = previous_night_position(url, last_day_from)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f'DELETE FROM raw_jw."{TABLE}" WHERE KQ_ID >= ?', [last_day_from])
        con.execute("UPDATE meta.watermarks SET watermark = ?, read_position = ? "
                    "WHERE table_name = ?", [str(last_day_from - 1), position, TABLE])
        con.execute("CHECKPOINT")
    started = time.perf_counter()
    [result] = run_ingest(warehouse, {"jw": url}, workdir, run_id="day", sources=["jw"],
                          config=check_in_config(fast_path))
    seconds = time.perf_counter() - started
    if result.status != "ok":
        raise RuntimeError(result.error)
    return seconds, result.rows_read, result.connector


def previous_night_position(url: str, last_day_from: int) -> str | None:
    """SQLite: where the read of the night before `last_day_from` ended (the last row before
    the day, the generator writes the log in id order); other sources keep none."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    with sqlite3.connect(parsed.database) as db:
        rowid, value = db.execute(
            f"SELECT rowid, KQ_ID FROM {TABLE} WHERE rowid < (SELECT min(rowid) FROM {TABLE} "
            f"WHERE KQ_ID >= ?) ORDER BY rowid DESC LIMIT 1", [last_day_from]).fetchone()
    return ReadPosition(rowid, value).stored(str(last_day_from - 1))


def postgres_floor(url: str, table: str) -> float:
    """COPY … TO STDOUT into /dev/null: the server's own export, over the wire."""
    engine = sa.create_engine(url)
    try:
        raw = engine.raw_connection()
        try:
            with open(os.devnull, "w") as sink, raw.cursor() as cursor:
                started = time.perf_counter()
                cursor.copy_expert(f"COPY {table} TO STDOUT", sink)
                return time.perf_counter() - started
        finally:
            raw.close()
    finally:
        engine.dispose()


def mariadb_floor(url: str, table: str) -> float:
    """The mariadb shell selecting every row to /dev/null (falls back to the driver)."""
    parsed = sa.make_url(url)
    shell = shutil.which("mariadb") or shutil.which("mysql")
    if shell is None:
        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                return timed(lambda: conn.execute(sa.text(f"SELECT * FROM {table}")).fetchall())
        finally:
            engine.dispose()
    command = [shell, "--quick", "--batch", "--skip-column-names", "-u", parsed.username or "root"]
    if parsed.query.get("unix_socket"):
        command += ["--socket", parsed.query["unix_socket"]]
    else:
        command += ["-h", parsed.host or "localhost", "-P", str(parsed.port or 3306)]
    if parsed.password:
        command.append(f"--password={parsed.password}")
    command += [parsed.database, "-e", f"SELECT * FROM {table}"]
    return timed(lambda: subprocess.run(command, stdout=subprocess.DEVNULL, check=True))


def server_rows_read(url: str, table: str) -> int | None:
    """Rows of `table` the server's statistics count as read so far (PostgreSQL: sequential
    plus index fetches; MariaDB: the handler's reads, server-wide), None for SQLite."""
    backend = sa.make_url(url).get_backend_name()
    if backend == "sqlite":
        return None
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if backend == "postgresql":
                time.sleep(1.2)  # PostgreSQL 15 flushes a backend's table statistics each second
                return conn.execute(sa.text(
                    "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) "
                    "FROM pg_stat_user_tables WHERE relname = :t"), {"t": table}).scalar_one()
            rows = dict(conn.execute(sa.text(
                "SHOW GLOBAL STATUS WHERE Variable_name IN ('Handler_read_rnd_next', "
                "'Handler_read_next', 'Handler_read_key')")).fetchall())
            return sum(int(v) for v in rows.values())
    finally:
        engine.dispose()


def sqlite_floor(path: Path) -> float:
    """SQLite's shell selecting every row to /dev/null (Python's sqlite3 would measure Python)."""
    shell = shutil.which("sqlite3")
    if shell is None:
        rows = sqlite3.connect(path).execute(f"SELECT * FROM {TABLE}")
        return timed(lambda: [None for _ in rows])
    return timed(lambda: subprocess.run([shell, str(path), f"SELECT * FROM {TABLE}"],
                                        stdout=subprocess.DEVNULL, check=True))


def read_only(driver: str, url: str):
    """Reading the whole log into Arrow with a driver: a callable (None when not installed)."""
    plain = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    query = f"SELECT * FROM {TABLE.lower()}"
    try:
        if driver == "duckdb":
            from ingest.connectors.duckdb_extensions import scanner_connection
            from ingest.connectors.database_scan import attach_string

            def read():
                con = scanner_connection("postgres")
                con.execute(f"ATTACH '{attach_string(url)}' AS bench_read (TYPE postgres, "
                            f"READ_ONLY)")
                try:
                    con.execute(f"SELECT * FROM bench_read.{TABLE.lower()}").to_arrow_table()
                finally:
                    con.execute("DETACH bench_read")
                    con.close()
        elif driver == "adbc":
            import adbc_driver_postgresql.dbapi as adbc

            def read():
                with adbc.connect(plain) as conn, conn.cursor() as cursor:
                    cursor.execute(query)
                    cursor.fetch_arrow_table()
        else:
            import connectorx

            def read():
                connectorx.read_sql(plain, query, return_type="arrow")
    except ImportError:
        return None
    return read


def server_answers(url: str) -> bool:
    engine = sa.create_engine(url, connect_args={"connect_timeout": 5})
    try:
        engine.connect().close()
        return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def sqlite_rows_examined(url: str, fast_path: str, workdir: Path, last_day_from: int) -> int:
    """How many rows SQLite steps through for the day's read: the row count of the loop in
    its query plan (a SEARCH from the rowid reads the new rows, a SCAN the whole log)."""
    from ingest.connectors.database import SqlSource

    source = SqlSource("jw", url)
    table = check_in_config(fast_path).sources["jw"].table(TABLE)
    position = previous_night_position(url, last_day_from)
    read = source.read(table, str(last_day_from - 1), position)
    statement = read.query.compile(dialect=source.engine.dialect,
                                   compile_kwargs={"literal_binds": True})
    source.close()
    with sqlite3.connect(sa.make_url(url).database) as db:
        plan = " ".join(row[-1] for row in db.execute(f"EXPLAIN QUERY PLAN {statement}"))
        if "SCAN" in plan:
            return db.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
        seek = re.search(r"rowid > (\d+)", str(statement))
        return db.execute(f"SELECT count(*) FROM {TABLE} WHERE rowid > ?",
                          [int(seek.group(1))]).fetchone()[0]


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def machine() -> str:
    memory = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    return (f"{os.cpu_count()} cores, {memory / 1024 ** 2:.0f} GiB RAM, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}, DuckDB "
            f"{duckdb.__version__}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--school", type=Path, default=Path("data/bench/ingest-school20k"))
    parser.add_argument("--students", type=int, default=20_000)
    parser.add_argument("--postgres-url",
                        default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres",
                        help="an account allowed to create a scratch database")
    parser.add_argument("--mariadb-url",
                        default="mysql+pymysql://root@localhost/?unix_socket=/run/mysqld/mysqld.sock",
                        help="an account allowed to create a scratch database ('' to skip MariaDB)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--write", type=Path, help="replace the Ingest block of this file")
    args = parser.parse_args(argv)

    jw = args.school / "jw.sqlite"
    if not jw.exists():
        from school_generator import generate
        print(f"generating {args.students} students × 1 year into {args.school} …", flush=True)
        generate(args.school, students=args.students, seed=42, years=1)
    with sqlite3.connect(jw) as db:
        rows = db.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
        # a teaching day's worth: the newest 1/180 of the log (a year has about 180 days of
        # classes)
        last_day_from = db.execute(f"SELECT KQ_ID FROM {TABLE} ORDER BY KQ_ID LIMIT 1 OFFSET ?",
                                   [rows - rows // DAYS_OF_CLASSES]).fetchone()[0]
    sqlite_url = f"sqlite:///{jw.resolve()}"
    lines: list[tuple[str, str, str, str]] = []  # source, path, seconds, rows/s
    loads: list[str] = []

    def record(source: str, path: str, seconds: float, count: int) -> None:
        lines.append((source, path, f"{seconds:.1f}", f"{count / seconds:,.0f}"))
        loads.append(load_average())
        print(f"{source:<11} {path:<52} {seconds:7.1f} s {count / seconds:>12,.0f} rows/s"
              f"   (load {loads[-1]})", flush=True)

    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="zhengai-bench-")))
        pg_url = stack.enter_context(scratch_database(args.postgres_url, prefix="zhengai_ingest_bench"))
        print(f"copying {rows:,} check-ins into PostgreSQL …", flush=True)
        copy_sqlite_tables(jw, pg_url, tables=[TABLE])
        with sa.create_engine(pg_url, isolation_level="AUTOCOMMIT").connect() as conn:
            # a vendor indexes its log by id (not unique: an id can arrive twice)
            conn.execute(sa.text(f"CREATE INDEX ON {TABLE.lower()} (kq_id)"))
            conn.execute(sa.text(f"VACUUM ANALYZE {TABLE.lower()}"))
        sources = [("SQLite", sqlite_url, TABLE), ("PostgreSQL", pg_url, TABLE.lower())]
        if args.mariadb_url and server_answers(args.mariadb_url):
            maria_url = stack.enter_context(scratch_database(args.mariadb_url,
                                                             prefix="zhengai_ingest_bench"))
            print(f"copying {rows:,} check-ins into MariaDB …", flush=True)
            copy_sqlite_tables(jw, maria_url, tables=[TABLE])
            with sa.create_engine(maria_url).begin() as conn:
                conn.execute(sa.text(f"CREATE INDEX kq_id ON {TABLE} (KQ_ID)"))
            sources.append(("MariaDB", maria_url, TABLE))

        floors = {"SQLite": (lambda url, table: sqlite_floor(jw), "sqlite3 shell SELECT * > /dev/null"),
                  "PostgreSQL": (postgres_floor, "COPY … TO STDOUT > /dev/null"),
                  "MariaDB": (mariadb_floor, "mariadb shell SELECT * > /dev/null")}
        for source, url, table in sources:
            measure_floor, floor_name = floors[source]
            floor = best_of(args.repeat, lambda: measure_floor(url, table))
            record(source, "floor: " + floor_name, floor, rows)
            for fast_path, name in (("auto", "full load, DuckDB scanner (fast path)"),
                                    ("off", "full load, SQLAlchemy + Polars batches")):
                seconds = best_of(args.repeat if fast_path == "auto" else 1,
                                  lambda: full_load(url, fast_path, workdir)[0])
                record(source, name, seconds, rows)
            if source == "PostgreSQL":
                for driver in ("duckdb", "adbc", "connectorx"):
                    read = read_only(driver, pg_url)
                    if read is not None:
                        seconds = best_of(args.repeat, lambda: timed(read))
                        name = "DuckDB postgres scanner" if driver == "duckdb" else driver
                        record(source, f"read only into Arrow, {name}", seconds, rows)
            for fast_path in ("auto", "off"):
                examined = server_rows_read(url, table)
                day_seconds, day_rows, connector = min(
                    one_day(url, fast_path, workdir, last_day_from) for _ in range(args.repeat))
                if examined is not None:  # per run, on the server
                    examined = (server_rows_read(url, table) - examined) // args.repeat
                else:
                    examined = sqlite_rows_examined(sqlite_url, fast_path, workdir, last_day_from)
                record(source, f"one new day, fast_path {fast_path} → {connector} "
                               f"({day_rows:,} rows into {rows - day_rows:,}; source examined "
                               f"{examined:,} rows)", day_seconds, day_rows)

    section = render(lines, loads, rows, args, argv)
    print(section)
    if args.write:
        write_section(args.write, section)


def render(lines, loads, rows, args, argv) -> str:
    command = "uv run python -m bench.ingest_throughput " + " ".join(argv if argv is not None
                                                          else sys.argv[1:])
    table = ["| source | path | seconds | rows/s | load avg (1/5/15 min) after |",
             "| --- | --- | ---: | ---: | --- |"]
    table += [f"| {s} | {p} | {sec} | {rate} | {load} |"
              for (s, p, sec, rate), load in zip(lines, loads)]

    def seconds(path_start: str) -> float:
        return float(next(sec for source, path, sec, _ in lines
                          if source == "PostgreSQL" and path.startswith(path_start)))

    full, day = seconds("full load, DuckDB"), seconds("one new day, fast_path auto")
    goals = ["| goal | target | measured | holds |", "| --- | --- | ---: | --- |",
             f"| full check-in log from PostgreSQL | ≤ 30 s | {full:.1f} s | "
             f"{'yes' if full <= 30 else 'no'} |",
             f"| one new day from PostgreSQL | ≤ 5 s | {day:.1f} s | "
             f"{'yes' if day <= 5 else 'no'} |"]
    return "\n".join([
        SECTION, "", *goals, "",
        f"Check-in log `JW_KQ_XSKQB`, {args.students:,} students × 1 year = {rows:,} rows "
        f"(generator seed 42). Measured {date.today().isoformat()} on {machine()}, "
        f"best of {args.repeat} runs (SQLAlchemy full loads: 1 run). The machine is shared "
        f"with other work: the load average after each figure is listed.", "",
        f"Command: `{command}`", "",
        *table, "",
        "A full load is `run_ingest` of the table into a new warehouse: read, contract check, "
        "duplicate keys to quarantine, insert, audit, in one transaction. The floor is the "
        "source's own export of the same rows. \"One new day\" starts from a warehouse "
        "holding all but the newest 1/180 of the log (a teaching day) and loads that day. "
        "The PostgreSQL and MariaDB copies have a (non-unique) index on KQ_ID, as a vendor's "
        "log would; there the scanner passes the incremental query to the server as it is "
        "(postgres_query / mysql_query), which answers it from the index. On SQLite, nightly "
        "incremental reads go through SQLite itself (DuckDB's SQLite scanner cannot push the "
        "filter down), seeking past the rowid where the previous night's read ended.", "",
        "Choice of the fast path: DuckDB's scanner reads PostgreSQL about as fast as the "
        "server exports (binary COPY over parallel connections), faster than ADBC and "
        "connectorx, hands Arrow to Polars without a copy and comes as a wheel per engine "
        "(PostgreSQL, MySQL/MariaDB, SQLite); ADBC and connectorx were measured only and are "
        "not dependencies. What a full load adds to the read is the contract check (Polars), "
        "staging (Parquet, bounded memory) and DuckDB's insert into the raw table.", ""])


def write_section(path: Path, section: str) -> None:
    """Replace this benchmark's block in `path` (between its markers), or append it; the
    rest of the file belongs to the other benchmarks."""
    # The section ends in a newline; one more leaves a blank line before the end marker.
    update_markdown(path, section + "\n", INGEST_BLOCK_START, INGEST_BLOCK_END)


if __name__ == "__main__":
    main()
