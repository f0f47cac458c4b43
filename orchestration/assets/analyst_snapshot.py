"""The analysts' read-only snapshot: the last asset of the nightly build."""

from pathlib import Path

import dagster as dg

from orchestration.dbt_project import data_center_project
from orchestration.resources import AnalystSnapshot, ZhengaiPaths
from serving.snapshot import SNAPSHOT_SCHEMAS, docs_from_dbt_manifest, publish_snapshot

SNAPSHOT_KEY = dg.AssetKey(["serving", "analyst_snapshot"])


@dg.op(
    ins={"after": dg.In(dg.Nothing)},
    out=dg.Out(dg.Nothing),
    # It reads the warehouse in the process that writes it: never next to a writing step.
    pool="warehouse_writer",
)
def publish_analyst_snapshot(context: dg.OpExecutionContext, paths: ZhengaiPaths, snapshot: AnalystSnapshot):
    report = publish_snapshot(
        paths.warehouse_path,
        Path(snapshot.path),
        run_id=context.run.run_id,
        docs=docs_from_dbt_manifest(data_center_project().manifest_path),
    )
    mode = "增量更新" if report.mode == "delta" else f"全量复制（{report.reason or '首次发布'}）"
    context.log.info(f"分析快照已发布：{report.path}，{mode}，{len(report.tables)} 张表，{report.rows:,} 行，"
                     f"{report.seconds:.1f} 秒")
    context.add_output_metadata({
        "path": dg.MetadataValue.path(str(report.path)),
        "tables": len(report.tables),
        "rows": report.rows,
        "withheld_columns": ", ".join(report.withheld_columns) or "无",
        "seconds": round(report.seconds, 2),
        "mode": report.mode,
        "full_copy_reason": report.reason or "",
        "big_fact_deltas": ", ".join(f"{name} −{d:,} +{i:,}" for name, (d, i) in report.deltas.items()) or "无",
        "tables_kept": len(report.kept),
    })


def build_snapshot_asset(data_center: dg.AssetsDefinition) -> dg.AssetsDefinition:
    """Downstream of every core, mart and registry model: it runs after a good build that
    rebuilt any of them. One fan-in input over all of them, because Dagster skips a step when
    any of its ordinary inputs was not produced, and the same-day build leaves most models as
    they are; the fan-in skips only when none of them was rebuilt."""
    upstream = sorted((key for key in data_center.keys if key.path[0] in SNAPSHOT_SCHEMAS),
                      key=lambda key: key.to_user_string())
    names = {key: "__".join(key.path) for key in upstream}

    @dg.graph_asset(
        name="analyst_snapshot",
        key_prefix=SNAPSHOT_KEY.path[:-1],
        ins={name: dg.AssetIn(key, dagster_type=dg.Nothing) for key, name in names.items()},
        group_name="serving",
        kinds={"duckdb"},
        description=(
            "分析快照：每次构建成功后把 core、marts、registry 复制为只读 DuckDB 文件并原子替换，"
            "分析人员查询它而不是数据仓库（不含身份证号、手机号）· read-only snapshot for analysts"
        ),
    )
    def analyst_snapshot(**built):
        return publish_analyst_snapshot(after=list(built.values()))

    return analyst_snapshot
