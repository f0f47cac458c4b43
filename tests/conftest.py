"""Markers by where a test lives, so `make test-fast` (not slow, services or bench) stays quick.

Each test folder is one xdist group: `make test` runs on two workers with --dist loadgroup, so
a folder's session fixtures (a dbt-built school, a synced school) are built once, by one worker."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
# Folders and modules that build or sync a whole school, or start a daemon.
SLOW = ("end_to_end/", "bad_input/", "dbt_project/", "bench/", "serving/test_snapshot_delta.py", "serving/test_serving_questions.py",
        "serving/test_serving_snapshot.py::test_an_analyst_reads_the_snapshot_through_a_full_sync",
        "serving/test_serving_personal_data.py", "serving/test_serving_postgres.py", "serving/test_reports_site.py",
        "serving/test_reports_documents.py",
        "expectations/test_expectations_rebuild.py", "orchestration/test_daemon_dispatch.py", "ingest/test_kill.py",
        "zhengai/test_readme_quick_start.py")
# Modules that talk to the PostgreSQL or MariaDB server.
SERVICES = ("ingest/test_servers.py", "serving/test_serving_postgres.py", "dbt_project/test_dbt_postgres_peer.py",
            "bench/test_bench_smoke.py", "zhengai/test_doctor_servers.py")
BENCH = ("bench/",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        where = Path(item.fspath).resolve().relative_to(TESTS).as_posix() + "::" + item.name
        item.add_marker(pytest.mark.xdist_group(where.split("/", 1)[0]))
        for prefixes, marker in ((SLOW, pytest.mark.slow), (SERVICES, pytest.mark.services), (BENCH, pytest.mark.bench)):
            if where.startswith(prefixes):
                item.add_marker(marker)
