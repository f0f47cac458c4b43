"""A benchmark run, stage by stage: generate, full rebuild, floor, peer, then the increments
(one hour through the same-day sync, one day and one week through the nightly sync), growth.

Each stage runs as a subprocess (`zhengai generate`, `zhengai sync`, `dbt build`), exactly as
an engineer runs it, so time and memory include everything the nightly job does. Results are
saved to the JSON after every stage (merged with earlier results by scale), so a failure late
in a long run keeps what was measured.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import time
from dataclasses import asdict
from datetime import date, datetime, timedelta
from pathlib import Path

from zhengai.settings import REPO_ROOT, Settings, dbt_target_folder

from bench.measure import Measured, child_env, dbt_breakdown, measure_command
from bench.peer import PostgresTarget, postgres_peer
from bench.report import BENCHMARKS_MD, render_markdown, update_markdown

BENCH_DIR = REPO_ROOT / "data" / "bench"
DEFAULT_JSON = BENCH_DIR / "bench.json"


def _zhengai(*args: str) -> list[str]:
    return [sys.executable, "-m", "zhengai.cli", *args]


def _check(m: Measured, what: str) -> None:
    if m.returncode != 0:
        tail = Path(m.log).read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{what} failed (exit {m.returncode}); log {m.log}:\n{tail}")


# ------------------------------------------------------------------ generate

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


# ------------------------------------------------------------------ full rebuild and nightly increment

def _stage_of(step_key: str) -> str:
    if step_key.startswith("ingest_"):
        return "ingest"
    if step_key == "data_center":
        return "dbt_build"
    if step_key.endswith("_control_points"):
        return "checks"
    if step_key.startswith("reports__"):
        return "reports"
    return "publish"   # the steps after the checks: publishing the analysts' snapshot


def _step_stages(data_dir: Path, since: float) -> dict:
    """Per-stage seconds of the runs `zhengai sync` made after `since`, from Dagster's step
    statistics: ingest_* steps, the dbt build (data_center), the control-point checks
    (*_control_points), any later step (publishing the analysts' snapshot) and the
    dispatch job."""
    import dagster as dg

    instance = dg.DagsterInstance.from_config(str(data_dir / "dagster_home"))
    stages = {"ingest": 0.0, "dbt_build": 0.0, "checks": 0.0, "publish": 0.0, "reports": 0.0, "dispatch": 0.0}
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
            if step.start_time is None:   # skipped: nothing it reads was rebuilt
                continue
            seconds = (step.end_time or step.start_time) - step.start_time
            steps[step.step_key] = round(seconds, 2)
            stages[_stage_of(step.step_key)] += seconds
    instance.dispose()
    return {"stages": {k: round(v, 2) for k, v in stages.items()}, "steps": steps, "run_ids": run_ids}


def _run_results_since(data_dir: Path, since: float) -> Path:
    """The warehouse's last dbt run_results.json, when that dbt run was this sync's (a same-day
    sync with nothing to build leaves the previous run's file)."""
    warehouse = Settings.from_env({"ZHENGAI_DATA_DIR": str(data_dir)}).warehouse
    path = dbt_target_folder(warehouse) / "run_results.json"
    return path if path.exists() and path.stat().st_mtime >= since else Path("/nonexistent")


def prepare_dagster_home(home: Path) -> None:
    """The instance config the Makefile installs (no telemetry, one warehouse writer), so
    a measured run is configured like the nightly one."""
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(REPO_ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")


def timed_sync(data_dir: Path, label: str, same_day: bool = False) -> dict:
    """One `zhengai sync` (`--same-day`: the hourly run), measured as a whole and split by
    stage; `other` is what the stages leave (start-up, loading the definitions, Dagster's own work)."""
    prepare_dagster_home(data_dir / "dagster_home")
    load = os.getloadavg()[0]
    since = time.time()
    m = measure_command(_zhengai("sync", *(["--same-day"] if same_day else [])), child_env(data_dir),
                        data_dir / "logs" / f"{label}.log")
    _check(m, f"zhengai sync ({label})")
    split = _step_stages(data_dir, since - 1)
    split["stages"]["other"] = round(m.seconds - sum(split["stages"].values()), 2)
    return {**asdict(m), **split, "load_before": round(load, 2), "load_after": round(os.getloadavg()[0], 2),
            "dbt": dbt_breakdown(_run_results_since(data_dir, since))}


def full_rebuild(data_dir: Path) -> dict:
    """Empty warehouse (and ledger, outbox, run history) → one nightly sync."""
    settings = Settings.from_env({"ZHENGAI_DATA_DIR": str(data_dir)})
    snapshot = getattr(settings, "snapshot", None)
    for path in (settings.warehouse, settings.warehouse.with_name(settings.warehouse.name + ".wal"),
                 settings.ledger, *([Path(snapshot)] if snapshot else [])):
        path.unlink(missing_ok=True)
    for folder in (settings.outbox, data_dir / "dagster_home", *([settings.reports] if settings.reports else [])):
        shutil.rmtree(folder, ignore_errors=True)
    return timed_sync(data_dir, "full_rebuild")


def next_teaching_day(sources: Path) -> date:
    """The first weekday after the last day present that is not a public holiday."""
    from school_generator import last_day_present
    from school_generator.increment import is_holiday

    day = last_day_present(sources) + timedelta(days=1)
    while day.weekday() >= 5 or is_holiday(day):
        day += timedelta(days=1)
    return day


def _append_days(data_dir: Path, days: int) -> tuple[list[str], dict[str, int], float]:
    """Append the next `days` teaching days; the days, the rows added per table, the seconds."""
    added: dict[str, int] = {}
    seconds, appended = 0.0, []
    for _ in range(days):
        day = next_teaching_day(data_dir / "sources")
        m = measure_command(_zhengai("generate", "--out", str(data_dir / "sources"), "--append-day", day.isoformat()),
                            child_env(data_dir), data_dir / "logs" / "append_day.log")
        _check(m, "generate --append-day")
        rows = json.loads((data_dir / "sources" / "planted.json").read_text(encoding="utf-8"))["appended_days"][-1]["rows"]
        for table, n in rows.items():
            added[table] = added.get(table, 0) + n
        seconds += m.seconds
        appended.append(day.isoformat())
    return appended, added, seconds


def nightly_increment(data_dir: Path) -> dict:
    """Append the next teaching day to the sources, then the nightly sync."""
    days, added, seconds = _append_days(data_dir, 1)
    return {"day": days[0], "rows_appended": added, "append_seconds": seconds, **timed_sync(data_dir, "nightly")}


def week_increment(data_dir: Path) -> dict:
    """Append the next five teaching days (a school week), then the nightly sync."""
    days, added, seconds = _append_days(data_dir, 5)
    return {"day": f"{days[0]}–{days[-1]}", "rows_appended": added, "append_seconds": seconds,
            **timed_sync(data_dir, "week")}


SAME_DAY_HOUR = 8  # the first hour of the school day: the morning's first sessions start in it


def same_day_increment(data_dir: Path) -> dict:
    """Append the first hour of the next teaching day, then the same-day (hourly) sync."""
    day = next_teaching_day(data_dir / "sources")
    moment = f"{day.isoformat()}T{SAME_DAY_HOUR:02d}"
    m = measure_command(_zhengai("generate", "--out", str(data_dir / "sources"), "--append-hour", moment),
                        child_env(data_dir), data_dir / "logs" / "append_hour.log")
    _check(m, "generate --append-hour")
    appended = json.loads((data_dir / "sources" / "planted.json").read_text(encoding="utf-8"))["appended_hours"][-1]
    return {"day": f"{day.isoformat()} {SAME_DAY_HOUR:02d}:00", "rows_appended": appended["rows"],
            "append_seconds": m.seconds, **timed_sync(data_dir, "same_day", same_day=True)}


# ------------------------------------------------------------------ the floor

# The least work any build of the attendance and dorm marts has to do: read the raw
# check-ins and dorm checks once and aggregate them per student and term, class and month,
# student and month.
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


# ------------------------------------------------------------------ one scale, and the whole run

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


INCREMENTS = ("hour", "day", "week")


def bench_scale(students: int, years: int, seed: int, *, nightly: bool, floor: bool, peer: PostgresTarget | None,
                regenerate: bool, result: dict, save=lambda: None, bench_dir: Path = BENCH_DIR, log=print,
                increments: tuple[str, ...] = INCREMENTS) -> dict:
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
        # Last: appending changes the sources the other stages measured. An hour, then the
        # next day, then the next week: each run sees only what was appended since the last.
        if "hour" in increments:
            log(f"[{students}×{years}] 当天同步（追加一小时 → zhengai sync --same-day）…")
            result["same_day"] = same_day_increment(data_dir)
            save()
        if "day" in increments:
            log(f"[{students}×{years}] 夜间增量（追加一天 → zhengai sync）…")
            result["nightly"] = nightly_increment(data_dir)
            save()
        if "week" in increments:
            log(f"[{students}×{years}] 一周增量（追加五个教学日 → zhengai sync）…")
            result["week"] = week_increment(data_dir)
    return result


def run_bench(students: int, years: int, seed: int = 42, growth: list[int] | None = None,
              peer: PostgresTarget | None = None,
              out_json: Path = DEFAULT_JSON, markdown: Path | None = BENCHMARKS_MD, regenerate: bool = False,
              bench_dir: Path = BENCH_DIR, growth_only: bool = False, log=print,
              increments: tuple[str, ...] = INCREMENTS) -> dict:
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
                    result=results["scales"].setdefault(main_key, {}), save=save, bench_dir=bench_dir, log=log,
                    increments=increments)
    for n in growth or []:
        if n != students:
            bench_scale(n, years, seed, nightly=False, floor=False, peer=None, regenerate=regenerate,
                        result=results["scales"].setdefault(f"{n}x{years}", {}), save=save, bench_dir=bench_dir,
                        log=log)
    save()
    if markdown is not None:
        update_markdown(markdown, render_markdown(results))
    return results
