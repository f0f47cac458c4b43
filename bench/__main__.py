"""`python -m bench` (or `make bench`): the end-to-end benchmark, written to BENCHMARKS.md."""

from __future__ import annotations

import json
from pathlib import Path

import click

from bench.peer import DEFAULT_PG_URL, PostgresTarget
from bench.report import BENCHMARKS_MD, goals, render_markdown, update_markdown
from bench.run import BENCH_DIR, DEFAULT_JSON, INCREMENTS, run_bench


@click.command(help="端到端基准测试：全量重建、夜间增量、峰值内存、扫描下限、PostgreSQL 对照、规模增长（见 BENCHMARKS.md）。")
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
@click.option("--increments", default=",".join(INCREMENTS), show_default=True,
              help="主规模在全量重建之后测量的增量，逗号分隔：hour（当天同步）、day（夜间）、week（一周）")
@click.option("--report-only", is_flag=True, help="不测量，只用已有的结果 JSON 重写报告")
def bench(students: int, years: int, seed: int, growth: str, skip_peer: bool, pg_url: str, regenerate: bool,
          out_json: Path | None, markdown: Path | None, bench_dir: Path | None, growth_only: bool,
          increments: str, report_only: bool) -> None:
    if report_only:
        results = json.loads((out_json or DEFAULT_JSON).read_text())
        update_markdown(markdown or BENCHMARKS_MD, render_markdown(results))
        click.echo(f"已根据 {out_json or DEFAULT_JSON} 重写 {markdown or BENCHMARKS_MD}")
        return
    sizes = [int(n) for n in growth.split(",") if n.strip()]
    chosen = tuple(name.strip() for name in increments.split(",") if name.strip())
    if unknown := set(chosen) - set(INCREMENTS):
        raise click.BadParameter(f"未知的增量：{'、'.join(sorted(unknown))}（可选 {', '.join(INCREMENTS)}）",
                                 param_hint="--increments")
    peer = None if skip_peer else PostgresTarget.from_url(pg_url)
    results = run_bench(students, years, seed, growth=sizes, peer=peer, out_json=out_json or DEFAULT_JSON,
                        markdown=markdown or BENCHMARKS_MD, regenerate=regenerate, bench_dir=bench_dir or BENCH_DIR,
                        growth_only=growth_only, log=click.echo, increments=chosen)
    click.echo(f"结果：{out_json or DEFAULT_JSON}；报告：{markdown or BENCHMARKS_MD}")
    for goal, target, measured, holds in goals(results):
        mark = "—" if holds is None else ("达成" if holds else "未达成")
        click.echo(f"  {goal}：目标 {target}，实测 {measured}，{mark}")


if __name__ == "__main__":
    bench(prog_name="python -m bench")
