"""The load audit of one run as a Chinese summary, for `zhengai ingest`."""

from __future__ import annotations

from ingest.loader import LoadResult

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
    future = sum(r.rows_future_dated for r in results)
    deleted = sum(r.rows_deleted for r in results)
    corrected = sum(r.rows_corrected for r in results)
    if future or deleted or corrected:
        lines.append(f"  其中：时间晚于本次运行、暂缓入库 {future:,} 行（隔离，到时或更正后重新读取），"
                     f"源系统已删除、标记删除 {deleted:,} 行，重发更正 {corrected:,} 行")
    for r in failed:
        lines.append(f"  加载失败 {r.source}.{r.table_name}（保留上次数据）：{r.error}")
    unbalanced = [r for r in results if r.rows_read != r.rows_loaded + r.rows_quarantined]
    for r in unbalanced:
        lines.append(f"  行数不平衡 {r.source}.{r.table_name}：读取 ≠ 入库 + 隔离")
    return "\n".join(lines)
