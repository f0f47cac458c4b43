"""The dbt project flows one way: sources → staging → intermediate → core → marts, with the
data-quality models off to the side. Checked on the manifest of the session's build: a
node's layer is its schema (the folder it lives in), and every parent of every model and
snapshot must belong to a layer that node may read."""

from __future__ import annotations

import json

# layer → the layers its models (or snapshots) may read. Sources are raw_* and meta; the
# registry is the seeds' schema. data_quality may read every layer but the sources, and
# only data_quality reads data_quality.
SOURCE = "source"
MAY_READ = {
    "staging": {SOURCE, "registry"},
    "snapshots": {"staging", "registry"},
    "intermediate": {"staging", "intermediate", "registry"},
    "core": {"staging", "intermediate", "snapshots", "core", "registry"},
    "marts": {"core", "marts", "registry"},
    "data_quality": {"staging", "intermediate", "snapshots", "core", "marts", "data_quality", "registry"},
}


def layer_of(node: dict) -> str:
    if node["resource_type"] == "source":
        assert node["schema"] == "meta" or node["schema"].startswith("raw_"), node["unique_id"]
        return SOURCE
    return node["schema"]


def layer_violations(manifest: dict) -> list[str]:
    """'child (layer) reads parent (layer)' for every edge the rules forbid."""
    nodes = {**manifest["nodes"], **manifest["sources"]}
    found = []
    for node in manifest["nodes"].values():
        if node["resource_type"] not in ("model", "snapshot") or node["package_name"] != "zhengai":
            continue
        layer = layer_of(node)
        allowed = MAY_READ.get(layer)
        if allowed is None:
            found.append(f"{node['name']} is in schema {layer}, which is no layer")
            continue
        for parent_id in node["depends_on"]["nodes"]:
            parent_layer = layer_of(nodes[parent_id])
            if parent_layer not in allowed:
                found.append(f"{node['name']} ({layer}) reads {nodes[parent_id]['name']} ({parent_layer})")
    return sorted(found)


def load_manifest(dbt_build_dir) -> dict:
    return json.loads((dbt_build_dir / "target" / "manifest.json").read_text(encoding="utf-8"))


def test_layers_flow_one_way(dbt_build_dir):
    assert layer_violations(load_manifest(dbt_build_dir)) == []


def test_a_model_lives_in_the_schema_of_its_folder(dbt_build_dir):
    """models/<layer>/… builds into schema <layer>, so the schema is the layer."""
    manifest = load_manifest(dbt_build_dir)
    misplaced = [(node["name"], node["path"], node["schema"]) for node in manifest["nodes"].values()
                 if node["resource_type"] == "model" and node["path"].split("/")[0] != node["schema"]]
    assert misplaced == []
    layers = {node["schema"] for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    assert layers == set(MAY_READ) - {"snapshots"}


def test_a_mart_reading_staging_is_caught(dbt_build_dir):
    """The check itself: a ref from a mart to a staging model is reported."""
    manifest = load_manifest(dbt_build_dir)
    mart = manifest["nodes"]["model.zhengai.mart_student__indicators"]
    mart["depends_on"]["nodes"].append("model.zhengai.stg_jw__course_enrolments")
    assert layer_violations(manifest) == [
        "mart_student__indicators (marts) reads stg_jw__course_enrolments (staging)"]


def test_a_test_of_source_data_warns_and_a_test_of_the_registry_stops_the_build(dbt_build_dir):
    """One bad source row must not stop every department's night: the data tests of every
    layer warn (the models leave out what cannot be judged); the registry is configuration."""
    tests = [node for node in load_manifest(dbt_build_dir)["nodes"].values()
             if node["resource_type"] == "test" and node["package_name"] == "zhengai"]
    severity = {}
    for test in tests:
        layer = test["original_file_path"].split("/")[1] if test["original_file_path"].startswith("models/") else "seeds"
        severity.setdefault(layer, set()).add(test["config"]["severity"].lower())
    assert severity == {"staging": {"warn"}, "intermediate": {"warn"}, "core": {"warn"}, "marts": {"warn"},
                        "data_quality": {"warn"}, "seeds": {"error"}}
