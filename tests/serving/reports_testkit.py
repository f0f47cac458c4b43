"""Helpers of the reports tests: Debian's Chromium through Playwright, the mart rows behind a page."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import duckdb
import pytest

CHROMIUM = os.environ.get("ZHENGAI_CHROMIUM", "/usr/bin/chromium")
# As root Chromium needs --no-sandbox; the rest keep it from calling home.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-default-apps", "--disable-domain-reliability"]
STATUS_COLUMNS = "indicator_code, period, value, numerator, denominator, target_value, standard_value, warning_value, status"


def chromium_or_skip() -> str:
    """Debian's chromium, when installed (.ci/run installs it); otherwise skip, or fail where required."""
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return CHROMIUM
    message = f"Chromium not found at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
    if os.environ.get("ZHENGAI_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


def mart_rows(database: Path, entity_type: str, entity_id: str) -> list[dict]:
    with duckdb.connect(str(database), read_only=True) as con:
        cursor = con.execute(
            f"select {STATUS_COLUMNS} from marts.mart_quality__status where entity_type = ? and entity_id = ? "
            "order by indicator_code, period", [entity_type, entity_id])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def local_path(url: str) -> Path:
    return Path(unquote(urlparse(url).path))
