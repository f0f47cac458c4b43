"""`zhengai warnings list | ack | resolve | report`: the people's side of the warnings ledger.

Reads the ledger and the registry seeds only (plus the term calendar for the report), so it
works while the warehouse is being rebuilt. Registered in cli.py with `main.add_command(warnings)`.
"""

from pathlib import Path

import click

from alerting.improvement import format_report, improvement_report, load_terms, report_workbook
from alerting.ledger import ACKNOWLEDGED, NEW, NOTIFIED, OPEN_STATES, RESOLVED, acknowledge_warning, find_warnings, resolve_warning
from expectations.registry import load_departments_csv, load_registry_csv
from zhengai.clock import school_now
from zhengai.settings import REGISTRY_DIR, Settings

STATE_CHOICES = {"open": OPEN_STATES, "all": None, NEW: (NEW,), NOTIFIED: (NOTIFIED,), ACKNOWLEDGED: (ACKNOWLEDGED,), RESOLVED: (RESOLVED,)}


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")


@click.group(name="warnings", help="预警台账：查看、确认、解除预警，输出改进闭环报告。")
def warnings() -> None:
    pass


@warnings.command("list", help="列出预警（默认只列未解除的）。")
@click.option("--state", type=click.Choice(list(STATE_CHOICES)), default="open", show_default=True,
              help="open 未解除 / all 全部 / 某一状态")
@click.option("--department", "department_code", default=None, help="部门代码：责任部门或实体所属单位")
@click.option("--indicator", "indicator_code", default=None, help="质控点代码，如 STU_ABSENT_PERIODS")
@click.option("--period", default=None, help="期间，如 2024-2025-1、2024-10")
def list_warnings(state: str, department_code: str | None, indicator_code: str | None, period: str | None) -> None:
    settings = Settings.from_env()
    points = {p.code: p for p in load_registry_csv(REGISTRY_DIR / "quality_control_points.csv")}
    departments = {d.department_code: d.name_zh for d in load_departments_csv(REGISTRY_DIR / "departments.csv")}
    rows = find_warnings(
        settings.ledger, states=STATE_CHOICES[state], department_code=department_code,
        indicator_code=indicator_code, period=period,
    )
    if not rows:
        click.echo("没有符合条件的预警。")
        return
    now = school_now()
    click.echo("编号 | 质控点 | 周期 | 实体 | 当前值 | 预警值 | 状态 | 首次发现 | 持续天数 | 责任部门 | 说明")
    for warning in rows:
        point = points.get(warning.indicator_code)
        name = f"{point.name_zh}（{warning.indicator_code}）" if point else warning.indicator_code
        entity = f"{warning.entity_id} {warning.entity_name or ''}".strip()
        click.echo(" | ".join([
            str(warning.id), name, warning.period, entity, _number(warning.last_value), _number(warning.warning_value),
            warning.state, warning.first_seen[:10], str(warning.days_open(now)),
            departments.get(warning.owner_department_code or "", warning.owner_department_code or ""),
            warning.resolution or "",
        ]))
    click.echo(f"共 {len(rows)} 条。")


@warnings.command("ack", help="确认预警：责任部门已知悉并在处理。")
@click.argument("warning_ids", nargs=-1, type=int, required=True)
def ack(warning_ids: tuple[int, ...]) -> None:
    settings = Settings.from_env()
    now = school_now()
    for warning_id in warning_ids:
        try:
            acknowledge_warning(settings.ledger, warning_id, now)
        except ValueError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"预警 {warning_id} 已确认。")


@warnings.command("resolve", help="手工关闭预警，并填写改进说明。")
@click.argument("warning_id", type=int)
@click.option("--note", required=True, help="改进说明：做了什么、结果如何")
def resolve(warning_id: int, note: str) -> None:
    settings = Settings.from_env()
    try:
        resolve_warning(settings.ledger, warning_id, note, school_now())
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"预警 {warning_id} 已解除（{note.strip()}）。收件人将在下次分发时收到解除通知。")


@warnings.command("report", help="改进闭环报告：按部门统计发出、确认、恢复解除、说明关闭、未解除与解除用时中位数。")
@click.option("--period", required=True, help="学期 2024-2025-1、学年 2024-2025、月份 2024-10 或毕业年份 2025")
@click.option("--out", "out_path", type=click.Path(path_type=Path), default=None, help="另存为 .xlsx（含按质控点明细）")
def report(period: str, out_path: Path | None) -> None:
    settings = Settings.from_env()
    terms = load_terms(settings.warehouse)
    department_rows, indicator_rows = improvement_report(
        settings.ledger,
        period,
        load_departments_csv(REGISTRY_DIR / "departments.csv"),
        load_registry_csv(REGISTRY_DIR / "quality_control_points.csv"),
        terms,
    )
    click.echo(format_report(period, department_rows))
    if not terms:
        click.echo("注意：未能读取学期日历（core.dim_term），月度预警未按学期归入本报告。")
    if out_path is not None:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_bytes(report_workbook(period, department_rows, indicator_rows))
        click.echo(f"报告已写入 {out_path}")
