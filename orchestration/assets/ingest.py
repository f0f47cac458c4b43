"""One Dagster multi-asset per source system, its tables taken from ingest/sources.yml."""

import dagster as dg

import ingest
from ingest.connectors.plan_workbook import ENTITY_TABLES
from orchestration.resources import ZhengaiPaths

LOAD_CHECK = "rows_accounted"


def raw_asset_key(source: str, table: str) -> dg.AssetKey:
    return dg.AssetKey([f"raw_{source}", table.lower()])


def _load_metadata(result: ingest.LoadResult) -> dict:
    return {
        "mode": result.mode,
        "rows_read": result.rows_read,
        "rows_loaded": result.rows_loaded,
        "rows_quarantined": result.rows_quarantined,
        "rows_future_dated": result.rows_future_dated,
        "rows_deleted": result.rows_deleted,
        "rows_corrected": result.rows_corrected,
        "watermark_before": str(result.watermark_before),
        "watermark_after": str(result.watermark_after),
        "seconds": round(result.seconds, 3),
        "status": result.status,
    }


class SourceLoad(dg.Config):
    """`zhengai sync --full-refresh` also reconciles the keys of every reconciled table."""

    full_refresh: bool = False


def build_source_assets(source_name: str, table_names: list[str], description: str,
                        deps: list[dg.AssetKey] | None = None) -> dg.AssetsDefinition:
    """deps: raw tables this source's load reads (the plan's own targets are checked against
    the registers, so those load first)."""
    keys = {name: raw_asset_key(source_name, name) for name in table_names}

    @dg.multi_asset(
        name=f"ingest_{source_name}",
        specs=[
            dg.AssetSpec(key, group_name=f"raw_{source_name}", kinds={"duckdb"}, description=f"{description} · {name}",
                         deps=deps or [])
            for name, key in keys.items()
        ],
        check_specs=[
            dg.AssetCheckSpec(LOAD_CHECK, asset=key, description="本表本次加载成功，且 读取行数 = 入库行数 + 隔离行数")
            for key in keys.values()
        ],
        pool="warehouse_writer",
    )
    def load_source(context: dg.AssetExecutionContext, paths: ZhengaiPaths, config: SourceLoad):
        results = ingest.run_ingest(
            paths.warehouse_path,
            paths.source_urls,
            paths.state_path,
            run_id=context.run.run_id,
            sources=[source_name],
            plan_path=paths.plan_path,
            full_refresh=config.full_refresh,
        )
        by_table = {r.table_name: r for r in results}
        for name, key in keys.items():
            result = by_table.get(name)
            if result is None:
                yield dg.MaterializeResult(asset_key=key, metadata={"status": "not loaded"})
                yield dg.AssetCheckResult(
                    asset_key=key, check_name=LOAD_CHECK, passed=False,
                    severity=dg.AssetCheckSeverity.ERROR, metadata={"error": "表未出现在加载结果中"},
                )
                continue
            # A failed table keeps yesterday's data; the rest of the night goes on and the
            # failed check tells the data center engineers.
            yield dg.MaterializeResult(asset_key=key, metadata=_load_metadata(result))
            accounted = result.rows_read == result.rows_loaded + result.rows_quarantined
            yield dg.AssetCheckResult(
                asset_key=key,
                check_name=LOAD_CHECK,
                passed=result.status == "ok" and accounted,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={"error": result.error or "", **_load_metadata(result)},
            )

    return load_source


def source_assets() -> list[dg.AssetsDefinition]:
    config = ingest.load_config()
    checked_against = [dg.AssetKey([schema, table.lower()]) for schema, table in ENTITY_TABLES]
    return [
        build_source_assets(name, [t.name for t in source.tables], source.description,
                            deps=checked_against if source.kind == "plan" else None)
        for name, source in config.sources.items()
    ]
