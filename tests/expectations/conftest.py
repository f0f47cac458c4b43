from __future__ import annotations

from pathlib import Path

import pytest

from tests.expectations.expectations_testkit import BASE_ROWS, create_warehouse


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return create_warehouse(tmp_path / "warehouse.duckdb", BASE_ROWS)
