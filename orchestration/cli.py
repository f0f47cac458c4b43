"""`zhengai` command line: generate a demo school, run the nightly sync once."""

from __future__ import annotations

import time
from pathlib import Path

import click

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
def generate(students: int, years: int, seed: int, out_dir: Path | None) -> None:
    from school_generator import generate as generate_school

    out_dir = out_dir or default_data_dir() / "sources"
    started = time.perf_counter()
    planted = generate_school(out_dir, students=students, seed=seed, years=years, progress=True)
    click.echo(
        f"已生成合成学校：{students} 名学生、{years} 个学年，种子 {seed}，目录 {out_dir}；"
        f"预埋问题 {len(planted.get('findings', planted))} 项；用时 {time.perf_counter() - started:.1f} 秒。"
    )


@main.command(help="运行一次夜间同步（采集 → dbt 构建 → 质控点检查）并分发预警，全部在本进程内。")
def sync() -> None:
    from orchestration.sync import format_summary, run_sync

    summary = run_sync(Settings.from_env())
    click.echo(format_summary(summary))
    if not summary.succeeded:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
