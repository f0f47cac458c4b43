"""`zhengai doctor`: check the configuration before the first nightly run.

Every configured source (connect, and every table of its contract present), the state and
plan workbook folders, the SMTP server (connect and EHLO, no mail sent), the BI database
`zhengai publish` writes to, the Dagster home, and the schedule's time zone. Each finding is
one Chinese line saying what is wrong and what to do; a problem makes the exit status 1.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from zhengai.database_errors import explain
from zhengai.settings import Settings, dagster_home

TIMEOUT_SECONDS = 10
OK, NOTE, PROBLEM = "✓", "·", "✗"


@dataclass(frozen=True)
class Finding:
    mark: str  # OK, NOTE or PROBLEM
    subject: str
    text: str

    def line(self) -> str:
        return f"  {self.mark} {self.subject}：{self.text}"


def _redacted(url: str) -> str:
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


def _missing(expected: list[str], present: set[str]) -> list[str]:
    lower = {name.lower() for name in present}
    return [name for name in expected if name.lower() not in lower]


def check_relational_source(name: str, label: str, url: str, tables: list[str]) -> Finding:
    subject = f"{label}（{name}）"
    if url.startswith("csv://"):
        folder = Path(url.split("://", 1)[1].split("?", 1)[0])
        if not folder.is_dir():
            return Finding(PROBLEM, subject, f"导出目录 {folder} 不存在")
        missing = _missing(tables, {p.stem for p in folder.glob("*.csv")})
        if missing:
            return Finding(PROBLEM, subject, f"导出目录 {folder} 缺少 {len(missing)} 个表文件：{'、'.join(f + '.csv' for f in missing)}")
        return Finding(OK, subject, f"导出目录 {folder}，合同中的 {len(tables)} 张表都在")
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        return Finding(PROBLEM, subject, f"连接地址格式不对：{url!r}（应为 SQLAlchemy 地址，如 mysql+pymysql://用户:密码@主机:3306/库名）")
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists():
        return Finding(PROBLEM, subject, f"SQLite 文件 {parsed.database} 不存在")
    connect_args = {} if parsed.get_backend_name() in ("sqlite", "oracle", "mssql") else {"connect_timeout": TIMEOUT_SECONDS}
    try:
        engine = sa.create_engine(url, connect_args=connect_args)
    except Exception as error:  # a driver that is not installed, an unknown dialect
        return Finding(PROBLEM, subject, f"无法使用连接地址 {_redacted(url)}：{error}")
    try:
        with engine.connect() as connection:
            present = set(sa.inspect(connection).get_table_names()) | set(sa.inspect(connection).get_view_names())
    except Exception as error:
        return Finding(PROBLEM, subject, explain(url, error))
    finally:
        engine.dispose()
    missing = _missing(tables, present)
    if missing:
        return Finding(PROBLEM, subject, f"已连接 {_redacted(url)}，但缺少合同（ingest/sources.yml）中的 {len(missing)} 张表：{'、'.join(missing)}")
    return Finding(OK, subject, f"已连接 {_redacted(url)}，合同中的 {len(tables)} 张表都在")


def check_state_workbooks(label: str, folder: Path) -> Finding:
    from ingest.connectors.workbook import workbooks

    subject = f"{label}工作簿目录"
    if not folder.is_dir():
        return Finding(PROBLEM, subject, f"{folder} 不存在（ZHENGAI_STATE_PATH）")
    found = workbooks(folder)
    if not found:
        return Finding(PROBLEM, subject, f"{folder} 中没有 <采集年份>.xlsx 工作簿")
    return Finding(OK, subject, f"{folder}：{len(found)} 个工作簿（{'、'.join(str(year) for year in sorted(found))}）")


def check_plan_workbooks(folder: Path) -> Finding:
    subject = "目标任务与个体目标工作簿目录"
    if not folder.is_dir():
        return Finding(NOTE, subject, f"{folder} 不存在：不加载计划工作簿，已有的计划数据保持不变（ZHENGAI_PLAN_PATH）")
    books = sorted(p.name for p in folder.glob("*.xlsx"))
    return Finding(OK, subject, f"{folder}：{len(books)} 个工作簿" + (f"（{'、'.join(books)}）" if books else ""))


def check_smtp(url: str | None, outbox: Path) -> Finding:
    from alerting.delivery import parse_smtp_url

    subject = "SMTP 邮件服务器"
    if not url:
        return Finding(NOTE, subject, f"未配置（ZHENGAI_SMTP_URL 为空）：预警邮件写入 {outbox}，不发送")
    try:
        smtp = parse_smtp_url(url)
    except ValueError as error:
        return Finding(PROBLEM, subject, str(error))
    where = f"{smtp.host}:{smtp.port}"
    try:
        if smtp.security == "ssl":
            connection = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context())
        else:
            connection = smtplib.SMTP(smtp.host, smtp.port, timeout=TIMEOUT_SECONDS)
        with connection:
            code, _ = connection.ehlo()
            if code != 250:
                return Finding(PROBLEM, subject, f"{where} 不接受 EHLO（应答 {code}）")
            if smtp.security == "starttls":
                connection.starttls(context=ssl.create_default_context())
                connection.ehlo()
            if smtp.username:
                connection.login(smtp.username, smtp.password or "")
    except smtplib.SMTPAuthenticationError:
        return Finding(PROBLEM, subject, f"{where} 拒绝了用户 {smtp.username} 的登录：用户名或密码错误")
    except (OSError, smtplib.SMTPException) as error:
        return Finding(PROBLEM, subject, f"无法连接 {where}：{error or type(error).__name__}（服务器地址、端口、防火墙或加密方式有误）")
    sender = f"，发件人 {smtp.sender}" if smtp.sender else "（未给出发件人：在地址后加 ?from=zhengai@学校域名）"
    return Finding(OK, subject, f"{where} 可连接（EHLO{'、登录' if smtp.username else ''}成功，未发送邮件）{sender}")


def check_publish_database(url: str | None) -> Finding:
    import psycopg2

    from serving.publish import libpq_url

    subject = "BI 数据库（zhengai publish）"
    if not url:
        return Finding(NOTE, subject, "未配置 ZHENGAI_PUBLISH_URL：发布时用 zhengai publish --to 指定")
    try:
        connection = psycopg2.connect(libpq_url(url), connect_timeout=TIMEOUT_SECONDS)
    except ValueError as error:
        return Finding(PROBLEM, subject, str(error))
    except psycopg2.Error as error:
        return Finding(PROBLEM, subject, explain(url, error))
    with connection:
        version = connection.server_version
    connection.close()
    return Finding(OK, subject, f"已连接 {_redacted(url)}（PostgreSQL {version // 10000}）")


def check_output_folders(settings: Settings) -> Finding:
    subject = "数据仓库与台账目录"
    folders = sorted({settings.warehouse.parent, settings.ledger.parent})
    for folder in folders:
        existing = next((p for p in [folder, *folder.parents] if p.exists()), None)
        if existing is None or not os.access(existing, os.W_OK):
            return Finding(PROBLEM, subject, f"{folder} 不可写（数据仓库 ZHENGAI_WAREHOUSE、台账 ZHENGAI_LEDGER 所在目录）")
    return Finding(OK, subject, f"数据仓库 {settings.warehouse}，台账 {settings.ledger}")


def check_dagster_home() -> Finding:
    subject = "Dagster 实例目录（DAGSTER_HOME）"
    home = dagster_home()
    given = "" if os.environ.get("DAGSTER_HOME") else "（未设置 DAGSTER_HOME，用数据目录下的默认目录）"
    if not home.is_absolute() and os.environ.get("DAGSTER_HOME"):
        return Finding(PROBLEM, subject, f"{home} 须为绝对路径")
    if not (home / "dagster.yaml").is_file():
        return Finding(PROBLEM, subject, f"{home}{given} 中没有 dagster.yaml：运行 make install，或复制 orchestration/dagster.yaml 过去")
    return Finding(OK, subject, f"{home}{given}")


def check_schedule_timezone() -> Finding:
    from orchestration.schedules import SyncSchedule

    subject = "调度时区"
    try:
        schedule = SyncSchedule.load()
    except (OSError, ValueError, KeyError) as error:
        return Finding(PROBLEM, subject, f"orchestration/sync_schedule.yml 有误：{error}")
    name = schedule.timezone
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return Finding(PROBLEM, subject, f"本机找不到时区 {name}：安装 tzdata（apt-get install tzdata）")
    from dagster._utils.schedules import cron_string_iterator

    now = datetime.now(zone)
    next_run = next(cron_string_iterator(now.timestamp(), schedule.nightly_cron, name))
    local = next_run.astimezone()
    host = f"，即本机时间 {local:%Y-%m-%d %H:%M} {local.tzname()}" if local.utcoffset() != next_run.utcoffset() else ""
    return Finding(OK, subject, f"夜间同步按 {name} 时间运行（cron {schedule.nightly_cron}），"
                                f"下次 {next_run:%Y-%m-%d %H:%M}{host}；当天同步 cron {schedule.same_day_cron}")


def run_checks(settings: Settings) -> list[Finding]:
    from ingest.config import load_config

    config = load_config()
    findings = []
    for name, spec in config.sources.items():
        if spec.kind == "xlsx":
            findings.append(check_state_workbooks(spec.description, settings.state_path))
        elif spec.kind == "plan":
            findings.append(check_plan_workbooks(settings.plan_path))
        elif name in settings.source_urls:
            findings.append(check_relational_source(name, spec.description, settings.source_urls[name],
                                                    [table.name for table in spec.tables]))
        else:
            findings.append(Finding(PROBLEM, f"{spec.description}（{name}）", f"没有配置连接地址（ZHENGAI_{name.upper()}_URL）"))
    findings.append(check_smtp(settings.smtp_url, settings.outbox))
    findings.append(check_publish_database(settings.publish_url))
    findings.append(check_output_folders(settings))
    findings.append(check_dagster_home())
    findings.append(check_schedule_timezone())
    return findings
