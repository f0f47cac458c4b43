"""Every model, snapshot and column of the warehouse is described (Chinese and English) in the
dbt YAML, so `dbt docs` is complete."""

import json
import re

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{2,}")


def test_every_model_and_column_is_described_in_both_languages(dbt_build_dir, warehouse):
    manifest = json.loads((dbt_build_dir / "target" / "manifest.json").read_text(encoding="utf-8"))
    nodes = [node for node in manifest["nodes"].values()
             if node["resource_type"] in ("model", "snapshot") and node["package_name"] == "zhengai"]
    assert len(nodes) > 90
    undescribed = []
    for node in nodes:
        if not (CJK.search(node["description"]) and LATIN.search(node["description"])):
            undescribed.append(node["name"])
        built = [name for (name,) in warehouse.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [node["schema"], node["name"]]).fetchall()]
        assert built, node["name"]
        for column in built:
            description = node["columns"].get(column, {}).get("description", "")
            if not (CJK.search(description) and LATIN.search(description)):
                undescribed.append(f"{node['name']}.{column}")
    assert undescribed == []
