"""The same-day dbt build's scope: the nodes downstream of what changed since the last good
build, read from the load audit and the build log of a hand-made warehouse and the real
dbt manifest (no school is generated, nothing is built)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import duckdb
import pytest

from orchestration.build_scope import BUILD_LOG_DDL, BuildScope, plan_build, record_build, runs_in_a_scope
from orchestration.dbt_project import data_center_project

AS_OF = date(2025, 3, 5)
CHECK_INS = [("jw", "JW_KQ_SKJLB"), ("jw", "JW_KQ_XSKQB"), ("xg", "XG_CQJL")]


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(data_center_project().manifest_path.read_text())


def _node(manifest: dict, name: str) -> str:
    [uid] = [uid for uid, node in manifest["nodes"].items() if node["name"] == name and node["resource_type"] == "model"]
    return uid


def _warehouse(tmp_path, manifest, loads: list[tuple[str, str, int, int, int]]):
    """A warehouse whose last full build started an hour ago, then `loads` (source, table,
    rows written, rows removed, rows quarantined) by this run."""
    warehouse = tmp_path / "warehouse.duckdb"
    built_at = datetime(2025, 3, 5, 7)
    record_build(warehouse, manifest, BuildScope(full=True, reason="完整构建"), run_id="night", started_at=built_at,
                 as_of=AS_OF)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(BUILD_LOG_DDL)
        con.execute("create table meta.load_audit (run_id varchar, source varchar, table_name varchar, rows_read bigint, "
                    "rows_loaded bigint, rows_quarantined bigint, started_at timestamp, status varchar, "
                    "rows_deleted bigint, rows_written bigint, rows_removed bigint)")
        con.execute("create table meta.quarantine (run_id varchar, source varchar, table_name varchar, "
                    "row_key varchar, rule varchar, detail varchar)")
        # the night's own loads, before its build: already built
        con.execute("insert into meta.load_audit values ('night', 'hr', 'RS_JZGJBXX', 9, 9, 0, ?, 'ok', 0, 9, 0)",
                    [built_at - timedelta(minutes=5)])
        _refuse(con, "night", "plan", "targets", 2)
        for source, table, written, removed, quarantined in loads:
            con.execute("insert into meta.load_audit values ('hour', ?, ?, ?, ?, ?, ?, 'ok', 0, ?, ?)",
                        [source, table, written + quarantined, written, quarantined, built_at + timedelta(hours=1),
                         written, removed])
            _refuse(con, "hour", source, table, quarantined)
    return warehouse


def _refuse(con, run_id: str, source: str, table: str, rows: int) -> None:
    """`rows` rows of `table` set aside by the load `run_id`, keys 1, 2, …"""
    for key in range(1, rows + 1):
        con.execute("insert into meta.quarantine values (?, ?, ?, ?, 'out_of_range', 'KQZT = 9')",
                    [run_id, source, table, str(key)])


def test_an_hour_of_check_ins_builds_only_what_is_downstream_of_the_check_in_tables(tmp_path, manifest):
    loads = [(source, table, 120, 0, 0) for source, table in CHECK_INS]
    # loaded and read, but nothing new: the other tables of the sources
    loads += [("hr", "RS_JZGJBXX", 0, 0, 0), ("plan", "tasks", 0, 0, 0), ("state", "a1", 0, 0, 0)]
    scope = plan_build(_warehouse(tmp_path, manifest, loads), manifest, AS_OF)

    assert not scope.full and not scope.empty
    assert sorted(scope.changed_sources) == sorted(f"raw_{source}.{table}" for source, table in CHECK_INS)
    assert scope.modified == ()
    sources = {uid for uid, source in manifest["sources"].items()
               if (source["schema"], source["name"]) in {(f"raw_{s}", t) for s, t in CHECK_INS}}
    reachable, stack = set(), list(sources)
    while stack:
        for child in manifest["child_map"].get(stack.pop(), []):
            if child not in reachable:
                reachable.add(child)
                stack.append(child)
    assert scope.nodes and scope.nodes <= reachable
    # what the check-ins feed is rebuilt, the judged status included; the models' data tests wait for the night
    for name in ("int_jw__check_ins_classified", "int_xg__dorm_checks_classified", "mart_student__indicators",
                 "mart_quality__status"):
        assert _node(manifest, name) in scope.nodes, name
    assert not any(uid.startswith("test.") for uid in scope.nodes)
    # the engineers' findings read the check-ins too, but wait for the night
    for name in ("dq_orphan_check_ins", "dq_excluded_records", "dq_unjudged_records"):
        assert _node(manifest, name) not in scope.nodes and name in scope.excluded_names, name
    flag, excluded = scope.exclude_args()
    assert flag == "--exclude" and excluded.split() == ["resource_type:test,path:models", *scope.excluded_names]
    # the staff, plan and state models (and their tests) are left as they are
    names = {manifest["nodes"][uid]["name"] for uid in scope.nodes}
    left_out = [node["name"] for node in manifest["nodes"].values()
                if node["resource_type"] == "model" and node["name"].startswith(("stg_hr__", "stg_plan__", "stg_state__"))]
    assert left_out and not names & set(left_out)
    assert set(left_out) <= set(scope.excluded_names)
    # every buildable node is either built or named in the exclusion dbt is given
    selectable = [node["name"] for node in manifest["nodes"].values() if runs_in_a_scope(node)]
    assert len(selectable) == len(set(selectable)), "dbt selects by name: names must be unique"
    # a bare name is matched against the fqn: a name that is also a folder would leave out the
    # folder (a snapshot's fqn repeats its name, and its folder holds only itself)
    for name in selectable:
        under = {node["name"] for node in manifest["nodes"].values() if name in node["fqn"][:-1]}
        assert under <= {name}, (name, under)
    assert set(selectable) == names | set(scope.excluded_names) and not names & set(scope.excluded_names)


def test_nothing_new_means_no_dbt_work(tmp_path, manifest):
    loads = [(source, table, 0, 0, 0) for source, table in CHECK_INS]
    warehouse = _warehouse(tmp_path, manifest, loads)
    scope = plan_build(warehouse, manifest, AS_OF)
    assert scope.empty and not scope.nodes
    # the empty build is recorded like any other: the next one starts from it
    record_build(warehouse, manifest, scope, run_id="quiet hour", started_at=datetime(2025, 3, 5, 9), as_of=AS_OF)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select scope, nodes_selected from meta.data_center_builds where run_id = 'quiet hour'"
                           ).fetchall() == [("none", 0)]


def test_rows_set_aside_alone_rebuild_the_plan_refusals_and_leave_the_findings_to_the_night(tmp_path, manifest):
    scope = plan_build(_warehouse(tmp_path, manifest, [("jw", "JW_KQ_XSKQB", 0, 0, 3)]), manifest, AS_OF)
    assert scope.changed_sources == ("meta.quarantine",)
    assert _node(manifest, "stg_meta__quarantine") in scope.nodes
    # the quality office reads its workbook's refusals the same day; the engineers' list waits for the night
    assert _node(manifest, "dq_plan_refusals") in scope.nodes
    assert _node(manifest, "dq_excluded_records") not in scope.nodes


def test_rows_set_aside_again_as_before_are_no_change(tmp_path, manifest):
    # the plan workbook read again refuses the same two rows the night's load refused
    again = plan_build(_warehouse(tmp_path, manifest, [("plan", "targets", 0, 0, 2)]), manifest, AS_OF)
    assert again.empty and again.changed_sources == ()
    # a third row refused is news
    (tmp_path / "more").mkdir()
    more = plan_build(_warehouse(tmp_path / "more", manifest, [("plan", "targets", 0, 0, 3)]), manifest, AS_OF)
    assert more.changed_sources == ("meta.quarantine",) and _node(manifest, "dq_plan_refusals") in more.nodes


def test_a_removed_row_counts_as_a_change(tmp_path, manifest):
    scope = plan_build(_warehouse(tmp_path, manifest, [("xg", "XG_XSXX", 0, 1, 0)]), manifest, AS_OF)
    assert scope.changed_sources == ("raw_xg.XG_XSXX",) and scope.nodes


def test_a_new_month_rebuilds_the_task_board_and_an_edited_seed_rebuilds_its_dependants(tmp_path, manifest):
    warehouse = _warehouse(tmp_path, manifest, [])
    board = _node(manifest, "mart_task__board")
    next_month = plan_build(warehouse, manifest, date(2025, 4, 1))
    assert board in next_month.modified and board in next_month.nodes
    assert plan_build(warehouse, manifest, AS_OF).empty

    edited = json.loads(json.dumps(manifest))
    seed = "seed.zhengai.quality_control_points"
    edited["nodes"][seed]["checksum"]["checksum"] = "edited"
    scope = plan_build(warehouse, edited, AS_OF)
    assert scope.modified == (seed,) and seed in scope.nodes and _node(manifest, "mart_quality__status") in scope.nodes
    # the seed's own tests (they stop a build) run with it; the models' data tests wait for the night
    seed_tests = {uid for uid in manifest["child_map"][seed] if uid.startswith("test.")
                  and manifest["nodes"][uid]["original_file_path"].startswith("seeds/")}
    assert seed_tests and seed_tests <= scope.nodes
    assert not any(manifest["nodes"][uid]["original_file_path"].startswith("models/")
                   for uid in scope.nodes if uid.startswith("test."))


def test_without_a_build_log_the_build_is_whole(tmp_path, manifest):
    assert plan_build(tmp_path / "none.duckdb", manifest, AS_OF).full
    with duckdb.connect(str(tmp_path / "old.duckdb")) as con:
        con.execute("create schema meta; create table meta.load_audit (run_id varchar)")
    whole = plan_build(tmp_path / "old.duckdb", manifest, AS_OF)
    assert whole.full and whole.exclude_args() == []   # every model and every data test


def test_a_failed_build_leaves_its_changes_to_the_next_one(tmp_path, manifest):
    """Loads after the last good build count, whichever run made them."""
    warehouse = _warehouse(tmp_path, manifest, [("xg", "XG_CQJL", 5, 0, 0)])
    with duckdb.connect(str(warehouse)) as con:   # a later hour whose dbt build failed: no build recorded
        con.execute("insert into meta.load_audit values ('failed', 'jw', 'JW_KQ_XSKQB', 7, 7, 0, ?, 'ok', 0, 7, 0)",
                    [datetime(2025, 3, 5, 9)])
    assert plan_build(warehouse, manifest, AS_OF).changed_sources == ("raw_jw.JW_KQ_XSKQB", "raw_xg.XG_CQJL")
    scope = plan_build(warehouse, manifest, AS_OF)
    record_build(warehouse, manifest, scope, run_id="good", started_at=datetime(2025, 3, 5, 10), as_of=AS_OF)
    assert plan_build(warehouse, manifest, AS_OF).empty
