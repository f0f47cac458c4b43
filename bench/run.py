"""`zhengai bench`: the end-to-end benchmark of the nightly pipeline.

What it measures, on a generated school under data/bench/ (git-ignored):

- generation of the sources (`zhengai generate`, only when they are (re)generated);
- the full rebuild: empty warehouse → `zhengai sync` (ingest, dbt build, the control-point
  checks, warning dispatch), split by stage from the Dagster run's step timings;
- the nightly increment: one more teaching day appended to the sources
  (`zhengai generate --append-day`) → `zhengai sync` again, split the same way;
- peak memory: the resident set of the whole process tree of each run and of its largest
  process, sampled from /proc every SAMPLE_SECONDS;
- the floor: one DuckDB query that reads the raw check-ins and dorm checks once and
  aggregates them per student and term, class and month, student and month — the least
  work any build of the attendance and dorm marts has to do;
- the peer: the same dbt project built on this machine's PostgreSQL (target `postgres`)
  from the same raw tables;
- the growth curve: the full rebuild at several school sizes.

Each run is a subprocess (`zhengai generate`, `zhengai sync`, `dbt build`), exactly as an
engineer runs them, so memory and time include everything the nightly job does. Results
go to a JSON file (merged with earlier results, keyed by scale) and to the benchmark
section of BENCHMARKS.md.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

from zhengai.settings import DBT_PROJECT_DIR, REPO_ROOT, Settings

BENCH_DIR = REPO_ROOT / "data" / "bench"
BENCHMARKS_MD = REPO_ROOT / "BENCHMARKS.md"
DEFAULT_JSON = BENCH_DIR / "bench.json"
SAMPLE_SECONDS = 0.1
BLOCK_START = "<!-- bench:start (written by `zhengai bench`; edit orchestration/bench.py, not this block) -->"
BLOCK_END = "<!-- bench:end -->"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/zhengai_bench"
GOALS = {  # the goals, checked in the report
    "full_rebuild_seconds": 180, "nightly_seconds": 30, "peak_rss_gib": 4.0, "peer_ratio": 10.0,
    "floor_ratio": 3.0, "generate_seconds": 180,
}


# ------------------------------------------------------------------ measuring a process tree

@dataclass
class Measured:
    seconds: float
    peak_tree_rss: int          # bytes, sampled sum over the process and all its descendants
    max_process_rss: int        # bytes, largest single process of the tree (sampled)
    cpu_seconds: float          # user + system time of the tree: less sensitive to other load than wall time
    returncode: int
    log: str                    # where the output went
    peak_by_process: list = field(default_factory=list)   # the largest processes of the tree, each at its peak


def _children_of() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields start after the last ')'.
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


def _command_name(pid: int) -> str:
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    words = [Path(a.decode(errors="replace")).name for a in args[:4] if a]
    # "python -m zhengai.cli sync" → "zhengai.cli sync"; ".../bin/dbt build" → "dbt build"
    if len(words) > 1 and words[0].startswith("python"):
        words = words[2:] if words[1] == "-m" else words[1:]
    return " ".join(words[:2])


def tree_rss(pid: int) -> dict[int, int]:
    """Resident bytes of pid and each of its descendants (empty once it is gone)."""
    children = _children_of()
    page = os.sysconf("SC_PAGE_SIZE")
    rss, todo = {}, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm") as f:
                rss[p] = int(f.read().split()[1]) * page
        except OSError:
            continue
        todo += children.get(p, [])
    return rss


def measure_command(cmd: list[str], env: dict[str, str], log_path: Path, cwd: Path = REPO_ROOT) -> Measured:
    """Run cmd, its output to log_path; wall time, CPU time and the peak memory of its
    process tree (and of each process in it)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    peak = 0
    by_process: dict[int, int] = {}
    names: dict[int, str] = {}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(log_path, "w") as log:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                rss = tree_rss(proc.pid)
                peak = max(peak, sum(rss.values()))
                for p, n in rss.items():
                    if n > by_process.get(p, 0):
                        by_process[p] = n
                        names.setdefault(p, _command_name(p))
                done.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        returncode = proc.wait()
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
    # Children's CPU time counts every waited descendant (the sync waits for its dbt process).
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peaks = sorted(((n, names[p]) for p, n in by_process.items()), reverse=True)[:4]
    return Measured(round(seconds, 2), peak, peaks[0][0] if peaks else 0, round(cpu, 2), returncode, str(log_path),
                    [{"process": name, "peak_rss": n} for n, name in peaks])


def _zhengai(*args: str) -> list[str]:
    return [sys.executable, "-m", "zhengai.cli", *args]


def child_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a measured run: this one without any ZHENGAI_* override (a stray
    ZHENGAI_WAREHOUSE would point the run elsewhere), the school's data dir, its own
    Dagster home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHENGAI_")}
    env.update(ZHENGAI_DATA_DIR=str(data_dir), DAGSTER_HOME=str(data_dir / "dagster_home"), **extra)
    return env


# ------------------------------------------------------------------ the school and its runs

def school_dir(bench_dir: Path, students: int, years: int) -> Path:
    return Path(bench_dir) / f"s{students}_y{years}"


def ensure_sources(data_dir: Path, students: int, years: int, seed: int, regenerate: bool) -> dict | None:
    """Generate the school unless the same one is there; the measurement, or None if reused."""
    manifest = data_dir / "sources" / "planted.json"
    if manifest.exists() and not regenerate:
        found = json.loads(manifest.read_text(encoding="utf-8"))
        if (found.get("students"), found.get("years"), found.get("seed")) == (students, years, seed):
            return None
    shutil.rmtree(data_dir / "sources", ignore_errors=True)
    m = measure_command(_zhengai("generate", "--students", str(students), "--years", str(years), "--seed", str(seed),
                                 "--out", str(data_dir / "sources")),
                        child_env(data_dir), data_dir / "logs" / "generate.log")
    _check(m, "generate")
    return asdict(m)


def _check(m: Measured, what: str) -> None:
    if m.returncode != 0:
        tail = Path(m.log).read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{what} failed (exit {m.returncode}); log {m.log}:\n{tail}")


def next_teaching_day(sources: Path) -> date:
    """The first weekday after the last day present that is not a public holiday."""
    from school_generator import last_day_present
    from school_generator.increment import is_holiday

    day = last_day_present(sources) + timedelta(days=1)
    while day.weekday() >= 5 or is_holiday(day):
        day += timedelta(days=1)
    return day


def _step_stages(data_dir: Path, since: float) -> dict:
    """Per-stage seconds of the runs `zhengai sync` made after `since`, from Dagster's step
    statistics: ingest_* steps, the dbt build (data_center), the control-point checks
    (*_control_points), any later step (publishing the analysts' snapshot) and the
    dispatch job."""
    import dagster as dg

    instance = dg.DagsterInstance.from_config(str(data_dir / "dagster_home"))
    stages = {"ingest": 0.0, "dbt_build": 0.0, "checks": 0.0, "publish": 0.0, "dispatch": 0.0}
    steps: dict[str, float] = {}
    run_ids: dict[str, str] = {}
    for run in instance.get_runs(limit=10):
        stats = instance.get_run_stats(run.run_id)
        if not stats.start_time or stats.start_time < since:
            continue
        run_ids[run.job_name] = run.run_id
        if run.job_name == "dispatch_warnings":
            stages["dispatch"] += (stats.end_time or stats.start_time) - stats.start_time
            continue
        for step in instance.get_run_step_stats(run.run_id):
            seconds = (step.end_time or step.start_time) - step.start_time
            steps[step.step_key] = round(seconds, 2)
            if step.step_key.startswith("ingest_"):
                stages["ingest"] += seconds
            elif step.step_key == "data_center":
                stages["dbt_build"] += seconds
            elif step.step_key.endswith("_control_points"):
                stages["checks"] += seconds
            else:
                stages["publish"] += seconds
    instance.dispose()
    return {"stages": {k: round(v, 2) for k, v in stages.items()}, "steps": steps, "run_ids": run_ids}


def dbt_breakdown(run_results: Path, top: int = 8) -> dict:
    """Seconds by kind of node (models, tests, seeds, snapshots) and the slowest models."""
    if not run_results.exists():
        return {}
    run = json.loads(run_results.read_text())
    results = run["results"]
    by_kind: dict[str, float] = {}
    failed = []
    for r in results:
        kind = r["unique_id"].split(".")[0]
        by_kind[kind] = by_kind.get(kind, 0.0) + r["execution_time"]
        if r["status"] in ("error", "fail"):
            failed.append({"node": r["unique_id"], "message": (r.get("message") or "")[:300]})
    slowest = sorted((r for r in results if r["unique_id"].startswith("model.")),
                     key=lambda r: -r["execution_time"])[:top]
    return {
        "nodes": len(results),
        # dbt's own wall time from its first node to its last, without its start-up
        "elapsed": round(run.get("elapsed_time", 0.0), 2),
        "seconds_by_kind": {k: round(v, 2) for k, v in sorted(by_kind.items())},
        "slowest_models": [{"model": r["unique_id"].split(".")[-1], "seconds": round(r["execution_time"], 2)}
                           for r in slowest],
        "failed": failed,
    }


def _dagster_run_results(run_id: str | None) -> Path:
    if run_id:
        for path in sorted((DBT_PROJECT_DIR / "target").glob(f"data_center-{run_id[:7]}-*/run_results.json")):
            return path
    return Path("/nonexistent")


def prepare_dagster_home(home: Path) -> None:
    """The instance config the Makefile installs (no telemetry, one warehouse writer), so
    a measured run is configured like the nightly one."""
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(REPO_ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")


def timed_sync(data_dir: Path, label: str) -> dict:
    prepare_dagster_home(data_dir / "dagster_home")
    load = os.getloadavg()[0]
    since = time.time()
    m = measure_command(_zhengai("sync"), child_env(data_dir), data_dir / "logs" / f"{label}.log")
    _check(m, f"zhengai sync ({label})")
    split = _step_stages(data_dir, since - 1)
    split["stages"]["other"] = round(m.seconds - sum(split["stages"].values()), 2)
    return {**asdict(m), **split, "load_before": round(load, 2),
            "dbt": dbt_breakdown(_dagster_run_results(split["run_ids"].get("nightly_sync")))}


def full_rebuild(data_dir: Path) -> dict:
    """Empty warehouse (and ledger, outbox, run history) → one nightly sync."""
    settings = Settings.from_env({"ZHENGAI_DATA_DIR": str(data_dir)})
    snapshot = getattr(settings, "snapshot", None)
    for path in (settings.warehouse, settings.warehouse.with_name(settings.warehouse.name + ".wal"),
                 settings.ledger, *([Path(snapshot)] if snapshot else [])):
        path.unlink(missing_ok=True)
    for folder in (settings.outbox, data_dir / "dagster_home"):
        shutil.rmtree(folder, ignore_errors=True)
    return timed_sync(data_dir, "full_rebuild")


def nightly_increment(data_dir: Path) -> dict:
    """Append the next teaching day to the sources, then the nightly sync."""
    day = next_teaching_day(data_dir / "sources")
    m = measure_command(_zhengai("generate", "--out", str(data_dir / "sources"), "--append-day", day.isoformat()),
                        child_env(data_dir), data_dir / "logs" / "append_day.log")
    _check(m, "generate --append-day")
    appended = json.loads((data_dir / "sources" / "planted.json").read_text(encoding="utf-8"))["appended_days"][-1]
    return {"day": day.isoformat(), "rows_appended": appended["rows"], "append_seconds": m.seconds,
            **timed_sync(data_dir, "nightly")}


# ------------------------------------------------------------------ the floor

FLOOR_SQL = """
with check_ins as (
    select k.XH_ID, s.JXB_ID, t.XNM, t.XQM, date_trunc('month', s.SKRQ::date) as month, s.XS, k.KQZT
    from raw_jw.JW_KQ_XSKQB k
    join raw_jw.JW_KQ_SKJLB s on s.SKJL_ID = k.SKJL_ID
    join raw_jw.JW_JXRW_JXBXXB t on t.JXB_ID = s.JXB_ID
),
attendance as (
    select XH_ID, JXB_ID, XNM, XQM, month,
           sum(XS) filter (where KQZT = 4) as absent_periods,
           sum(XS) filter (where KQZT <> 5) as counted_periods
    from check_ins
    group by grouping sets ((XH_ID, XNM, XQM), (JXB_ID, month))
),
dorm as (
    select XH, date_trunc('month', CQRQ::date) as month,
           count(*) filter (where ZT = '晚归') as late_returns,
           count(*) filter (where ZT = '夜不归宿') as nights_out
    from raw_xg.XG_CQJL
    group by all
)
select (select count(*) from attendance), (select sum(absent_periods) from attendance),
       (select count(*) from dorm), (select sum(late_returns) from dorm)
"""


def floor_seconds(warehouse: Path, threads: int = 2, repeat: int = 2) -> dict:
    """Best of `repeat` runs of FLOOR_SQL on the warehouse (read-only, dbt's thread count)."""
    import duckdb

    best = None
    with duckdb.connect(str(warehouse), read_only=True, config={"threads": threads}) as con:
        rows = con.execute("select count(*) from raw_jw.JW_KQ_XSKQB").fetchone()[0] + \
            con.execute("select count(*) from raw_xg.XG_CQJL").fetchone()[0]
        for _ in range(repeat):
            started = time.perf_counter()
            con.execute(FLOOR_SQL).fetchall()
            elapsed = time.perf_counter() - started
            best = elapsed if best is None else min(best, elapsed)
    return {"seconds": round(best, 2), "rows_scanned": rows, "threads": threads}


# ------------------------------------------------------------------ the PostgreSQL peer

PG_TYPES = {"BIGINT": "bigint", "INTEGER": "integer", "DOUBLE": "double precision", "VARCHAR": "text",
            "BOOLEAN": "boolean", "TIMESTAMP": "timestamp", "DATE": "date", "JSON": "text"}


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


def copy_raw_to_postgres(warehouse: Path, pg: PostgresTarget, scratch: Path) -> dict:
    """Recreate the peer database and copy every raw_* and meta table into it (CSV + COPY).
    Table names keep their case (dbt quotes source names); columns are lower case, as
    PostgreSQL folds the models' unquoted upper-case column names."""
    import duckdb

    database = pg.database
    admin = pg.connect("postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'drop database if exists "{database}" with (force)')
        cur.execute(f'create database "{database}"')
    admin.close()
    scratch.mkdir(parents=True, exist_ok=True)
    started, rows = time.perf_counter(), 0
    conn = pg.connect()
    with duckdb.connect(str(warehouse), read_only=True) as con, conn, conn.cursor() as cur:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where (table_schema like 'raw_%' or table_schema = 'meta') and table_type = 'BASE TABLE' "
            "order by 1, 2").fetchall()
        for schema, table in tables:
            columns = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position", [schema, table]).fetchall()
            cur.execute(f'create schema if not exists "{schema}"')
            ddl = ", ".join(f"{name.lower()} {PG_TYPES.get(kind, 'text')}" for name, kind in columns)
            cur.execute(f'create table "{schema}"."{table}" ({ddl})')
            csv_path = scratch / f"{schema}.{table}.csv"
            con.execute(f"copy \"{schema}\".\"{table}\" to '{csv_path}' (header false)")
            with open(csv_path) as f:
                cur.copy_expert(f'copy "{schema}"."{table}" from stdin with (format csv)', f)
            rows += cur.rowcount
            csv_path.unlink()
        cur.execute("analyze")
    conn.close()
    return {"tables": len(tables), "rows": rows, "seconds": round(time.perf_counter() - started, 2)}


def postgres_peer(data_dir: Path, pg: PostgresTarget) -> dict:
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
    with pg.connect() as con, con.cursor() as cur:
        cur.execute("show server_version")
        version = cur.fetchone()[0]
    load = os.getloadavg()[0]
    m = measure_command(cmd, env, data_dir / "logs" / "dbt_build_postgres.log")
    breakdown = dbt_breakdown(target / "run_results.json")
    return {"postgres_version": version, "database": pg.database, "copy": copied, "load_before": round(load, 2),
            **asdict(m),
            "succeeded": m.returncode == 0, "dbt": breakdown}


# ------------------------------------------------------------------ the whole benchmark

def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))
    import dbt.version
    import duckdb

    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem_kib / 2**20, 1),
            "python": platform.python_version(), "duckdb": duckdb.__version__,
            "dbt_core": dbt.version.__version__, "os": platform.platform()}


def bench_scale(students: int, years: int, seed: int, *, nightly: bool, floor: bool, peer: PostgresTarget | None,
                regenerate: bool, result: dict, save=lambda: None, bench_dir: Path = BENCH_DIR, log=print) -> dict:
    """Measure one school size into `result`, calling save() after each stage so a failure
    later on keeps what was measured."""
    data_dir = school_dir(bench_dir, students, years)
    result.clear()
    result.update(students=students, years=years, seed=seed, date=datetime.now().isoformat(timespec="minutes"))
    log(f"[{students}×{years}] 生成源数据 …")
    result["generate"] = ensure_sources(data_dir, students, years, seed, regenerate)
    counts = json.loads((data_dir / "sources" / "planted.json").read_text(encoding="utf-8"))["row_counts"]
    result["rows"] = {"check_ins": counts.get("JW_KQ_XSKQB"), "dorm_checks": counts.get("XG_CQJL")}
    save()
    log(f"[{students}×{years}] 全量重建（空仓库 → zhengai sync）…")
    result["full_rebuild"] = full_rebuild(data_dir)
    save()
    settings = Settings.from_env({"ZHENGAI_DATA_DIR": str(data_dir)})
    if floor:
        log(f"[{students}×{years}] 扫描下限查询 …")
        result["floor"] = floor_seconds(settings.warehouse)
        save()
    if peer:
        log(f"[{students}×{years}] PostgreSQL 对照（同一 dbt 项目，target postgres）…")
        result["peer"] = postgres_peer(data_dir, peer)
        save()
    if nightly:
        log(f"[{students}×{years}] 夜间增量（追加一天 → zhengai sync）…")
        result["nightly"] = nightly_increment(data_dir)
    return result


def run_bench(students: int, years: int, seed: int = 42, growth: list[int] | None = None,
              peer: PostgresTarget | None = None,
              out_json: Path = DEFAULT_JSON, markdown: Path | None = BENCHMARKS_MD, regenerate: bool = False,
              bench_dir: Path = BENCH_DIR, growth_only: bool = False, log=print) -> dict:
    """Measure the main scale (unless growth_only) and the growth curve; results merge into
    out_json by scale, so the curve can be measured in several sittings."""
    results = json.loads(out_json.read_text()) if out_json.exists() else {}
    results["machine"] = machine()
    results.setdefault("scales", {})
    main_key = f"{students}x{years}"
    if growth_only and main_key not in results["scales"]:
        raise ValueError(f"no earlier results for the main scale {main_key} in {out_json}")
    results["main"] = main_key
    if growth:
        results["growth"] = [f"{n}x{years}" for n in growth]

    def save() -> None:
        out_json.parent.mkdir(parents=True, exist_ok=True)
        out_json.write_text(json.dumps(results, ensure_ascii=False, indent=2))

    if not growth_only:
        bench_scale(students, years, seed, nightly=True, floor=True, peer=peer, regenerate=regenerate,
                    result=results["scales"].setdefault(main_key, {}), save=save, bench_dir=bench_dir, log=log)
    for n in growth or []:
        if n != students:
            bench_scale(n, years, seed, nightly=False, floor=False, peer=None, regenerate=regenerate,
                        result=results["scales"].setdefault(f"{n}x{years}", {}), save=save, bench_dir=bench_dir,
                        log=log)
    save()
    if markdown is not None:
        update_markdown(markdown, render_markdown(results))
    return results


# ------------------------------------------------------------------ the report

def _gib(n: int | None) -> str:
    return "–" if not n else f"{n / 2**30:.2f} GiB"


def _s(x: float | None) -> str:
    return "–" if x is None else f"{x:,.1f} s"


def goals(results: dict) -> list[tuple[str, str, str, bool | None]]:
    """(goal, target, measured, holds) for the main scale."""
    main = results["scales"][results["main"]]
    full, nightly = main["full_rebuild"], main.get("nightly")
    rows = [("全量重建 full rebuild", f"≤ {GOALS['full_rebuild_seconds']} s", _s(full["seconds"]),
             full["seconds"] <= GOALS["full_rebuild_seconds"])]
    if nightly:
        rows.append(("夜间增量 nightly incremental", f"≤ {GOALS['nightly_seconds']} s", _s(nightly["seconds"]),
                     nightly["seconds"] <= GOALS["nightly_seconds"]))
    peak = max(full["peak_tree_rss"], (nightly or {}).get("peak_tree_rss", 0))
    rows.append(("峰值内存 peak RSS (process tree)", f"≤ {GOALS['peak_rss_gib']:g} GiB", _gib(peak),
                 peak <= GOALS["peak_rss_gib"] * 2**30))
    dbt_seconds = full["stages"]["dbt_build"]
    peer = main.get("peer", {})
    if peer.get("succeeded"):
        ratio = peer["seconds"] / dbt_seconds
        rows.append(("dbt build vs PostgreSQL", f"≥ {GOALS['peer_ratio']:g}× faster", f"{ratio:.1f}×",
                     ratio >= GOALS["peer_ratio"]))
    else:
        reason = ("not run (--skip-peer)" if not peer else peer.get("skipped")
                  or f"the build failed on PostgreSQL ({len(peer.get('dbt', {}).get('failed', []))} nodes failed)")
        rows.append(("dbt build vs PostgreSQL", f"≥ {GOALS['peer_ratio']:g}× faster", f"not measured: {reason}", None))
    if "floor" in main:
        ratio = dbt_seconds / main["floor"]["seconds"]
        rows.append(("dbt build vs scan floor", f"≤ {GOALS['floor_ratio']:g}×", f"{ratio:.1f}×",
                     ratio <= GOALS["floor_ratio"]))
    gen = main.get("generate")
    if gen:
        rows.append(("生成源数据 generate", f"≤ {GOALS['generate_seconds']} s", _s(gen["seconds"]),
                     gen["seconds"] <= GOALS["generate_seconds"]))
    curve = [results["scales"][k] for k in results.get("growth", []) if "full_rebuild" in results["scales"].get(k, {})]
    if len(curve) >= 2:
        first, last = curve[0], curve[-1]
        # CPU time when every point has it: wall times taken under different loads do not compare.
        kind = "cpu_seconds" if all(c["full_rebuild"].get("cpu_seconds") for c in curve) else "seconds"
        per_student = [c["full_rebuild"][kind] / c["students"] for c in (first, last)]
        ratio = per_student[1] / per_student[0]
        # Wall times under other load say nothing about growth: then no verdict.
        conclusive = kind == "cpu_seconds" or all(c["full_rebuild"]["load_before"] <= 1.0 for c in curve)
        rows.append((f"增长 growth ({'CPU' if kind == 'cpu_seconds' else 'wall'} time per student, "
                     f"{last['students']:,} vs {first['students']:,})", "≤ 1.0 (no worse than linear)",
                     f"{ratio:.2f}" + ("" if conclusive else " (wall times under load: no verdict)"),
                     ratio <= 1.0 if conclusive else None))
    return rows


def _stage_row(name: str, run: dict) -> str:
    st = run["stages"]
    return (f"| {name} | {_s(run['seconds'])} | {_s(run.get('cpu_seconds'))} | {_s(st['ingest'])} | {_s(st['dbt_build'])} | {_s(st['checks'])} | "
            f"{_s(st['publish'])} | {_s(st['dispatch'])} | {_s(st['other'])} | {_gib(run['peak_tree_rss'])} | "
            f"{run['load_before']:.1f} |")


def render_markdown(results: dict) -> str:
    m = results["machine"]
    key = results["main"]
    main = results["scales"][key]
    lines = [
        "## End-to-end benchmark",
        "",
        f"Command: `make bench` (= `zhengai bench --students {main['students']} --years {main['years']} "
        f"--growth {','.join(k.split('x')[0] for k in results.get('growth', [])) or '…'}`). "
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; Python {m['python']}, "
        f"DuckDB {m['duckdb']}, dbt-core {m['dbt_core']}. Scale: {main['students']:,} students × {main['years']} "
        f"years = {main['rows']['check_ins']:,} check-ins, {main['rows']['dorm_checks']:,} dorm checks. "
        f"Measured {main['date']}; the load column is the 1-minute load average just before each run "
        "(the machine has 2 cores: above ~0.5 other work was competing).",
        "",
        "### Goals",
        "",
        "| goal | target | measured | holds |",
        "| --- | --- | --- | --- |",
    ]
    for goal, target, measured, holds in goals(results):
        lines.append(f"| {goal} | {target} | {measured} | {'–' if holds is None else ('yes' if holds else 'no')} |")
    lines += [
        "",
        "### Runs by stage",
        "",
        "Stages are the Dagster steps of the nightly job: ingest (`ingest_*`), dbt build (`data_center`: "
        "models, seeds, snapshots and dbt tests), checks (`*_control_points`), publish (the later steps: the "
        "analysts' snapshot), dispatch (the `dispatch_warnings` job); *other* is process start-up, loading "
        "the definitions and Dagster's own "
        "work. CPU time is user + system time of the whole process tree (two cores: up to twice the wall "
        "time), a figure that other load on the machine disturbs less than wall time. Peak RSS is the sum "
        f"over the `zhengai sync` process and its children (the dbt subprocess), sampled every {SAMPLE_SECONDS} s.",
        "",
        "| run | total | CPU time | ingest | dbt build | checks | publish | dispatch | other | peak RSS | load |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        _stage_row(f"full rebuild {key}", main["full_rebuild"]),
    ]
    if main.get("nightly"):
        n = main["nightly"]
        lines.append(_stage_row(f"nightly {key} (+{n['day']})", n))
    lines.append("")
    for label, run in (("full rebuild", main["full_rebuild"]), ("nightly", main.get("nightly"))):
        if run and run.get("peak_by_process"):
            biggest = ", ".join(f"`{p['process']}` {_gib(p['peak_rss'])}" for p in run["peak_by_process"][:3])
            lines.append(f"Largest processes of the {label} at their peaks: {biggest}.")
    lines.append("")
    if main.get("nightly"):
        n = main["nightly"]
        rows = n["rows_appended"]
        lines += [f"The nightly run follows `zhengai generate --append-day {n['day']}` ({rows['JW_KQ_SKJLB']:,} "
                  f"sessions, {rows['JW_KQ_XSKQB']:,} check-ins, {rows['XG_CQJL']:,} dorm checks appended in "
                  f"{n['append_seconds']:.1f} s, not counted).", ""]
    gens = [(r["students"], r["generate"]) for r in results["scales"].values() if r.get("generate")]
    if gens and not main.get("generate"):
        lines += ["Generating the sources (`zhengai generate`, run only when a school is made): " + "; ".join(
            f"{n:,} students {_s(g['seconds'])} (CPU {_s(g.get('cpu_seconds'))}, peak {_gib(g['peak_tree_rss'])})"
            for n, g in sorted(gens)) + ".", ""]
    gen = main.get("generate")
    if gen:
        lines += [f"Generating the sources (`zhengai generate --students {main['students']} --years "
                  f"{main['years']}`) took {_s(gen['seconds'])}, peak {_gib(gen['peak_tree_rss'])}.", ""]
    dbt = main["full_rebuild"].get("dbt") or {}
    if dbt:
        kinds = ", ".join(f"{k} {v:,.1f} s" for k, v in dbt["seconds_by_kind"].items())
        slow = ", ".join(f"`{r['model']}` {r['seconds']:.1f} s" for r in dbt["slowest_models"])
        lines += ["### Where the dbt build goes (full rebuild)", "",
                  f"{dbt['nodes']} nodes; time by kind (summed over dbt's threads): {kinds}. "
                  f"Slowest models: {slow}."]
        for label, run in (("full rebuild", main["full_rebuild"]), ("nightly", main.get("nightly"))):
            if run and (run.get("dbt") or {}).get("elapsed"):
                lines.append(f"The {label}'s dbt step took {_s(run['stages']['dbt_build'])}, of which dbt itself "
                             f"ran {_s(run['dbt']['elapsed'])} from its first node to its last; the rest is "
                             "dbt's start-up (loading the project) and Dagster recording the nodes' events.")
        lines.append("")
    if "floor" in main:
        f = main["floor"]
        lines += ["### The floor", "",
                  f"One DuckDB query (`orchestration/bench.py` FLOOR_SQL) reads the raw check-ins (joined to "
                  f"their sessions and teaching classes) and dorm checks once and aggregates them per student "
                  f"and term, teaching class and month, student and month: {f['rows_scanned']:,} rows in "
                  f"{_s(f['seconds'])} ({f['threads']} threads, best of 2). "
                  f"dbt build / floor = {main['full_rebuild']['stages']['dbt_build'] / f['seconds']:.1f}×.", ""]
    peer = main.get("peer")
    if peer:
        lines += ["### The peer: PostgreSQL", ""]
        if peer.get("skipped"):
            lines += [f"Not measured: {peer['skipped']}.", ""]
        else:
            c = peer["copy"]
            lines.append(
                f"PostgreSQL {peer['postgres_version']} on the same machine (default configuration), database "
                f"`{peer['database']}`: the {c['tables']} raw and meta tables ({c['rows']:,} rows) "
                f"copied from the DuckDB warehouse in {_s(c['seconds'])} (not counted), then "
                f"`dbt build --target postgres`: {_s(peer['seconds'])}, peak {_gib(peer['peak_tree_rss'])}, "
                f"load {peer['load_before']:.1f}.")
            if peer["succeeded"]:
                ratio = peer["seconds"] / main["full_rebuild"]["stages"]["dbt_build"]
                lines.append(f"DuckDB's dbt build is {ratio:.1f}× faster.")
            else:
                failed = peer.get("dbt", {}).get("failed", [])
                lines.append(f"The build did not succeed on PostgreSQL: {len(failed)} nodes failed, so no ratio "
                             "is given. First failures:")
                lines += [f"- `{f['node']}`: {f['message'].splitlines()[0] if f['message'] else ''}"
                          for f in failed[:5]]
            lines.append("")
    curve = [(k, results["scales"][k]) for k in results.get("growth", [])
             if "full_rebuild" in results["scales"].get(k, {})]
    if curve:
        lines += ["### Growth", "", "Full rebuild (empty warehouse → `zhengai sync`) by school size.", "",
                  "| students | check-ins | dorm checks | total | CPU time | ingest | dbt build | per 1 000 students "
                  "| peak RSS | load | date |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for _, r in curve:
            f = r["full_rebuild"]
            lines.append(f"| {r['students']:,} | {r['rows']['check_ins']:,} | {r['rows']['dorm_checks']:,} | "
                         f"{_s(f['seconds'])} | {_s(f.get('cpu_seconds'))} | {_s(f['stages']['ingest'])} | "
                         f"{_s(f['stages']['dbt_build'])} | "
                         f"{_s(1000 * f['seconds'] / r['students'])} | {_gib(f['peak_tree_rss'])} | "
                         f"{f['load_before']:.1f} | {r['date']} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def update_markdown(path: Path, block: str) -> None:
    """Replace the benchmark block of BENCHMARKS.md, leaving every other section as it is."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    body = f"{BLOCK_START}\n{block}{BLOCK_END}\n"
    if BLOCK_START in text and BLOCK_END in text:
        head, rest = text.split(BLOCK_START, 1)
        tail = rest.split(BLOCK_END, 1)[1].lstrip("\n")
        text = head + body + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + body
    path.write_text(text, encoding="utf-8")
