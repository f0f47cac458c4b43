"""Importing a product module does no work: no benchmark code, no dbt, no environment writes.

Dagster's code server, the sensor daemon and every run worker import these modules; work at
import time would run on every tick, and the benchmark is not part of the installed product.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PRODUCT_PACKAGES = ["zhengai", "ingest", "expectations", "alerting", "serving", "orchestration", "school_generator"]

PROBE = r"""
import importlib, json, os, pkgutil, subprocess, sys
import dagster, dagster_dbt, duckdb, polars  # frameworks first: what they do on import is theirs
started = []
real_popen = subprocess.Popen
class RecordingPopen(real_popen):
    def __init__(self, args, *a, **k):
        started.append(str(args))
        super().__init__(args, *a, **k)
subprocess.Popen = RecordingPopen
before = dict(os.environ)
modules = []
for package in json.loads(sys.argv[1]):
    root = importlib.import_module(package)
    modules.append(package)
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        importlib.import_module(info.name)
        modules.append(info.name)
print(json.dumps({
    "modules": modules,
    "bench": sorted(name for name in sys.modules if name == "bench" or name.startswith("bench.")),
    "processes": started,
    "environment_changes": sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k)),
}))
"""


def test_importing_every_product_module_does_no_work():
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(PRODUCT_PACKAGES)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(report["modules"]) > 40
    assert "orchestration.definitions" in report["modules"] and "zhengai.cli" in report["modules"]
    assert report["bench"] == []
    assert report["processes"] == []  # no dbt parse, nothing started
    assert report["environment_changes"] == []


def test_the_installed_package_list_names_every_product_folder():
    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    for package in PRODUCT_PACKAGES:
        assert f'"{package}"' in pyproject
    assert '"bench"' not in pyproject.split("[tool.hatch.build.targets.wheel]")[1].split("\n\n")[0]
