"""`zhengai` command line: generate a demo school, run the nightly sync once, make reports."""

from __future__ import annotations

import dataclasses
import time
from datetime import datetime
from pathlib import Path

import click

from zhengai.cli_sql import sql
from zhengai.cli_warnings import warnings
from zhengai.settings import Settings, default_data_dir, load_env_file


@click.group(help="zhengai：诊改校本数据中心（数据采集、数据中心、质控点预警）。配置读自环境变量与 .env 文件（见 .env.example）。")
def main() -> None:
    load_env_file()


@main.command(help="生成一所合成学校的四个源系统数据（教务、人事、学工、状态数据平台）。")
@click.option("--students", default=3000, show_default=True, help="在校生人数")
@click.option("--years", type=int, default=None, help="学年数（默认 2，指标有逐年趋势）")
@click.option("--seed", default=42, show_default=True, help="随机种子（相同种子生成相同数据）")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="输出目录（默认 $ZHENGAI_DATA_DIR/sources）")
@click.option("--append-day", "append_day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="不重新生成：在已有源数据上追加一天（YYYY-MM-DD，须晚于已有的最后一天）的上课、考勤与查寝记录")
@click.option("--append-hour", "append_hour", type=click.DateTime(formats=["%Y-%m-%dT%H", "%Y-%m-%d %H", "%Y-%m-%dT%H:%M"]),
              default=None,
              help="不重新生成：在已有源数据上追加一小时（如 2025-07-07T08）：该小时开始的上课与考勤记录，22 点为当晚查寝；"
                   "须晚于已有的数据（同一天的小时依次追加）")
def generate(students: int, years: int | None, seed: int, out_dir: Path | None, append_day, append_hour) -> None:
    from school_generator import generate as generate_school

    out_dir = out_dir or default_data_dir() / "sources"
    started = time.perf_counter()
    if append_hour is not None:
        from school_generator import append_hour as append_one_hour

        moment = f"{append_hour.date()} {append_hour.hour:02d}:00"
        try:
            added = append_one_hour(out_dir, append_hour.date(), append_hour.hour)
        except (ValueError, FileNotFoundError) as exc:
            raise click.ClickException(f"无法追加 {moment}：{exc}") from exc
        click.echo(
            f"已追加 {moment} 一小时：上课记录 {added['JW_KQ_SKJLB']:,} 条，考勤 {added['JW_KQ_XSKQB']:,} 条，"
            f"查寝 {added['XG_CQJL']:,} 条；目录 {out_dir}；用时 {time.perf_counter() - started:.1f} 秒。"
        )
        return
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
    chosen = {} if years is None else {"years": years}
    planted = generate_school(out_dir, students=students, seed=seed, progress=True, **chosen)
    click.echo(
        f"已生成合成学校：{students} 名学生、{planted['years']} 个学年，种子 {seed}，目录 {out_dir}；"
        f"预埋问题 {len(planted.get('findings', planted))} 项；用时 {time.perf_counter() - started:.1f} 秒。"
    )


@main.command(help="运行一次夜间同步（采集 → dbt 构建 → 质控点检查）并分发预警，全部在本进程内。"
                   "终端只显示各阶段与摘要，完整日志（Dagster、dbt）写入日志文件。")
@click.option("--full-refresh", is_flag=True,
              help="从全部原始数据重建增量模型（源系统删除了记录、或维度变化而其记录未重新接入时使用）")
@click.option("--same-day", is_flag=True,
              help="运行白天的当天同步：dbt 只构建上次构建以来有新数据的源表下游的模型与测试；只判定并通知登记表中设为当天通知（same_day_digest）的质控点，不生成报告草稿与年报数据表")
@click.option("--log", "log_path", type=click.Path(path_type=Path), default=None,
              help="完整日志追加到此文件（默认数据仓库旁 logs/sync-<时间>.log）")
@click.option("--verbose", is_flag=True, help="完整日志直接输出到终端，不写日志文件")
def sync(full_refresh: bool, same_day: bool, log_path: Path | None, verbose: bool) -> None:
    from orchestration.run_once import format_summary, run_sync
    from zhengai.console import default_log_path, output_to_log

    settings = Settings.from_env()
    _use_dagster_home()
    if verbose:
        summary = run_sync(settings, full_refresh=full_refresh, same_day=same_day)
        click.echo(format_summary(summary))
    else:
        log_path = log_path or default_log_path(settings.warehouse.parent / "logs", "sync")
        click.echo(f"夜间同步：完整日志（Dagster、dbt）写入 {log_path}")
        with output_to_log(log_path) as terminal:
            terminal.stage("准备：载入作业定义与 dbt 项目")
            try:
                summary = run_sync(settings, full_refresh=full_refresh, same_day=same_day, on_stage=terminal.stage)
            except Exception as error:
                import traceback

                traceback.print_exc()
                terminal.say(f"同步中断：{type(error).__name__}: {error}")
                terminal.say(f"详见日志 {log_path}")
                raise SystemExit(1) from None
            print(format_summary(summary))  # the log keeps the summary too
            terminal.say(format_summary(summary))
            if not summary.succeeded:
                terminal.say(f"同步失败，详见日志 {log_path}")
    if not summary.succeeded:
        raise SystemExit(1)


def _use_dagster_home() -> None:
    """Record runs where `make ui` and the daemon read them: DAGSTER_HOME, else the data folder's dagster_home/."""
    import os
    import shutil

    from zhengai.settings import REPO_ROOT, dagster_home

    home = dagster_home()
    if not (home / "dagster.yaml").exists():
        home.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home.resolve())


@main.command(help="把分析快照中的指标集市发布到 PostgreSQL 模式，并授予只读角色查询权限（供 FineBI、Superset、Metabase 连接）。")
@click.option("--to", "url", default=None, metavar="URL",
              help="PostgreSQL 连接地址，如 postgresql://postgres@127.0.0.1:5432/zhengai（默认 $ZHENGAI_PUBLISH_URL）")
@click.option("--schema", default="zhengai_marts", show_default=True, help="目标模式（整体替换其中由 zhengai 发布的表）")
@click.option("--role", default="zhengai_reader", show_default=True, help="只读角色（不存在则创建）")
@click.option("--role-password", default=None,
              help="给只读角色设置登录密码（BI 工具用该角色直接登录）；不给则为 NOLOGIN 角色，用 GRANT 授予登录账号")
@click.option("--create-database", is_flag=True, help="目标数据库不存在时先创建它（需要 CREATEDB 权限）")
def publish(url: str | None, schema: str, role: str, role_password: str | None, create_database: bool) -> None:
    import duckdb
    import psycopg2

    from serving.publish import publish_to_postgres
    from zhengai.database_errors import explain, missing_database

    settings = Settings.from_env()
    url = url or settings.publish_url
    if not url:
        raise click.UsageError("请用 --to 给出 PostgreSQL 连接地址，或在 .env 中设置 ZHENGAI_PUBLISH_URL")

    def attempt():
        return publish_to_postgres(settings.snapshot, url, schema=schema, role=role, role_password=role_password)

    try:
        try:
            report = attempt()
        except psycopg2.OperationalError as exc:
            if not (create_database and missing_database(exc)):
                raise
            from zhengai.database_errors import create_postgres_database

            click.echo(f"数据库 {missing_database(exc)} 不存在，正在创建……")
            create_postgres_database(url)
            report = attempt()
    except psycopg2.OperationalError as exc:
        hint = "；或加 --create-database 由本命令创建" if missing_database(exc) else ""
        raise click.ClickException(f"发布失败：{explain(url, exc)}{hint}") from exc
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


@main.command(help="生成报告：诊改报告草稿（.docx）、报告网站（画像页、驾驶舱）、质量年报数据表（.xlsx）。"
                   "读分析快照（夜间同步进行中也可运行），没有快照时读数据仓库。")
@click.option("--layer", type=click.Choice(["school", "major", "course", "teacher", "student"]), default=None,
              help="生成该层面的诊改报告草稿（层面报告 + 每个实体一份）")
@click.option("--period", default=None, metavar="YYYY-YYYY", help="学年，如 2024-2025（草稿与年报数据表必填）")
@click.option("--entity", "entities", multiple=True, help="只为这些实体生成草稿（学号、工号、专业代码、课程编号……）")
@click.option("--no-entities", is_flag=True, help="只生成层面报告草稿，不为每个实体生成")
@click.option("--at-most", type=click.IntRange(min=1), default=None, metavar="N",
              help="最多生成 N 份实体草稿（缺失的先生成，其次是最久未更新的），其余留到下次，如夜间构建按报告日历的每晚限额")
@click.option("--site", "site", is_flag=True, help="重建报告网站（只重写有变化的页面）")
@click.option("--annual", is_flag=True, help="生成该学年的质量年报数据表")
def report(layer: str | None, period: str | None, entities: tuple[str, ...], no_entities: bool, at_most: int | None,
           site: bool, annual: bool) -> None:
    # Not through orchestration.resources: importing Dagster would add ~120 MiB to this process,
    # which stays alive beside the site's worker processes.
    from serving import reports as room

    settings = Settings.from_env()
    source = settings.snapshot if settings.snapshot.exists() else settings.warehouse
    folder = room.reports_folder(settings)
    base_url = room.site_base_url(folder, settings.reports_base_url)
    if not (layer or site or annual):
        raise click.UsageError("请至少给出 --layer、--site 或 --annual 之一")
    if (layer or annual) and not period:
        raise click.UsageError("生成草稿或年报数据表需要 --period（学年，如 2024-2025）")
    try:
        if site:
            from serving.site.build import build_site

            made = build_site(source, settings.ledger, room.site_dir(folder))
            click.echo(f"报告网站：{made.pages:,} 页，重写 {made.written:,}，未变 {made.unchanged:,}，"
                       f"用时 {made.seconds:.1f} 秒。打开：{base_url}index.html")
        if layer:
            from serving.drafts.build import build_drafts

            made = build_drafts(source, settings.ledger, room.drafts_dir(folder), layer, period,
                                entity_ids=list(entities) or None, entity_drafts=not no_entities, site_base_url=base_url,
                                at_most=at_most)
            later = f"，另有 {made.pending} 份留待下次" if made.pending else ""
            click.echo(f"诊改报告草稿（{period}，{layer}）：{made.drafts} 份，重写 {made.written}{later}，"
                       f"用时 {made.seconds:.1f} 秒；目录 {made.path}")
        if annual:
            from serving.annual_tables import build_annual_tables

            for workbook in build_annual_tables(source, room.annual_dir(folder), [period]):
                click.echo(f"质量年报数据表：{workbook.path}（{workbook.values} 个数值，{workbook.missing} 个数据不足）")
    except ValueError as error:
        raise click.ClickException(str(error)) from error


@main.command("ingest")
@click.option("--warehouse", type=click.Path(path_type=Path), required=True,
              help="DuckDB 数据仓库文件")
@click.option("--url", "urls", multiple=True, metavar="SOURCE=URL",
              help="业务系统连接：jw=postgresql+psycopg2://…、hr=sqlite:///…、xg=csv:///导出目录")
@click.option("--state-path", type=click.Path(path_type=Path), default=None,
              help="状态数据平台工作簿目录（<年份>.xlsx）")
@click.option("--plan-path", type=click.Path(path_type=Path), default=None,
              help="质量办目标任务与个体目标工作簿目录（tasks-<年份>.xlsx、targets-<学年>.xlsx）")
@click.option("--source", "sources", multiple=True, help="只加载这些数据源（默认全部）")
@click.option("--batch-size", type=int, default=None, help="每批读取行数")
@click.option("--fast-path", type=click.Choice(["auto", "off"]), default=None,
              help="auto：用 DuckDB 扫描器快速读取；off：只用 SQLAlchemy")
@click.option("--progress/--no-progress", default=True, help="大表显示进度条")
def ingest_by_hand(warehouse: Path, urls: tuple[str, ...], state_path: Path | None,
                   plan_path: Path | None, sources: tuple[str, ...], batch_size: int | None,
                   fast_path: str | None, progress: bool) -> None:
    """加载业务系统与状态数据平台的数据到数据仓库（raw_* 与 meta.*）。"""
    source_urls = {}
    for item in urls:
        name, sep, url = item.partition("=")
        if not sep:
            from ingest.connectors.urls import shown
            raise click.BadParameter(f"应为 数据源=连接串，得到 {shown(item)!r}", param_hint="--url")
        source_urls[name] = url
    from ingest import format_load_summary, load_config, run_ingest

    config = load_config()
    if batch_size:
        config = dataclasses.replace(config, batch_size=batch_size)
    if fast_path:
        config = config.with_fast_path(fast_path)
    chosen = list(sources) or [name for name, spec in config.sources.items()
                               if (spec.kind == "xlsx" or name in source_urls
                                   or (spec.kind == "plan" and plan_path is not None))]
    if any(config.sources[s].kind == "xlsx" for s in chosen if s in config.sources) \
            and state_path is None:
        raise click.BadParameter("加载状态数据平台需要 --state-path", param_hint="--state-path")
    run_id = f"manual-{datetime.now():%Y%m%d-%H%M%S}"
    try:
        results = run_ingest(warehouse, source_urls, state_path, run_id=run_id,
                             sources=chosen, progress=progress, config=config, plan_path=plan_path)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    click.echo(format_load_summary(results))
    click.echo(f"  批次号：{run_id}")
    if any(r.status != "ok" for r in results):
        raise SystemExit(1)


main.add_command(warnings)
main.add_command(sql)


@main.command(help="首次夜间运行前检查配置：各数据源（连接、合同中的表）、工作簿目录、SMTP（只握手不发信）、"
                   "BI 数据库、Dagster 实例目录与调度时区。有问题时说明原因，退出码为 1。")
def doctor() -> None:
    from zhengai.doctor import PROBLEM, run_checks
    from zhengai.settings import load_env_file

    env_file = load_env_file()
    click.echo(f"zhengai 配置检查（环境变量{'与 ' + str(env_file) if env_file else '；未找到 .env 文件，用默认值与环境变量'}）")
    findings = run_checks(Settings.from_env())
    for finding in findings:
        click.echo(finding.line())
    problems = [f for f in findings if f.mark == PROBLEM]
    if problems:
        click.echo(f"发现 {len(problems)} 个问题，请按上面的说明修改 .env 或相应系统后再运行 zhengai doctor。")
        raise SystemExit(1)
    click.echo("配置检查通过。")


@main.command(help="备份不能从源系统重建的状态：预警台账、Dagster 实例目录（运行记录、调度与传感器游标）和 .env。"
                   "SQLite 文件用在线备份复制，守护进程与界面可以不停。")
@click.option("--to", "to", type=click.Path(path_type=Path), required=True, metavar="DIR",
              help="备份目录（在其中新建 zhengai-backup-<时间>/）")
def backup(to: Path) -> None:
    import os

    from zhengai.backup import backup as make_backup

    settings = Settings.from_env()
    home = os.environ.get("DAGSTER_HOME")
    env_file = load_env_file()
    try:
        report = make_backup(to, settings.ledger, Path(home) if home else None, env_file)
    except FileNotFoundError as error:
        raise click.ClickException(f"备份失败：{error}") from error
    click.echo(f"已备份 {len(report.files)} 个文件（{report.bytes / 1e6:.1f} MB）到 {report.folder}"
               + ("" if home else "；未设置 DAGSTER_HOME，运行记录未备份"))

if __name__ == "__main__":
    main()
