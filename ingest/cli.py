"""Command line for a load by hand: a progress bar per long table, then the load audit summary.

`python -m ingest --warehouse data/demo/warehouse.duckdb --url jw=sqlite:///…/jw.sqlite …`
The `zhengai` CLI can mount `ingest_command` or print `format_load_summary(results)` itself.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import click

from ingest.config import load_config
from ingest.runner import run_ingest
from ingest.warehouse import LoadResult

MODE_NAMES = {"snapshot": "全量", "append": "追加", "changing": "增量", "yearly": "年度"}


def format_load_summary(results: list[LoadResult]) -> str:
    """The load audit of one run, in Chinese: one line per table, totals, failures."""
    lines = ["══ 数据加载摘要 ══",
             f"  {'表':<34}{'方式':<6}{'读取':>10}{'入库':>10}{'隔离':>8}{'用时(秒)':>10}  读取途径"]
    for r in results:
        lines.append(
            f"  {r.source + '.' + r.table_name:<34}{MODE_NAMES.get(r.mode, r.mode):<6}"
            f"{r.rows_read:>10,}{r.rows_loaded:>10,}{r.rows_quarantined:>8,}{r.seconds:>10.1f}"
            f"  {r.connector or '-'}" + ("" if r.status == "ok" else "  【失败】"))
    read = sum(r.rows_read for r in results)
    loaded = sum(r.rows_loaded for r in results)
    quarantined = sum(r.rows_quarantined for r in results)
    failed = [r for r in results if r.status != "ok"]
    lines.append(f"  合计 {len(results)} 张表：读取 {read:,} 行，入库 {loaded:,} 行，"
                 f"隔离 {quarantined:,} 行（见 meta.quarantine），失败 {len(failed)} 张")
    for r in failed:
        lines.append(f"  加载失败 {r.source}.{r.table_name}（保留上次数据）：{r.error}")
    unbalanced = [r for r in results if r.rows_read != r.rows_loaded + r.rows_quarantined]
    for r in unbalanced:
        lines.append(f"  行数不平衡 {r.source}.{r.table_name}：读取 ≠ 入库 + 隔离")
    return "\n".join(lines)


@click.command("ingest")
@click.option("--warehouse", type=click.Path(path_type=Path), required=True,
              help="DuckDB 数据仓库文件")
@click.option("--url", "urls", multiple=True, metavar="SOURCE=URL",
              help="业务系统连接：jw=postgresql+psycopg2://…、hr=sqlite:///…、xg=csv:///导出目录")
@click.option("--state-path", type=click.Path(path_type=Path), default=None,
              help="状态数据平台工作簿目录（<年份>.xlsx）")
@click.option("--source", "sources", multiple=True, help="只加载这些数据源（默认全部）")
@click.option("--batch-size", type=int, default=None, help="每批读取行数")
@click.option("--fast-path", type=click.Choice(["auto", "off"]), default=None,
              help="auto：用 DuckDB 扫描器快速读取；off：只用 SQLAlchemy")
@click.option("--progress/--no-progress", default=True, help="大表显示进度条")
def ingest_command(warehouse: Path, urls: tuple[str, ...], state_path: Path | None,
                   sources: tuple[str, ...], batch_size: int | None, fast_path: str | None,
                   progress: bool) -> None:
    """加载业务系统与状态数据平台的数据到数据仓库（raw_* 与 meta.*）。"""
    source_urls = {}
    for item in urls:
        name, sep, url = item.partition("=")
        if not sep:
            raise click.BadParameter(f"应为 数据源=连接串，得到 {item!r}", param_hint="--url")
        source_urls[name] = url
    config = load_config()
    if batch_size:
        config = dataclasses.replace(config, batch_size=batch_size)
    if fast_path:
        config = config.with_fast_path(fast_path)
    chosen = list(sources) or [name for name, spec in config.sources.items()
                               if spec.kind != "sql" or name in source_urls]
    if any(config.sources[s].kind == "xlsx" for s in chosen if s in config.sources) \
            and state_path is None:
        raise click.BadParameter("加载状态数据平台需要 --state-path", param_hint="--state-path")
    run_id = f"manual-{datetime.now():%Y%m%d-%H%M%S}"
    try:
        results = run_ingest(warehouse, source_urls, state_path, run_id=run_id,
                             sources=chosen, progress=progress, config=config)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    click.echo(format_load_summary(results))
    click.echo(f"  批次号：{run_id}")
    if any(r.status != "ok" for r in results):
        raise SystemExit(1)
