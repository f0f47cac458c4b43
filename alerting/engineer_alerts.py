"""Alerts for the data center engineers (a failed run, failed data-quality checks).

Sent to the department with role `data_center` through the same delivery as the digests:
SMTP when configured, otherwise the outbox. An alert that cannot be sent over SMTP is
still written to the outbox, so it is never lost, and the error is raised.
"""

from __future__ import annotations

import hashlib
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
    message.set_content(f"{department.name_zh}：\n\n{note + chr(10) if note else ''}{body.rstrip()}\n\n此邮件由诊改数据平台（zhengai）自动发送。\n")
    file_stem = f"{now:%Y%m%dT%H%M%S}_alert_{digest[:12]}"
    try:
        path = deliver(message, outbox, settings, file_stem, retries=retries, backoff_seconds=backoff_seconds)
    except DeliveryError as error:
        kept = write_to_outbox(message, outbox, file_stem)
        raise DeliveryError(f"{error}；告警已保存到 {kept}") from error
    return AlertResult(department.email, department.department_code, subject, str(path) if path else None, note)
