"""The benchmarks' blocks of BENCHMARKS.md: the goals, the end-to-end report, the block markers.

Each benchmark owns one block between its markers and rewrites only that block, so the
analysis written around the blocks by hand stays as it is.
"""

from __future__ import annotations

import re
from pathlib import Path

from zhengai.settings import REPO_ROOT

from bench.measure import SAMPLE_SECONDS

BENCHMARKS_MD = REPO_ROOT / "BENCHMARKS.md"
BLOCK_START = "<!-- bench:start (written by `python -m bench`; edit bench/report.py, not this block) -->"
BLOCK_END = "<!-- bench:end -->"
INGEST_BLOCK_START = ("<!-- ingest-bench:start (written by `python -m bench.ingest_throughput`; "
                      "edit bench/ingest_throughput.py, not this block) -->")
INGEST_BLOCK_END = "<!-- ingest-bench:end -->"
GOALS = {  # the targets the report checks the main scale against
    "full_rebuild_seconds": 180, "same_day_seconds": 30, "same_day_stretch_seconds": 15, "nightly_seconds": 40,
    "peak_rss_gib": 4.0, "peer_ratio": 10.0,
    "floor_ratio": 3.0, "generate_seconds": 180,
}


def _gib(n: int | None) -> str:
    return "–" if not n else f"{n / 2**30:.2f} GiB"


def _s(x: float | None) -> str:
    return "–" if x is None else f"{x:,.1f} s"


# ------------------------------------------------------------------ the goals

def goals(results: dict) -> list[tuple[str, str, str, bool | None]]:
    """(goal, target, measured, holds) for the main scale; holds is None when there is no verdict."""
    main = results["scales"][results["main"]]
    full, nightly, same_day = main["full_rebuild"], main.get("nightly"), main.get("same_day")
    rows = [("全量重建 full rebuild", f"≤ {GOALS['full_rebuild_seconds']} s", _s(full["seconds"]),
             full["seconds"] <= GOALS["full_rebuild_seconds"])]
    if same_day:
        rows.append(("当天同步 one hour of new data (same-day sync)", f"≤ {GOALS['same_day_seconds']} s",
                     _s(same_day["seconds"]), same_day["seconds"] <= GOALS["same_day_seconds"]))
        rows.append(("当天同步 stretch goal", f"≤ {GOALS['same_day_stretch_seconds']} s",
                     _s(same_day["seconds"]), same_day["seconds"] <= GOALS["same_day_stretch_seconds"]))
    if nightly:
        rows.append(("夜间增量 one day of new data (nightly)", f"≤ {GOALS['nightly_seconds']} s", _s(nightly["seconds"]),
                     nightly["seconds"] <= GOALS["nightly_seconds"]))
    peak = max(run.get("peak_tree_rss", 0) for run in (full, nightly or {}, same_day or {}, main.get("week") or {}))
    rows.append(("峰值内存 peak RSS (process tree)", f"≤ {GOALS['peak_rss_gib']:g} GiB", _gib(peak),
                 peak <= GOALS["peak_rss_gib"] * 2**30))
    rows.append(_peer_goal(main))
    if "floor" in main:
        ratio = full["stages"]["dbt_build"] / main["floor"]["seconds"]
        rows.append(("dbt build vs scan floor", f"≤ {GOALS['floor_ratio']:g}×", f"{ratio:.1f}×",
                     ratio <= GOALS["floor_ratio"]))
    gen = main.get("generate")
    if gen:
        rows.append(("生成源数据 generate", f"≤ {GOALS['generate_seconds']} s", _s(gen["seconds"]),
                     gen["seconds"] <= GOALS["generate_seconds"]))
    curve = [results["scales"][k] for k in results.get("growth", []) if "full_rebuild" in results["scales"].get(k, {})]
    if len(curve) >= 2:
        rows.append(_growth_goal(curve))
    return rows


def _peer_goal(main: dict) -> tuple[str, str, str, bool | None]:
    goal, target = "dbt build vs PostgreSQL", f"≥ {GOALS['peer_ratio']:g}× faster"
    peer = main.get("peer", {})
    if peer.get("succeeded"):
        ratio = peer["seconds"] / main["full_rebuild"]["stages"]["dbt_build"]
        return goal, target, f"{ratio:.1f}×", ratio >= GOALS["peer_ratio"]
    reason = ("not run (--skip-peer)" if not peer else peer.get("skipped")
              or f"the build failed on PostgreSQL ({len(peer.get('dbt', {}).get('failed', []))} nodes failed)")
    return goal, target, f"not measured: {reason}", None


def _growth_goal(curve: list[dict]) -> tuple[str, str, str, bool | None]:
    first, last = curve[0], curve[-1]
    # CPU time when every point has it: wall times taken under different loads do not compare.
    kind = "cpu_seconds" if all(c["full_rebuild"].get("cpu_seconds") for c in curve) else "seconds"
    per_student = [c["full_rebuild"][kind] / c["students"] for c in (first, last)]
    ratio = per_student[1] / per_student[0]
    # Wall times under other load say nothing about growth: then no verdict.
    conclusive = kind == "cpu_seconds" or all(c["full_rebuild"]["load_before"] <= 1.0 for c in curve)
    return (f"增长 growth ({'CPU' if kind == 'cpu_seconds' else 'wall'} time per student, "
            f"{last['students']:,} vs {first['students']:,})", "≤ 1.0 (no worse than linear)",
            f"{ratio:.2f}" + ("" if conclusive else " (wall times under load: no verdict)"),
            ratio <= 1.0 if conclusive else None)


# ------------------------------------------------------------------ the end-to-end block

def render_markdown(results: dict) -> str:
    """The end-to-end block of BENCHMARKS.md from the results JSON."""
    main = results["scales"][results["main"]]
    lines = [*_header(results), *_goals_table(results), *_runs_by_stage(results["main"], main),
             *_generation(results, main), *_dbt_section(main), *_floor_section(main), *_peer_section(main),
             *_growth_section(results)]
    return "\n".join(lines).rstrip() + "\n"


def _header(results: dict) -> list[str]:
    m = results["machine"]
    main = results["scales"][results["main"]]
    return [
        "## End-to-end benchmark",
        "",
        f"Command: `make bench` (= `python -m bench --students {main['students']} --years {main['years']} "
        f"--growth {','.join(k.split('x')[0] for k in results.get('growth', [])) or '…'}`). "
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; Python {m['python']}, "
        f"DuckDB {m['duckdb']}, dbt-core {m['dbt_core']}. Scale: {main['students']:,} students × {main['years']} "
        f"years = {main['rows']['check_ins']:,} check-ins, {main['rows']['dorm_checks']:,} dorm checks. "
        f"Measured {main['date']}; the load column is the 1-minute load average just before each run "
        "(the machine has 2 cores: above ~0.5 other work was competing).",
        "",
    ]


def _goals_table(results: dict) -> list[str]:
    lines = ["### Goals", "", "| goal | target | measured | holds |", "| --- | --- | --- | --- |"]
    for goal, target, measured, holds in goals(results):
        lines.append(f"| {goal} | {target} | {measured} | {'–' if holds is None else ('yes' if holds else 'no')} |")
    return lines + [""]


def _stage_row(name: str, run: dict) -> str:
    st = run["stages"]
    load = f"{run['load_before']:.1f}" + (f" → {run['load_after']:.1f}" if "load_after" in run else "")
    return (f"| {name} | {_s(run['seconds'])} | {_s(run.get('cpu_seconds'))} | {_s(st['ingest'])} | {_s(st['dbt_build'])} | {_s(st['checks'])} | "
            f"{_s(st['publish'])} | {_s(st.get('reports'))} | {_s(st['dispatch'])} | {_s(st['other'])} | "
            f"{_gib(run['peak_tree_rss'])} | {load} |")


def _runs_by_stage(key: str, main: dict) -> list[str]:
    lines = [
        "### Runs by stage",
        "",
        "Stages are the Dagster steps of the nightly job: ingest (`ingest_*`), dbt build (`data_center`: "
        "models, seeds, snapshots and dbt tests), checks (`*_control_points`), publish (the warnings ledger and the "
        "analysts' snapshot), reports (`reports__*`: the report site, and at night the annual tables and the drafts "
        "due), dispatch (the `dispatch_warnings` job); *other* is process start-up, loading "
        "the definitions and Dagster's own "
        "work. CPU time is user + system time of the whole process tree (two cores: up to twice the wall "
        "time), a figure that other load on the machine disturbs less than wall time. Peak RSS is the sum "
        f"over the `zhengai sync` process and its children (the dbt subprocess), sampled every {SAMPLE_SECONDS} s.",
        "",
        "| run | total | CPU time | ingest | dbt build | checks | publish | reports | dispatch | other | peak RSS | load before → after |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        _stage_row(f"full rebuild {key}", main["full_rebuild"]),
    ]
    nightly = main.get("nightly")
    increments = [(label, main[name]) for name, label in (("same_day", "one hour, same-day sync"),
                                                          ("nightly", "one day, nightly"),
                                                          ("week", "one week, nightly")) if main.get(name)]
    for label, run in increments:
        rows = run["rows_appended"]
        lines.append(_stage_row(f"{label} {key} (+{run['day']}: {rows.get('JW_KQ_XSKQB', 0):,} check-ins, "
                                f"{rows.get('XG_CQJL', 0):,} dorm checks)", run))
    lines.append("")
    for label, run in (("full rebuild", main["full_rebuild"]), *increments):
        if run and run.get("peak_by_process"):
            biggest = ", ".join(f"`{p['process']}` {_gib(p['peak_rss'])}" for p in run["peak_by_process"][:3])
            lines.append(f"Largest processes of the {label} at their peaks: {biggest}.")
    lines.append("")
    if increments:
        lines += ["Each increment follows the previous one on the same warehouse: `zhengai generate --append-hour "
                  "<next teaching day>T08` then `zhengai sync --same-day`; `--append-day` of the next teaching day "
                  "then `zhengai sync`; `--append-day` of the five teaching days after it then `zhengai sync` "
                  "(appending is not counted).", ""]
    return lines


def _generation(results: dict, main: dict) -> list[str]:
    gen = main.get("generate")
    if gen:
        return [f"Generating the sources (`zhengai generate --students {main['students']} --years "
                f"{main['years']}`) took {_s(gen['seconds'])}, peak {_gib(gen['peak_tree_rss'])}.", ""]
    # The main school's sources were reused: give the generation of the sizes that were made.
    gens = [(r["students"], r["generate"]) for r in results["scales"].values() if r.get("generate")]
    if not gens:
        return []
    return ["Generating the sources (`zhengai generate`, run only when a school is made): " + "; ".join(
        f"{n:,} students {_s(g['seconds'])} (CPU {_s(g.get('cpu_seconds'))}, peak {_gib(g['peak_tree_rss'])})"
        for n, g in sorted(gens)) + ".", ""]


def _dbt_section(main: dict) -> list[str]:
    dbt = main["full_rebuild"].get("dbt") or {}
    if not dbt:
        return []
    kinds = ", ".join(f"{k} {v:,.1f} s" for k, v in dbt["seconds_by_kind"].items())
    slow = ", ".join(f"`{r['model']}` {r['seconds']:.1f} s" for r in dbt["slowest_models"])
    lines = ["### Where the dbt build goes (full rebuild)", "",
             f"{dbt['nodes']} nodes; time by kind (summed over dbt's threads): {kinds}. "
             f"Slowest models: {slow}."]
    for label, run in (("full rebuild", main["full_rebuild"]), ("same-day", main.get("same_day")),
                       ("nightly", main.get("nightly")), ("week", main.get("week"))):
        if run and (run.get("dbt") or {}).get("elapsed"):
            lines.append(f"The {label}'s dbt step took {_s(run['stages']['dbt_build'])}, of which dbt itself "
                         f"ran {_s(run['dbt']['elapsed'])} from its first node to its last; the rest is "
                         "dbt's start-up (loading the project) and Dagster recording the nodes' events.")
    return lines + [""]


def _floor_section(main: dict) -> list[str]:
    if "floor" not in main:
        return []
    f = main["floor"]
    return ["### The floor", "",
            f"One DuckDB query (`bench/run.py` FLOOR_SQL) reads the raw check-ins (joined to "
            f"their sessions and teaching classes) and dorm checks once and aggregates them per student "
            f"and term, teaching class and month, student and month: {f['rows_scanned']:,} rows in "
            f"{_s(f['seconds'])} ({f['threads']} threads, best of 2). "
            f"dbt build / floor = {main['full_rebuild']['stages']['dbt_build'] / f['seconds']:.1f}×.", ""]


def _peer_section(main: dict) -> list[str]:
    peer = main.get("peer")
    if not peer:
        return []
    if peer.get("skipped"):
        return ["### The peer: PostgreSQL", "", f"Not measured: {peer['skipped']}.", ""]
    c = peer["copy"]
    lines = ["### The peer: PostgreSQL", "",
             f"PostgreSQL {peer['postgres_version']} on the same machine (default configuration), database "
             f"`{peer['database']}`: the {c['tables']} raw and meta tables ({c['rows']:,} rows) "
             f"copied from the DuckDB warehouse in {_s(c['seconds'])} (not counted), then "
             f"`dbt build --target postgres`: {_s(peer['seconds'])}, peak {_gib(peer['peak_tree_rss'])}, "
             f"load {peer['load_before']:.1f}."]
    if peer["succeeded"]:
        ratio = peer["seconds"] / main["full_rebuild"]["stages"]["dbt_build"]
        lines.append(f"DuckDB's dbt build is {ratio:.1f}× faster.")
    else:
        failed = peer.get("dbt", {}).get("failed", [])
        lines.append(f"The build did not succeed on PostgreSQL: {len(failed)} nodes failed, so no ratio "
                     "is given. First failures:")
        lines += [f"- `{f['node']}`: {f['message'].splitlines()[0] if f['message'] else ''}" for f in failed[:5]]
    return lines + [""]


def _growth_section(results: dict) -> list[str]:
    curve = [results["scales"][k] for k in results.get("growth", []) if "full_rebuild" in results["scales"].get(k, {})]
    if not curve:
        return []
    lines = ["### Growth", "", "Full rebuild (empty warehouse → `zhengai sync`) by school size.", "",
             "| students | check-ins | dorm checks | total | CPU time | ingest | dbt build | per 1 000 students "
             "| peak RSS | load | date |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in curve:
        f = r["full_rebuild"]
        lines.append(f"| {r['students']:,} | {r['rows']['check_ins']:,} | {r['rows']['dorm_checks']:,} | "
                     f"{_s(f['seconds'])} | {_s(f.get('cpu_seconds'))} | {_s(f['stages']['ingest'])} | "
                     f"{_s(f['stages']['dbt_build'])} | "
                     f"{_s(1000 * f['seconds'] / r['students'])} | {_gib(f['peak_tree_rss'])} | "
                     f"{f['load_before']:.1f} | {r['date']} |")
    return lines + [""]


# ------------------------------------------------------------------ writing a block

def _start_marker(start: str) -> re.Pattern[str]:
    """The start marker whatever its note says after the tag: a block whose note differs from
    this one is still this benchmark's block, replaced rather than appended a second time."""
    tag = start.split(" (", 1)[0]   # "<!-- bench:start"
    return re.compile(re.escape(tag) + r"\b[^\n]*-->")


def update_markdown(path: Path, block: str, start: str = BLOCK_START, end: str = BLOCK_END) -> None:
    """Replace one benchmark's block of the file (the end-to-end one unless told), or append
    it; every other section stays as it is."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    body = f"{start}\n{block}{end}\n"
    found = _start_marker(start).search(text)
    if found and end in text[found.end():]:
        tail = text[found.end():].split(end, 1)[1].lstrip("\n")
        text = text[:found.start()] + body + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + body
    path.write_text(text, encoding="utf-8")
