"""What one measured run cost: wall time, CPU time and peak memory of its whole process tree,
and for a dbt build where its time went by node.

The nightly sync starts dbt as a child process, so the resident set of the top process
alone would miss most of the memory; the tree is sampled from /proc instead.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from zhengai.settings import REPO_ROOT

SAMPLE_SECONDS = 0.1


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
    command = b" ".join(args)
    # A multiprocessing child runs `python -B -c "from multiprocessing.spawn import spawn_main; …"`.
    if b"multiprocessing.spawn" in command:
        return "worker process"
    if b"multiprocessing.resource_tracker" in command:
        return "resource tracker"
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


class _PeakSampler:
    """Samples the tree of pid every SAMPLE_SECONDS on a thread while in the `with` block,
    keeping the peak of the whole tree and of each process."""

    def __init__(self, pid: int):
        self.pid, self.peak = pid, 0
        self.by_process: dict[int, int] = {}
        self.names: dict[int, str] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "_PeakSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._done.is_set():
            rss = tree_rss(self.pid)
            self.peak = max(self.peak, sum(rss.values()))
            for p, n in rss.items():
                if n > self.by_process.get(p, 0):
                    self.by_process[p] = n
                    # Named at first sight: the process may be gone when the run ends.
                    self.names.setdefault(p, _command_name(p))
            self._done.wait(SAMPLE_SECONDS)

    def largest(self, top: int = 4) -> list[tuple[int, str]]:
        """(peak bytes, command) of the `top` largest processes, largest first."""
        return sorted(((n, self.names[p]) for p, n in self.by_process.items()), reverse=True)[:top]


def _children_cpu_since(before: resource.struct_rusage) -> float:
    # Children's CPU time counts every waited descendant (the sync waits for its dbt process).
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure_command(cmd: list[str], env: dict[str, str], log_path: Path, cwd: Path = REPO_ROOT) -> Measured:
    """Run cmd, its output to log_path; wall time, CPU time and the peak memory of its
    process tree (and of each process in it)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(log_path, "w") as log:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        with _PeakSampler(proc.pid) as sampler:
            returncode = proc.wait()
            seconds = time.perf_counter() - started
    cpu = _children_cpu_since(before)
    peaks = sampler.largest()
    return Measured(round(seconds, 2), sampler.peak, peaks[0][0] if peaks else 0, round(cpu, 2), returncode,
                    str(log_path), [{"process": name, "peak_rss": n} for n, name in peaks])


def child_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a measured run: this one without any ZHENGAI_* override (a stray
    ZHENGAI_WAREHOUSE would point the run elsewhere), the school's data dir, its own
    Dagster home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHENGAI_")}
    env.update(ZHENGAI_DATA_DIR=str(data_dir), DAGSTER_HOME=str(data_dir / "dagster_home"), **extra)
    return env


def dbt_breakdown(run_results: Path, top: int = 8) -> dict:
    """Seconds by kind of node (models, tests, seeds, snapshots) and the slowest models of
    a dbt run, from its run_results.json ({} when there is none)."""
    if not run_results.exists():
        return {}
    run = json.loads(run_results.read_text())
    results = run["results"]
    by_kind: dict[str, float] = {}
    for r in results:
        kind = r["unique_id"].split(".")[0]
        by_kind[kind] = by_kind.get(kind, 0.0) + r["execution_time"]
    failed = [{"node": r["unique_id"], "message": (r.get("message") or "")[:300]}
              for r in results if r["status"] in ("error", "fail")]
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
