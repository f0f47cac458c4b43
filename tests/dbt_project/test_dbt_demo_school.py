"""End to end on the synthetic school: generate 300 students, ingest, `dbt build`, then every
control point of the registry has values (or is shown as 数据不足), and every finding the
generator planted (planted.json) is raised as 预警 or reported by the data-quality models."""

import json

import duckdb
import pytest

from tests.dbt_project.dbt_school import read_seed, run_dbt_build

school_generator = pytest.importorskip("school_generator")
ingest = pytest.importorskip("ingest")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp("demo_school")
    sources = work_dir / "sources"
    school_generator.generate(sources, students=300, seed=42, years=1)
    warehouse = work_dir / "warehouse.duckdb"
    urls = {name: f"sqlite:///{sources / name}.sqlite" for name in ("jw", "hr", "xg")}
    results = ingest.run_ingest(warehouse, urls, sources / "state", run_id="demo", plan_path=sources / "plan")
    failed = [result for result in results if result.status == "failed"]
    assert not failed, failed
    # The unit tests do not read the warehouse; the session build over the hand-made school runs them.
    run_dbt_build(work_dir, warehouse, "--exclude", "resource_type:unit_test")
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con, json.loads((sources / "planted.json").read_text(encoding="utf-8"))
    con.close()


def test_every_control_point_has_values_or_is_shown_as_insufficient_data(demo):
    con, _ = demo
    found = {code: (entities, values, placeholder) for code, entities, values, placeholder in con.execute(
        "select indicator_code, count(*), count(value), bool_or(entity_id = 'ALL' and status = '数据不足')"
        " from marts.mart_quality__status group by 1").fetchall()}
    registry = {row["code"] for row in read_seed("quality_control_points")}
    assert set(found) == registry
    without_values = {code for code, (_, values, placeholder) in found.items() if not values}
    assert all(found[code][2] for code in without_values)
    # On the demo school every control point is computed.
    assert without_values == set()


def test_every_planted_finding_is_a_warning(demo):
    con, planted = demo
    status = {(code, entity, period): value for code, entity, period, value in con.execute(
        "select indicator_code, entity_id, period, status from marts.mart_quality__status").fetchall()}
    expected = [(row["indicator_code"], row["entity_id"], row["period"]) for row in planted["expected_warnings"]]
    assert len(expected) >= 11
    assert {key: status.get(key) for key in expected} == {key: "预警" for key in expected}


def test_every_planted_data_quality_problem_is_reported(demo):
    con, planted = demo

    def found(sql: str, *params) -> bool:
        return con.execute(sql, list(params)).fetchone()[0] > 0

    checks = {
        "state_a6_1_teacher_missing_from_hr": lambda f: found(
            "select count(*) from data_quality.dq_state_teachers_vs_hr where staff_id = ? and collection_year = ?"
            " and finding = 'state_teacher_missing_from_hr'", f["entity_id"], f["collection_year"]),
        "duplicate_kq_id": lambda f: found(
            "select count(*) from data_quality.dq_duplicates_removed where source_table = 'raw_jw.' || ? and record_key = ?",
            f["table"], str(f["KQ_ID"])),
        "orphan_xh_id": lambda f: found(
            "select count(*) from data_quality.dq_orphan_keys where source_table = 'raw_jw.' || ? and key_column = 'XH_ID'"
            " and key_value = ?", f["table"], f["XH_ID"]),
    }
    problems = planted["data_quality"]
    assert problems and {p["check"] for p in problems} <= set(checks), "a planted check this test does not know"
    assert {p["check"]: checks[p["check"]](p) for p in problems} == {p["check"]: True for p in problems}
