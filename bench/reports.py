"""What the reports cost on a synced school: the report site (first build, then a rebuild with
no change), the 诊改报告 drafts of each layer and the 质量年报 tables, each through
`zhengai report` as a user runs it, with wall time, CPU time and the peak memory of its process
tree (the site's worker processes included).

    uv run python -m bench.reports --school data/bench/s20000 --write BENCHMARKS.md

The school must have been synced (`zhengai sync`): the command reads its analysts' snapshot.
Outputs go to a scratch folder beside it, emptied first. The drafts are made for the school's last
school year (the one still running, as the major and course drafts of June–August are) and, for
the school and teacher layers, also for the year before it (closed, as the drafts of December are).
After a night's sync of the same school (`zhengai generate --append-day …`, then `zhengai sync`),
`--after-a-night` measures the rebuilds that bring the site and each of those drafts up to date.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from datetime import date
from pathlib import Path

import duckdb

from bench.ingest_throughput import load_average, machine
from bench.measure import Measured, child_env, measure_command
from bench.report import update_markdown
from zhengai.settings import REPO_ROOT

BLOCK_START = ("<!-- reports-bench:start (written by `python -m bench.reports`; "
               "edit bench/reports.py, not this block) -->")
BLOCK_END = "<!-- reports-bench:end -->"
GOAL_SECONDS = 60
GOAL_BYTES = 1024 ** 3
APPENDED = " (one appended day)"
FIRST_NIGHT = ", first night"  # the drafts the first night of a window renders (report_calendar's limit)
# The nights whose reports are heaviest (report calendar): in December the school and teacher
# drafts of the school year that closed in the summer, in June–August the major and course drafts
# of the year still running; and the first night of each window, when the drafts are made for the
# first time (as many as the calendar's entity_drafts_per_night allows). The bench school's last
# year is the running one.
NIGHTS = {
    "a December night": ("site" + APPENDED, "drafts school, closed year" + APPENDED,
                         "drafts teacher, closed year" + APPENDED),
    "a night in June–August": ("site" + APPENDED, "drafts major" + APPENDED, "drafts course" + APPENDED),
    "the first night of October (school and teacher windows open)": (
        "site" + APPENDED, "drafts school, closed year", "drafts teacher, closed year" + FIRST_NIGHT),
    "the first night of June (major and course windows open)": (
        "site" + APPENDED, "drafts major", "drafts course" + FIRST_NIGHT),
}


DRAFT_STEPS = (("drafts major", "major", "running"), ("drafts course", "course", "running"),
               ("drafts teacher", "teacher", "running"), ("drafts school, closed year", "school", "closed"),
               ("drafts teacher, closed year", "teacher", "closed"))


def _after_a_night() -> list[str]:
    return ["site" + APPENDED, *[name + APPENDED for name, _, _ in DRAFT_STEPS]]


def _zhengai(*args: str) -> list[str]:
    return [sys.executable, "-m", "zhengai.cli", *args]


def _count(snapshot: Path) -> dict[str, int]:
    with duckdb.connect(str(snapshot), read_only=True) as con:
        rows = dict(con.execute("select entity_type, count(distinct entity_id) from marts.mart_quality__status "
                                "group by 1").fetchall())
        rows["status_rows"] = con.execute("select count(*) from marts.mart_quality__status").fetchone()[0]
        years = [r[0] for r in con.execute(
            "select school_year from core.dim_school_year where has_teaching_data order by 1").fetchall()]
        rows["period"], rows["closed_period"] = years[-1], years[-2] if len(years) > 1 else years[-1]
    return rows


def _per_night(snapshot: Path) -> dict[str, int]:
    """The calendar's entity_drafts_per_night of each layer that has one."""
    with duckdb.connect(str(snapshot), read_only=True) as con:
        return dict(con.execute("select layer, entity_drafts_per_night from registry.report_calendar "
                                "where entity_drafts_per_night is not null").fetchall())


def _files(folder: Path, pattern: str) -> tuple[int, int]:
    files = [p for p in folder.rglob(pattern) if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def run(school: Path, scratch: Path, only: list[str] | None = None, previous: dict | None = None) -> dict:
    """Every step (or only the named ones, keeping the other steps of `previous`)."""
    snapshot = school / "snapshot.duckdb"
    if not snapshot.exists():
        raise SystemExit(f"{snapshot} not found: sync the school first (ZHENGAI_DATA_DIR={school} zhengai sync)")
    if scratch.exists() and not only:
        shutil.rmtree(scratch)
    counts = _count(snapshot)
    period = counts.pop("period")
    closed = counts.pop("closed_period")
    with duckdb.connect(str(snapshot), read_only=True) as con:
        # 100 students with values in that school year (terms named after it).
        sample = [r[0] for r in con.execute(
            "select distinct entity_id from marts.mart_quality__status where entity_type = 'student' "
            "and period like ? order by entity_id limit 100", [period + "-%"]).fetchall()]
    drafts = [(name, layer, closed if year == "closed" else period) for name, layer, year in DRAFT_STEPS]
    limits = _per_night(snapshot)
    # each in a folder of its own, empty: the first night of a window, as the nightly build renders it
    first_nights = [(name + FIRST_NIGHT, ["--layer", layer, "--period", year, *(["--at-most", str(limits[layer])] if layer in limits else [])],
                     (f"drafts/{year}/{layer}", "*.docx"), scratch.parent / f"{scratch.name}-first-night-{layer}")
                    for name, layer, year in drafts if name in ("drafts course", "drafts teacher, closed year")]
    plan = [
        ("site (first build)", ["--site"], ("site", "*.html")),
        ("site (rebuild, no change)", ["--site"], None),
        *[(name, ["--layer", layer, "--period", year], (f"drafts/{year}/{layer}", "*.docx")) for name, layer, year in drafts],
        *first_nights,
        ("drafts student (layer draft only)", ["--layer", "student", "--period", period, "--no-entities"], None),
        ("drafts 100 students", ["--layer", "student", "--period", period, *[a for s in sample for a in ("--entity", s)]],
         (f"drafts/{period}/student/student", "*.docx")),
        ("annual tables", ["--annual", "--period", period], None),
        # After a night's sync (with --only): what each brings up to date.
        ("site" + APPENDED, ["--site"], None),
        *[(name + APPENDED, ["--layer", layer, "--period", year], None) for name, layer, year in drafts],
    ]
    env = child_env(school, ZHENGAI_REPORTS=str(scratch))
    logs = scratch.parent / (scratch.name + "-logs")
    steps: dict[str, dict] = dict((previous or {}).get("steps", {})) if only else {}
    for name, args, outputs, *own_folder in plan:
        if (only and name not in only) or (name.endswith(APPENDED) and not only):
            continue
        if name == "site (first build)" and (scratch / "site").exists():
            shutil.rmtree(scratch / "site")
        folder, step_env = scratch, env
        if own_folder:
            folder = own_folder[0]
            shutil.rmtree(folder, ignore_errors=True)
            step_env = child_env(school, ZHENGAI_REPORTS=str(folder))
        load_before = os.getloadavg()[0]
        measured = measure_command(_zhengai("report", *args), step_env, logs / f"{name}.log")
        if measured.returncode != 0:
            raise SystemExit(f"{name} failed, see {measured.log}")
        steps[name] = {"seconds": measured.seconds, "cpu_seconds": measured.cpu_seconds,
                       "peak_tree_rss": measured.peak_tree_rss, "load_before": load_before,
                       "load_after": os.getloadavg()[0], "peak_by_process": measured.peak_by_process}
        rewritten = re.search(r"重写 ([\d,]+)", Path(measured.log).read_text(encoding="utf-8", errors="replace"))
        if rewritten:
            steps[name]["rewritten"] = int(rewritten.group(1).replace(",", ""))
        if outputs:
            files, size = _files(folder / outputs[0], outputs[1])
            steps[name]["files"] = files
            if name.startswith("site"):
                steps[name]["bytes"] = size
    return {"school": os.path.relpath(school, REPO_ROOT), "period": period, "closed_period": closed, "entities": counts,
            "per_night": limits, "steps": {step[0]: steps[step[0]] for step in plan if step[0] in steps},
            "date": date.today().isoformat(), "machine": machine(), "load": load_average()}


def render(results: dict) -> str:
    steps = results["steps"]
    entities = results["entities"]
    nightly = steps["site (first build)"]
    lines = [
        "## Reports: the report site, the drafts, the annual tables",
        "",
        f"Measured {results['date']} on {results['machine']} (load average at the end {results['load']}), "
        f"school `{results['school']}`, school year {results['period']} (closed year {results.get('closed_period', '—')}): "
        + ", ".join(f"{entities.get(k, 0):,} {label}" for k, label in (
            ("student", "students"), ("teaching_class", "teaching classes"), ("staff", "teachers"), ("major", "majors")))
        + f", {entities['status_rows']:,} judged values. Command: `uv run python -m bench.reports --school "
        f"{results['school']} --write BENCHMARKS.md` (each step is `zhengai report …` on the analysts' snapshot).",
        "",
        "| step | wall s | CPU s | peak memory (process tree) | files | files rewritten | load before |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, s in steps.items():
        files = f"{s['files']:,}" if "files" in s else ""
        if "bytes" in s:
            files += f" ({s['bytes'] / 1024 ** 2:,.0f} MiB)"
        rewritten = f"{s['rewritten']:,}" if "rewritten" in s else ""
        lines.append(f"| {name} | {s['seconds']:.1f} | {s['cpu_seconds']:.1f} | {s['peak_tree_rss'] / 1024 ** 2:,.0f} MiB | "
                     f"{files} | {rewritten} | {s['load_before']:.1f} |")
    by_process = [f"{name}: " + ", ".join(f"{p['process']} {p['peak_rss'] / 1024 ** 2:,.0f} MiB" for p in s["peak_by_process"])
                  for name, s in steps.items() if s.get("peak_by_process")]
    if by_process:
        lines += ["", "Largest processes of the tree, each at its own peak (sampled every 0.1 s): " + "; ".join(by_process) + "."]
    rebuild = steps["site (rebuild, no change)"]
    site_steps = [s for n, s in steps.items() if n.startswith("site")]
    small = max(s["peak_tree_rss"] for s in site_steps + [s for n, s in steps.items() if n.endswith(APPENDED)]) <= GOAL_BYTES
    lines += ["", f"Goal: the site and the drafts due ≤ {GOAL_SECONDS} s on top of the nightly run, ≤ 1 GiB. "
              "After a night's sync with one appended teaching day (in the school year still running), the rebuilds "
              "that bring each output up to date:", ""]
    for night, names in NIGHTS.items():
        measured = [(name.removesuffix(APPENDED), steps.get(name)) for name in names]
        if any(step is None for _, step in measured):
            lines.append(f"- {night}: not measured (run the `{APPENDED.strip(' ()')}` steps with --only after a night's sync).")
            continue
        total = sum(step["seconds"] for _, step in measured)
        parts = ", ".join(f"{name} {step['seconds']:.1f} s ({step.get('rewritten', 0):,} rewritten)" for name, step in measured)
        lines.append(f"- {night}: {parts}: {total:.1f} s — {'met' if total <= GOAL_SECONDS else 'not met'}.")
    running = steps.get("drafts teacher" + APPENDED)
    if running:
        lines.append(f"- Not a night of the calendar, the largest layer's drafts of the running year: drafts teacher "
                     f"{running['seconds']:.1f} s ({running.get('rewritten', 0):,} rewritten).")
    lines += [
        "",
        f"Peak memory of the site's steps and of the nights' rebuilds {'within' if small else 'over'} 1 GiB. "
        f"First build of the site: {nightly['seconds']:.0f} s wall ({nightly['cpu_seconds']:.0f} CPU s). The drafts are "
        "first made on the first nights of the preparation months, at most the calendar's entity_drafts_per_night a layer "
        f"and night ({', '.join(f'{layer} {n}' for layer, n in sorted(results.get('per_night', {}).items())) or 'no limit'}; "
        "the rest on the next nights), and all again after a change to the code that renders them. A rebuild with no change compares one fingerprint of everything the site reads with the last "
        f"build's and renders nothing: {rebuild['seconds']:.0f} s ({rebuild['cpu_seconds']:.0f} CPU s). "
        "Drafts are made at night only for the layers whose report is being prepared (report calendar) and "
        "only where their data changed. Wall times on a shared machine under the load shown; the CPU seconds are the "
        "steadier figure.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--school", type=Path, default=Path("data/bench/s20000"))
    parser.add_argument("--write", type=Path, default=None, help="rewrite this benchmark's block of the file")
    parser.add_argument("--only", action="append", default=None, metavar="STEP",
                        help="run only this step (repeatable), keeping the other steps of the last results")
    parser.add_argument("--after-a-night", action="store_true",
                        help=f"run only the steps '…{APPENDED}', after a night's sync of the school")
    args = parser.parse_args(argv)
    if args.after_a_night:
        args.only = (args.only or []) + _after_a_night()
    school = args.school.resolve()
    saved = school.parent / f"{school.name}-reports.json"
    previous = json.loads(saved.read_text()) if args.only and saved.exists() else None
    results = run(school, school.parent / f"{school.name}-reports", args.only, previous)
    saved.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    block = render(results)
    print(block)
    if args.write:
        update_markdown(args.write, block, BLOCK_START, BLOCK_END)


if __name__ == "__main__":
    main()
