"""Markers by where a test lives, so `make test-fast` (not slow, services or bench) stays quick,
and the xdist groups `make test` spreads over its two workers (--dist loadgroup).

A test that uses a session fixture of its folder's conftest (a dbt-built school, a synced
school) is grouped with its folder, so that fixture is built once, by one worker; any other
test is grouped with its module, so the two workers share the work more evenly. The groups
that take longest are sent first (HEAVY_FIRST), so neither worker is left with one at the end."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
# Folders and modules that build or sync a whole school, or start a daemon.
SLOW = ("end_to_end/", "bad_input/", "dbt_project/", "bench/", "serving/test_serving_questions.py",
        "serving/test_serving_snapshot.py::test_an_analyst_reads_the_snapshot_through_a_full_sync",
        "serving/test_serving_personal_data.py", "serving/test_serving_postgres.py", "serving/test_reports_site.py",
        "serving/test_reports_documents.py",
        "expectations/test_expectations_rebuild.py", "orchestration/test_daemon_dispatch.py", "ingest/test_kill.py",
        "zhengai/test_readme_quick_start.py",
        # not whole schools, but the longest of the rest (tens of seconds each): kept out of the inner loop
        "orchestration/test_warning_sensors.py", "orchestration/test_sync_then_ui.py",
        "school_generator/test_school_generator_determinism.py")
# Modules that talk to the PostgreSQL or MariaDB server.
SERVICES = ("ingest/test_servers.py", "serving/test_serving_postgres.py", "dbt_project/test_dbt_postgres_peer.py",
            "bench/test_bench_smoke.py", "zhengai/test_doctor_servers.py")
BENCH = ("bench/",)
# The longest groups of `make test`, longest first (from `--durations`); the rest follow in
# collection order (`make test` turns off xdist's reordering by number of tests).
HEAVY_FIRST = ("end_to_end/test_same_day.py", "zhengai/test_readme_quick_start.py", "bench/test_bench_smoke.py",
               "end_to_end", "serving", "dbt_project", "bad_input",
               "dbt_project/test_dbt_incremental.py", "dbt_project/test_dbt_demo_school.py",
               "dbt_project/test_dbt_postgres_peer.py", "expectations/test_expectations_rebuild.py", "orchestration/test_daemon_dispatch.py")


def uses_a_folder_fixture(item: pytest.Item, folder: str) -> bool:
    return any(fixture.scope == "session" and fixture.baseid == f"tests/{folder}"
               for fixtures in item._fixtureinfo.name2fixturedefs.values() for fixture in fixtures)


def set_xdist_group(item: pytest.Item, group: str) -> None:
    item.add_marker(pytest.mark.xdist_group(group))
    if getattr(item.config.option, "loadgroup", False) and hasattr(item, "_id"):
        # pytest-xdist (3.8) tells its scheduler the group by appending `@group` to `_nodeid`,
        # which pytest 9.2 no longer reads (node ids come from `_id`): without this the groups
        # are silently ignored and every worker builds every session fixture.
        item._id = type(item._id).parse(f"{item.nodeid}@{group}")


# First: pytest-xdist reads the groups in its own hook of the same name.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    wheres = {item: Path(item.fspath).resolve().relative_to(TESTS).as_posix() for item in items}
    # A module any of whose tests uses its folder's session fixture goes with its folder, so its
    # own module fixtures are built once too.
    with_folder = {where for item, where in wheres.items() if uses_a_folder_fixture(item, where.split("/", 1)[0])}
    groups = {}
    for item, module in wheres.items():
        groups[item] = module.split("/", 1)[0] if module in with_folder else module
        where = f"{module}::{item.name}"
        for prefixes, marker in ((SLOW, pytest.mark.slow), (SERVICES, pytest.mark.services), (BENCH, pytest.mark.bench)):
            if where.startswith(prefixes):
                item.add_marker(marker)
    rank = {group: position for position, group in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: rank.get(groups[item], len(rank)))
    for item in items:
        set_xdist_group(item, groups[item])
