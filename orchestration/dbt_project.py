"""The dbt project, parsed once per process and only when its manifest is older than its files."""

from __future__ import annotations

import os
import subprocess
import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtProject

from zhengai.settings import DBT_PROJECT_DIR

PROJECT_FOLDERS = ("models", "seeds", "macros", "snapshots", "tests")


def dbt_executable() -> str:
    # The dbt beside this interpreter, so `.venv/bin/zhengai` works without an activated venv.
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


def manifest_is_stale(project: DbtProject) -> bool:
    manifest = project.manifest_path
    if not manifest.exists():
        return True
    sources = [DBT_PROJECT_DIR / "dbt_project.yml"] + [
        path for folder in PROJECT_FOLDERS if (DBT_PROJECT_DIR / folder).exists()
        for path in (DBT_PROJECT_DIR / folder).rglob("*") if path.is_file()
    ]
    return manifest.stat().st_mtime < max(path.stat().st_mtime for path in sources)


@cache
def data_center_project() -> DbtProject:
    """A stale manifest would silently hide a new model, so it is parsed again when needed."""
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    if manifest_is_stale(project):
        # Parsing renders the profile, which names the warehouse; it opens no connection.
        env = {"ZHENGAI_WAREHOUSE": "parse-only.duckdb", **os.environ}
        subprocess.run(
            [dbt_executable(), "parse", "--quiet", "--no-use-colors",
             "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
            env=env, check=True, cwd=DBT_PROJECT_DIR,
        )
    return project
