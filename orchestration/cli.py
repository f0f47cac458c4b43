"""`zhengai` command line: generate a demo school, run the nightly sync once."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from orchestration.bench import DEFAULT_PG_URL
from orchestration.cli_warnings import warnings
from orchestration.settings import Settings, default_data_dir


@click.group(help="zhengai：诊改校本数据中心（数据采集、数据中心、质控点预警）。")
def main() -> None:
    pass


@main.command(help="生成一所合成学校的四个源系统数据（教务、人事、学工、状态数据平台）。")
@click.option("--students", default=3000, show_default=True, help="在校生人数")
@click.option("--years", default=1, show_default=True, help="学年数")
@click.option("--seed", default=42, show_default=True, help="随机种子（相同种子生成相同数据）")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="输出目录（默认 $ZHENGAI_DATA_DIR/sources）")
@click.option("--append-day", "append_day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="不重新生成：在已有源数据上追加一天（YYYY-MM-DD，须晚于已有的最后一天）的上课、考勤与查寝记录")
def generate(students: int, years: int, seed: int, out_dir: Path | None, append_day) -> None:
    from school_generator import generate as generate_school

    out_dir = out_dir or default_data_dir() / "sources"
    started = time.perf_counter()
    if append_day is not None:
        from school_generator import append_day as append_one_day

        try:
            added = append_one_day(out_dir, append_day.date())
        except (ValueError, FileNotFoundError) as exc:
            raise click.ClickException(f"无法追加 {append_day.date()}：{exc}") from exc
        click.echo(
            f"已追加 {append_day.date()} 一天：上课记录 {added['JW_KQ_SKJLB']:,} 条，考勤 {added['JW_KQ_XSKQB']:,} 条，"
            f"查寝 {added['XG_CQJL']:,} 条；目录 {out_dir}；用时 {time.perf_counter() - started:.1f} 秒。"
        )
        return
    planted = generate_school(out_dir, students=students, seed=seed, years=years, progress=True)
    click.echo(
        f"已生成合成学校：{students} 名学生、{years} 个学年，种子 {seed}，目录 {out_dir}；"
        f"预埋问题 {len(planted.get('findings', planted))} 项；用时 {time.perf_counter() - started:.1f} 秒。"
    )


@main.command(help="运行一次夜间同步（采集 → dbt 构建 → 质控点检查）并分发预警，全部在本进程内。")
@click.option("--full-refresh", is_flag=True,
              help="从全部原始数据重建增量模型（源系统删除了记录、或维度变化而其记录未重新接入时使用）")
def sync(full_refresh: bool) -> None:
    from orchestration.sync import format_summary, run_sync

    summary = run_sync(Settings.from_env(), full_refresh=full_refresh)
    click.echo(format_summary(summary))
    if not summary.succeeded:
        raise SystemExit(1)


@main.command(help="把分析快照中的指标集市发布到 PostgreSQL 模式，并授予只读角色查询权限（供 FineBI、Superset、Metabase 连接）。")
@click.option("--to", "url", required=True, metavar="URL",
              help="PostgreSQL 连接地址，如 postgresql://postgres@127.0.0.1:5432/zhengai")
@click.option("--schema", default="zhengai_marts", show_default=True, help="目标模式（整体替换其中由 zhengai 发布的表）")
@click.option("--role", default="zhengai_reader", show_default=True, help="只读角色（不存在则创建）")
@click.option("--role-password", default=None,
              help="给只读角色设置登录密码（BI 工具用该角色直接登录）；不给则为 NOLOGIN 角色，用 GRANT 授予登录账号")
def publish(url: str, schema: str, role: str, role_password: str | None) -> None:
    import duckdb
    import psycopg2

    from orchestration.serving.postgres import publish_to_postgres

    settings = Settings.from_env()
    try:
        report = publish_to_postgres(settings.snapshot, url, schema=schema, role=role, role_password=role_password)
    except (ValueError, FileNotFoundError, psycopg2.Error, duckdb.Error) as exc:
        raise click.ClickException(f"发布失败：{str(exc).strip()}") from exc
    click.echo(f"已发布到 PostgreSQL 模式 {report.schema}（快照时间 {report.snapshot_published_at:%Y-%m-%d %H:%M}）：")
    for table, rows in report.tables.items():
        click.echo(f"  {table}：{rows:,} 行")
    if report.dropped:
        click.echo(f"  已删除集市中不再存在的表：{'、'.join(report.dropped)}")
    click.echo(
        f"共 {len(report.tables)} 张表、{report.rows:,} 行；只读角色 {report.role} 可查询；用时 {report.seconds:.1f} 秒。"
    )


@main.command(help="端到端基准测试：全量重建、夜间增量、峰值内存、扫描下限、PostgreSQL 对照、规模增长（见 BENCHMARKS.md）。")
@click.option("--students", default=20000, show_default=True, help="在校生人数")
@click.option("--years", default=3, show_default=True, help="学年数")
@click.option("--seed", default=42, show_default=True, help="随机种子")
@click.option("--growth", default="", help="增长曲线的学生人数，逗号分隔，如 5000,10000,20000,40000")
@click.option("--skip-peer", is_flag=True, help="不做 PostgreSQL 对照")
@click.option("--pg-url", default=DEFAULT_PG_URL, show_default=True,
              help="PostgreSQL 对照所用的数据库（每次重建该库）")
@click.option("--regenerate", is_flag=True, help="即使已有同规模的源数据也重新生成")
@click.option("--out", "out_json", type=click.Path(path_type=Path), default=None,
              help="结果 JSON（默认 data/bench/bench.json，与已有结果合并）")
@click.option("--markdown", type=click.Path(path_type=Path), default=None,
              help="更新其中基准测试一节的 Markdown 文件（默认 BENCHMARKS.md）")
@click.option("--bench-dir", type=click.Path(path_type=Path), default=None,
              help="生成的学校与仓库放在这里（默认 data/bench，已被 git 忽略）")
@click.option("--growth-only", is_flag=True, help="只测增长曲线（主规模沿用结果 JSON 中已有的测量）")
@click.option("--report-only", is_flag=True, help="不测量，只用已有的结果 JSON 重写报告")
def bench(students: int, years: int, seed: int, growth: str, skip_peer: bool, pg_url: str, regenerate: bool,
          out_json: Path | None, markdown: Path | None, bench_dir: Path | None, growth_only: bool,
          report_only: bool) -> None:
    from orchestration.bench import (BENCH_DIR, BENCHMARKS_MD, DEFAULT_JSON, PostgresTarget, goals, render_markdown,
                                     run_bench, update_markdown)

    if report_only:
        results = json.loads((out_json or DEFAULT_JSON).read_text())
        update_markdown(markdown or BENCHMARKS_MD, render_markdown(results))
        click.echo(f"已根据 {out_json or DEFAULT_JSON} 重写 {markdown or BENCHMARKS_MD}")
        return
    sizes = [int(n) for n in growth.split(",") if n.strip()]
    peer = None if skip_peer else PostgresTarget.from_url(pg_url)
    results = run_bench(students, years, seed, growth=sizes, peer=peer, out_json=out_json or DEFAULT_JSON,
                        markdown=markdown or BENCHMARKS_MD, regenerate=regenerate, bench_dir=bench_dir or BENCH_DIR,
                        growth_only=growth_only, log=click.echo)
    click.echo(f"结果：{out_json or DEFAULT_JSON}；报告：{markdown or BENCHMARKS_MD}")
    for goal, target, measured, holds in goals(results):
        mark = "—" if holds is None else ("达成" if holds else "未达成")
        click.echo(f"  {goal}：目标 {target}，实测 {measured}，{mark}")


main.add_command(warnings)

if __name__ == "__main__":
    main()
