"""`zhengai warnings list | ack | resolve | report`: the people's side of the warnings ledger.

Reads the ledger and the registry seeds only (plus the term calendar for the report), so it
works while the warehouse is being rebuilt. Registered in cli.py with `main.add_command(warnings)`.
"""

import difflib
import getpass
from pathlib import Path

import click

from alerting.improvement import format_report, improvement_report, latest_school_year, load_terms, report_workbook
from alerting.ledger import ACKNOWLEDGED, NEW, NOTIFIED, OPEN_STATES, RESOLVED, acknowledge_warning, find_warnings, resolve_warning
from expectations.registry import Department, load_departments_csv, load_registry_csv
from zhengai.clock import school_now
from zhengai.periods import period_kind
from zhengai.settings import REGISTRY_DIR, Settings

STATE_CHOICES = {"open": OPEN_STATES, "all": None, NEW: (NEW,), NOTIFIED: (NOTIFIED,), ACKNOWLEDGED: (ACKNOWLEDGED,), RESOLVED: (RESOLVED,)}
NEAR_MATCHES = 3
NEAR_CUTOFF = 0.6  # 机电学院 → 机电工程学院 (0.8), not every other 学院 (0.5)


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container): --by must be given
        return ""


def department_code_for(text: str, departments: list[Department]) -> str:
    """The code of the department named or coded exactly `text`; otherwise a Chinese error that
    lists the nearest names and codes (a person's typing is not guessed at)."""
    wanted = text.strip()
    for department in departments:
        if wanted in (department.department_code, department.name_zh):
            return department.department_code
    names = {department.name_zh: department for department in departments}
    near = [names[name] for name in difflib.get_close_matches(wanted, list(names), n=NEAR_MATCHES, cutoff=NEAR_CUTOFF)]
    near += [d for d in departments if d not in near and (wanted in d.name_zh or d.name_zh in wanted)]
    hint = "、".join(f"{d.department_code} {d.name_zh}" for d in near[:NEAR_MATCHES])
    message = f"没有代码或名称为“{wanted}”的部门。"
    raise click.ClickException(message + (f"相近的部门：{hint}" if hint else "部门代码与名称见 dbt_project/seeds/departments.csv"))


@click.group(name="warnings", help="预警台账：查看、确认、解除预警，输出改进闭环报告。")
def warnings() -> None:
    pass


@warnings.command("list", help="列出预警（默认只列未解除的）。")
@click.option("--state", type=click.Choice(list(STATE_CHOICES)), default="open", show_default=True,
              help="open 未解除 / all 全部 / 某一状态")
@click.option("--department", default=None, help="部门代码或名称（如 101 或 机电工程学院）：责任部门或实体所属单位")
@click.option("--indicator", "indicator_code", default=None, help="质控点代码，如 STU_ABSENT_PERIODS")
@click.option("--period", default=None, help="期间，如 2024-2025-1、2024-10")
def list_warnings(state: str, department: str | None, indicator_code: str | None, period: str | None) -> None:
    settings = Settings.from_env()
    points = {p.code: p for p in load_registry_csv(REGISTRY_DIR / "quality_control_points.csv")}
    registered = load_departments_csv(REGISTRY_DIR / "departments.csv")
    departments = {d.department_code: d.name_zh for d in registered}
    department_code = department_code_for(department, registered) if department else None
    rows = find_warnings(
        settings.ledger, states=STATE_CHOICES[state], department_code=department_code,
        indicator_code=indicator_code, period=period,
    )
    if not rows:
        click.echo("没有符合条件的预警。")
        return
    now = school_now()
    click.echo("编号 | 质控点 | 周期 | 实体 | 当前值 | 预警值 | 状态 | 首次发现 | 持续天数 | 责任部门 | 说明 | 经办人")
    for warning in rows:
        point = points.get(warning.indicator_code)
        name = f"{point.name_zh}（{warning.indicator_code}）" if point else warning.indicator_code
        entity = f"{warning.entity_id} {warning.entity_name or ''}".strip()
        handled = "；".join(part for part in (
            f"确认 {warning.acknowledged_by}" if warning.acknowledged_by else "",
            f"解除 {warning.resolved_by}" if warning.resolved_by else "",
        ) if part)
        click.echo(" | ".join([
            str(warning.id), name, warning.period, entity, _number(warning.last_value), _number(warning.warning_value),
            warning.state + ("（历史基线）" if warning.baseline else ""), warning.first_seen[:10], str(warning.days_open(now)),
            departments.get(warning.owner_department_code or "", warning.owner_department_code or ""),
            warning.resolution or "", handled,
        ]))
    click.echo(f"共 {len(rows)} 条。")


BY_HELP = "经办人姓名，记入台账（默认为当前操作系统用户）"


def _who(by: str | None) -> str:
    who = (by if by is not None else _os_user()).strip()
    if not who:
        raise click.UsageError("请用 --by 写明经办人姓名")
    return who


@warnings.command("ack", help="确认预警：责任部门已知悉并在处理。")
@click.argument("warning_ids", nargs=-1, type=int, required=True)
@click.option("--by", default=None, help=BY_HELP)
def ack(warning_ids: tuple[int, ...], by: str | None) -> None:
    settings = Settings.from_env()
    who = _who(by)
    now = school_now()
    for warning_id in warning_ids:
        try:
            acknowledge_warning(settings.ledger, warning_id, now, who)
        except ValueError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"预警 {warning_id} 已确认（确认人 {who}）。")


@warnings.command("resolve", help="手工关闭预警，并填写改进说明。")
@click.argument("warning_id", type=int)
@click.option("--note", required=True, help="改进说明：做了什么、结果如何")
@click.option("--by", default=None, help=BY_HELP)
def resolve(warning_id: int, note: str, by: str | None) -> None:
    settings = Settings.from_env()
    who = _who(by)
    try:
        resolve_warning(settings.ledger, warning_id, note, school_now(), who)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"预警 {warning_id} 已解除（{note.strip()}，解除人 {who}）。收件人将在下次分发时收到解除通知。")


@warnings.command("report", help="改进闭环报告：按责任部门和二级学院统计发出、确认、恢复解除、说明关闭、未解除与解除用时中位数。")
@click.option("--period", default=None,
              help="学年 2024-2025（含其学期、月份与毕业年份）、学期 2024-2025-1、月份 2024-10 或毕业年份 2025；默认为台账中最近的学年")
@click.option("--out", "out_path", type=click.Path(path_type=Path), default=None, help="另存为 .xlsx（含按二级学院、按质控点明细）")
def report(period: str | None, out_path: Path | None) -> None:
    settings = Settings.from_env()
    terms = load_terms(settings.warehouse)
    if period is None:
        period = latest_school_year(settings.ledger, terms)
        if period is None:
            click.echo("台账中还没有预警。")
            return
        click.echo(f"未指定 --period，按台账中最近的学年 {period} 统计。")
    department_rows, college_rows, indicator_rows = improvement_report(
        settings.ledger,
        period,
        load_departments_csv(REGISTRY_DIR / "departments.csv"),
        load_registry_csv(REGISTRY_DIR / "quality_control_points.csv"),
        terms,
    )
    click.echo(format_report(period, department_rows, college_rows))
    if not terms and period_kind(period) == "term":
        click.echo("注意：未能读取学期日历（core.dim_term），月度预警未按学期归入本报告。")
    if out_path is not None:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_bytes(report_workbook(period, department_rows, indicator_rows, college_rows))
        click.echo(f"报告已写入 {out_path}")
