"""Where the sources and outputs live, read from the environment.

Only this module reads ZHENGAI_* variables; everything else takes paths and URLs as
arguments, so tests and the CLI can point any piece at any place.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
REGISTRY_DIR = DBT_PROJECT_DIR / "seeds"


def load_env_file(path: Path | None = None) -> Path | None:
    """Read the `.env` file (KEY=value lines, see .env.example) into the environment: the given
    one, else the current folder's, else the checkout's. Variables already set win, so a
    service's own environment overrides the file. Returns the file read, if any."""
    from dotenv import load_dotenv

    for candidate in [path] if path else [Path.cwd() / ".env", REPO_ROOT / ".env"]:
        if candidate.is_file():
            load_dotenv(candidate, override=False)
            return candidate
    return None


def dagster_home(env: dict[str, str] | None = None) -> Path:
    """Dagster's home: DAGSTER_HOME, else dagster_home/ in the data folder (where the Makefile puts it)."""
    env = os.environ if env is None else env
    return Path(env.get("DAGSTER_HOME") or Path(env.get("ZHENGAI_DATA_DIR", REPO_ROOT / "data" / "demo")) / "dagster_home")


def default_data_dir() -> Path:
    return Path(os.environ.get("ZHENGAI_DATA_DIR", REPO_ROOT / "data" / "demo"))


def dbt_target_folder(warehouse: Path) -> Path:
    """dbt's target folder for a warehouse, kept from one run to the next: dbt then parses only
    the files that changed (its partial parsing holds only for the same profile, that is the same
    warehouse path, and the same vars), and the last run's run_results.json is there."""
    return Path(warehouse).parent / "dbt_target"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


DEFAULT_SCHOOL_TIMEZONE = "Asia/Shanghai"


def school_timezone_name(env: dict[str, str] | None = None) -> str:
    """The IANA zone of the school's wall clock (schedules, ledger, e-mail dates)."""
    env = os.environ if env is None else env
    return env.get("ZHENGAI_TIMEZONE") or DEFAULT_SCHOOL_TIMEZONE


@dataclass(frozen=True)
class Settings:
    jw_url: str
    hr_url: str
    xg_url: str
    state_path: Path
    plan_path: Path
    warehouse: Path
    ledger: Path
    outbox: Path
    smtp_url: str | None
    snapshot: Path
    # The reports room: the site, the drafts and the annual tables (default: reports/ in the data folder).
    reports: Path | None = None
    # Base URL of the report site as readers reach it (digests link to its pages); default: file:// to the site folder.
    reports_base_url: str | None = None
    # The PostgreSQL database `zhengai publish` writes to (its default --to), for BI tools.
    publish_url: str | None = None

    @property
    def source_urls(self) -> dict[str, str]:
        return {"jw": self.jw_url, "hr": self.hr_url, "xg": self.xg_url}

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        base = Path(env.get("ZHENGAI_DATA_DIR", REPO_ROOT / "data" / "demo"))
        sources = base / "sources"
        warehouse = Path(env.get("ZHENGAI_WAREHOUSE", base / "warehouse.duckdb"))
        return cls(
            jw_url=env.get("ZHENGAI_JW_URL", sqlite_url(sources / "jw.sqlite")),
            hr_url=env.get("ZHENGAI_HR_URL", sqlite_url(sources / "hr.sqlite")),
            xg_url=env.get("ZHENGAI_XG_URL", sqlite_url(sources / "xg.sqlite")),
            state_path=Path(env.get("ZHENGAI_STATE_PATH", sources / "state")),
            # The quality office's plan workbooks (tasks-<year>.xlsx, targets-<school year>.xlsx).
            plan_path=Path(env.get("ZHENGAI_PLAN_PATH", sources / "plan")),
            warehouse=warehouse,
            ledger=Path(env.get("ZHENGAI_LEDGER", warehouse.parent / "ledger.sqlite")),
            outbox=Path(env.get("ZHENGAI_OUTBOX", base / "outbox")),
            smtp_url=env.get("ZHENGAI_SMTP_URL") or None,
            # The analysts' read-only copy of core, data quality, marts and the registry, replaced after each good build.
            snapshot=Path(env.get("ZHENGAI_SNAPSHOT", warehouse.parent / "snapshot.duckdb")),
            reports=Path(env.get("ZHENGAI_REPORTS", base / "reports")),
            reports_base_url=env.get("ZHENGAI_REPORTS_BASE_URL") or None,
            publish_url=env.get("ZHENGAI_PUBLISH_URL") or None,
        )
