"""Alerts for the data center engineers (a failed run, failed data-quality checks).

Sent to the department with role `data_center` through the same delivery as the digests:
SMTP when configured, otherwise the outbox. An alert that cannot be sent over SMTP is
still written to the outbox, so it is never lost, and the error is raised.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from alerting.delivery import DeliveryError, deliver, parse_smtp_url, write_to_outbox
from expectations.registry import DATA_CENTER_ROLE, QUALITY_OFFICE_ROLE, Department, RegistryError, department_with_role
from zhengai.clock import school_time


@dataclass(frozen=True)
class AlertResult:
    recipient: str
    department_code: str
    subject: str
    path: str | None  # the .eml file when written to the outbox
    note: str  # why it went elsewhere than the data center, if it did


def _alert_recipient(departments: list[Department]) -> tuple[Department, str]:
    data_center = department_with_role(departments, DATA_CENTER_ROLE)
    if data_center.email:
        return data_center, ""
    quality_office = department_with_role(departments, QUALITY_OFFICE_ROLE)
    if not quality_office.email:
        raise RegistryError("角色为 data_center 和 quality_office 的部门都没有配置邮箱，无法发送运行告警")
    return quality_office, f"{data_center.name_zh}未配置邮箱，本告警转发{quality_office.name_zh}。"


def send_alert(
    departments: list[Department],
    subject: str,
    body: str,
    key: str,
    smtp_url: str | None,
    outbox: Path,
    now: datetime,
    *,
    retries: int = 2,
    backoff_seconds: float = 1.0,
) -> AlertResult:
    """E-mail the data center engineers; `key` (a run id …) makes the Message-ID and file name stable."""
    now = school_time(now)
    department, note = _alert_recipient(departments)
    settings = parse_smtp_url(smtp_url) if smtp_url else None
    sender = (settings.sender if settings else None) or department.email
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = department.email
    message["Date"] = format_datetime(now)
    digest = hashlib.sha256(f"{department.email.lower()}|{key}".encode()).hexdigest()[:32]
    message["Message-ID"] = f"<zhengai.alert.{digest}@{sender.rsplit('@', 1)[-1]}>"
    body = hide_passwords(body)  # an error text may quote a source's URL
    message.set_content(f"{department.name_zh}：\n\n{note + chr(10) if note else ''}{body.rstrip()}\n\n此邮件由诊改数据平台（zhengai）自动发送。\n")
    file_stem = f"{now:%Y%m%dT%H%M%S}_alert_{digest[:12]}"
    try:
        path = deliver(message, outbox, settings, file_stem, retries=retries, backoff_seconds=backoff_seconds)
    except DeliveryError as error:
        kept = write_to_outbox(message, outbox, file_stem)
        raise DeliveryError(f"{error}；告警已保存到 {kept}") from error
    return AlertResult(department.email, department.department_code, subject, str(path) if path else None, note)


# user:password@ in any URL-like text (scheme://user:password@host)
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:)[^\s@]+@")


def hide_passwords(text: str) -> str:
    """The text with the password of every URL in it replaced by ***."""
    return _URL_PASSWORD.sub(lambda match: f"{match['head']}***@", text)


# Why a record was left out or quarantined, in the engineers' words; an unknown code is shown as is.
REASONS_ZH = {
    "missing_record_id": "缺主键",
    "missing_student_number": "缺学号",
    "duplicate_student_number": "学号重复",
    "student_not_in_register": "学籍中无此学生",
    "teaching_class_not_found": "无此教学班",
    "missing_staff_id": "缺工号",
    "missing_date": "缺日期或日期无法识别",
    "missing_graduation_year": "缺毕业年份",
    "unknown_status": "状态代码无法识别",
    "unknown_term": "学期无法识别",
    "unknown_exam_type": "考试性质无法识别",
    "unknown_kind": "类别无法识别",
    "unknown_destination_type": "去向类型无法识别",
    "missing_check_in_id": "缺考勤记录ID",
    "session_not_found": "无此上课记录",
    "session_without_term": "上课记录的教学班无学期",
    "session_without_date": "上课记录无日期",
    "missing_period": "指标值缺期间",
    "missing_entity": "指标值缺实体",
    "duplicate_value": "同一实体同一期间有多个值",
    "null_key": "主键为空",
    "bad_type": "值与约定类型不符",
    "null_required": "必填列为空",
    "code_not_allowed": "代码超出约定",
    "duplicate_key": "主键重复",
    "out_of_range": "数值超出约定范围",
    "future_dated": "时间晚于本次运行",
}


def _finding_line(row: dict) -> str:
    keys = [str(key) for key in row.get("sample_keys") or []]
    more = " 等" if row["records"] > len(keys) else ""
    reason = row["reason"]
    line = (f"  - 表 {row['source_table']}，主键 {row.get('key_column') or '（无）'}，列 {row.get('column_name') or '（整行）'}："
            f"{REASONS_ZH.get(reason, reason)}（{reason}）{row['records']} 条；键值 {'、'.join(keys) or '（空）'}{more}")
    if row.get("detail"):
        line += f"；例：{row['detail']}"
    return line


def _check_line(check: dict) -> str:
    line = f"  - {check['asset']} · {check['check']}（{check['severity']}）"
    if check.get("column"):
        line += f"，列 {check['column']}"
    if check.get("failed_rows") is not None:
        line += f"，{check['failed_rows']} 行未通过"
    if check.get("error"):
        line += f"：{check['error']}"
    return line


def data_quality_alert_text(job_name: str, run_id: str, unjudged: list[dict], quarantined: list[dict],
                            failed_checks: list[dict], deleted: list[dict] | None = None) -> tuple[str, str]:
    """Subject and body of the alert for a finished run with data-quality findings: each
    finding by source table, key and column with its count, the rows quarantined tonight,
    the rows found deleted in a source, and the other checks that did not pass."""
    deleted = deleted or []
    unjudged_total = sum(row["records"] for row in unjudged)
    quarantined_total = sum(row["records"] for row in quarantined)
    lines = [f"夜间同步 {run_id} 已完成：质控点检查、预警台账、预警邮件、分析快照和报告照常进行，"
             "有问题的数据已被排除或隔离，不影响其他数据。以下数据需要数据中心处理。", ""]
    if unjudged:
        lines += [f"一、未能判定的记录 {unjudged_total} 条（已排除在指标之外，明细见 data_quality.dq_unjudged_records）：",
                  *[_finding_line(row) for row in unjudged], ""]
    if quarantined:
        lines += [f"二、本次隔离的行 {quarantined_total} 条（未入库，明细见 meta.quarantine，run_id = {run_id}）：",
                  *[_finding_line(row) for row in quarantined], ""]
    if deleted:
        lines += ["源系统中已删除的行（原始层保留备查，不再计入核心层与指标，见 meta.load_audit）：",
                  *[f"  - 表 {row['source_table']}，主键 {row.get('key_column') or '（无）'}：源系统已删除 {row['records']} 行"
                    for row in deleted], ""]
    if failed_checks:
        lines += [f"三、未通过的数据检查 {len(failed_checks)} 项（数据测试与加载检查，详见 Dagster 界面该运行的资产检查）：",
                  *[_check_line(check) for check in failed_checks], ""]
    lines.append("改正源系统中的数据后，下一次夜间同步会重新读取并判定这些记录。")
    parts = [f"未能判定 {unjudged_total} 条" if unjudged else "", f"隔离 {quarantined_total} 行" if quarantined else "",
             f"源系统删除 {sum(row['records'] for row in deleted)} 行" if deleted else "",
             f"{len(failed_checks)} 项检查未通过" if failed_checks else ""]
    subject = f"【数据质量】{job_name}：{'，'.join(part for part in parts if part)}"
    return subject, "\n".join(lines)
