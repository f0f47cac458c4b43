"""Send every recipient what it has not been told yet: one digest per recipient per run.

Recipients come from alerting.routing. Warnings open past the policy's limits are reminded
and escalated to the quality office. The ledger is marked only after a digest was written
or accepted by the server.

The one window where a change can be told twice: the SMTP server accepted a digest and the
process died (or lost the server's reply) before the ledger recorded it. The next dispatch
sends the same digest again with the same Message-ID, so mail systems can drop the copy.
"""

from __future__ import annotations

import fcntl
import re
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterator

from alerting.delivery import DeliveryError, deliver, parse_smtp_url, server_unavailable
from alerting.context import load_entity_context
from alerting.digest import DigestContact, DigestLine, compose_digest, deadlines
from alerting.ledger import OPEN_STATES, CLOSED_BY_NOTE, PendingChange, WarningRow, find_warnings, mark_notified, pending_changes
from expectations.registry import (
    DATA_CENTER_ROLE,
    QUALITY_OFFICE_ROLE,
    ControlPoint,
    Department,
    DispatchPolicy,
    RegistryError,
    department_with_role,
    load_departments,
    load_dispatch_policy,
    load_registry,
)
from alerting.routing import STUDENT_ENTITY, Router, load_counsellors
from serving.site.links import page_url
from zhengai.clock import parse_school_time, school_time


@dataclass
class SentEmail:
    recipient: str
    department_code: str  # the recipient key: a department_code or counsellor:<staff id>
    subject: str
    path: str | None  # the .eml file when written to the outbox
    message_id: str
    count: int  # warning changes in this digest
    kinds: dict[str, int] = field(default_factory=dict)  # new / worse / resolved / reminder / escalation


@dataclass
class Fallback:
    department_code: str  # who the warnings were meant for: a department_code or counsellor:<staff id>
    department_name: str
    routed_to: str  # department_code of the quality office
    count: int
    reason: str


@dataclass
class DispatchReport:
    emails: list[SentEmail] = field(default_factory=list)
    warnings_per_department: dict[str, int] = field(default_factory=dict)  # by recipient key
    fallbacks: list[Fallback] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)  # recipient, department_code, error

    @property
    def pending(self) -> int:
        """Changes that could not be delivered and wait for the next dispatch."""
        return sum(int(failure.get("count", 0)) for failure in self.failures)


def _default_sender(departments: list[Department]) -> str:
    """E-mails come from the data center that runs the platform (the quality office if unset)."""
    for role in (DATA_CENTER_ROLE, QUALITY_OFFICE_ROLE):
        try:
            department = department_with_role(departments, role)
        except RegistryError:
            continue
        if department.email:
            return department.email
    raise RegistryError("无法确定发件人：SMTP 地址未给出 from，角色为 data_center 或 quality_office 的部门也未配置邮箱")


def _digest_line(
    warning: WarningRow,
    kind: str,
    point: ControlPoint | None,
    now: datetime,
    owner_name: str,
    forwarded_from: str = "",
    round: int = 0,
    page_base_url: str | None = None,
    policy: DispatchPolicy | None = None,
    context: dict[tuple[str, str], str] | None = None,
) -> DigestLine:
    respond_by, resolve_by = (
        deadlines(warning.opened_at, policy.remind_after_days, policy.escalate_after_days) if policy else (None, None)
    )
    return DigestLine(
        warning_id=warning.id,
        kind=kind,
        revision=warning.revision,
        code=warning.indicator_code,
        name_zh=point.name_zh if point else warning.indicator_code,
        entity_type=point.entity_type if point else "",
        measure_unit=point.unit if point else "",
        direction=warning.direction,
        period=warning.period,
        entity_id=warning.entity_id,
        entity_name=warning.entity_name or "",
        unit_name=warning.unit_name or "",
        value=warning.last_value,
        warning_value=warning.warning_value,
        first_seen=warning.first_seen,
        forwarded_from=forwarded_from,
        state=warning.state,
        days_open=warning.days_open(now),
        owner_name=owner_name,
        resolution=warning.resolution or "",
        closed_by_note=warning.resolution_kind == CLOSED_BY_NOTE,
        worst_value=warning.worst_value,
        round=round,
        page_url=page_url(page_base_url, point.entity_type, warning.entity_id) if page_base_url and point else "",
        action=point.action_zh if point else "",
        decimals=point.decimals if point else None,
        context=(context or {}).get((point.entity_type, warning.entity_id), "") if point else "",
        opened_on=parse_school_time(warning.opened_at).date(),
        respond_by=respond_by,
        resolve_by=resolve_by,
    )


def _file_stem(now: datetime, key: str) -> str:
    return f"{now:%Y%m%dT%H%M%S}_{re.sub(r'[^0-9A-Za-z_-]+', '_', key)}"


@contextmanager
def _dispatch_lock(ledger: Path) -> Iterator[None]:
    """One dispatch at a time per ledger: two at once would both send the same pending change."""
    lock_path = Path(ledger).with_name(Path(ledger).name + ".dispatch.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released by the OS even if this process dies
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _student_entities(ledger: Path, points: dict[str, ControlPoint]) -> list[str]:
    codes = {code for code, point in points.items() if point.to_unit and point.entity_type == STUDENT_ENTITY}
    return sorted({warning.entity_id for warning in find_warnings(ledger) if warning.indicator_code in codes})


def dispatch_warnings(
    warehouse: Path,
    ledger: Path,
    outbox: Path,
    smtp_url: str | None,
    now: datetime,
    *,
    policy: DispatchPolicy | None = None,
    retries: int = 3,
    backoff_seconds: float = 2.0,
    page_base_url: str | None = None,
) -> DispatchReport:
    """Send each recipient one digest of what it has not been told (new, worse, resolved,
    reminders, escalations); `now` is injected for tests (a naive one is school-local time)."""
    now = school_time(now)
    points = {point.code: point for point in load_registry(warehouse)}
    departments = load_departments(warehouse)
    policy = policy or load_dispatch_policy(warehouse)
    settings = parse_smtp_url(smtp_url) if smtp_url else None
    sender = (settings.sender if settings else None) or _default_sender(departments)

    with _dispatch_lock(ledger):
        router = Router(points, departments, load_counsellors(warehouse, _student_entities(ledger, points)))

        def owner_name(warning: WarningRow) -> str:
            point = points.get(warning.indicator_code)
            return router.name_of(point.owner_department_code if point else warning.owner_department_code or "")

        by_recipient: dict[str, list[PendingChange]] = defaultdict(list)
        office = router.quality_office
        for change in pending_changes(ledger, router, now, policy, escalate_to=office.email, baseline_to=office.email):
            by_recipient[change.recipient].append(change)
        open_by_recipient: dict[str, list[WarningRow]] = defaultdict(list)
        for warning in find_warnings(ledger, states=OPEN_STATES):
            if warning.baseline:  # history: in the quality office's summary, not in every office's list
                continue
            for address in router(warning):
                open_by_recipient[address].append(warning)

        told = [change.warning for changes in by_recipient.values() for change in changes]
        listed = [warning for warnings in open_by_recipient.values() for warning in warnings]
        context = load_entity_context(warehouse, {
            (points[w.indicator_code].entity_type, w.entity_id) for w in told + listed if w.indicator_code in points
        })
        contact = DigestContact(office.contact or office.name_zh, office.email)

        report = DispatchReport()
        fallback_counts: Counter[str] = Counter()
        server_down: str | None = None  # once the server is unreachable, the rest wait for the next dispatch
        for address in sorted(by_recipient, key=lambda address: router.recipient(address).key):
            changes = by_recipient[address]
            recipient = router.recipient(address)
            if server_down is not None:
                report.failures.append(
                    {"recipient": address, "department_code": recipient.key, "error": f"未尝试：{server_down}", "count": str(len(changes))}
                )
                continue
            lines = []
            for change in changes:
                forwarded = router.forwarded_from(change.warning.id, address) if change.kind not in ("escalation", "baseline") else []
                fallback_counts.update(forwarded)
                point = points.get(change.warning.indicator_code)
                lines.append(
                    _digest_line(change.warning, change.kind, point, now, owner_name(change.warning),
                                 "、".join(map(router.name_of, forwarded)), change.round, page_base_url, policy, context)
                )
            open_list = [
                _digest_line(warning, "open", points.get(warning.indicator_code), now, owner_name(warning),
                             policy=policy, context=context)
                for warning in open_by_recipient.get(address, [])
            ]
            message = compose_digest(address, sender, recipient.name, lines, now, open_list, contact)
            try:
                path = deliver(message, outbox, settings, _file_stem(now, recipient.key), retries=retries, backoff_seconds=backoff_seconds)
            except (DeliveryError, OSError) as error:
                report.failures.append(
                    {"recipient": address, "department_code": recipient.key, "error": str(error), "count": str(len(changes))}
                )
                if settings is not None and server_unavailable(error):
                    server_down = f"SMTP 服务器 {settings.host}:{settings.port} 不可用（{error}）"
                continue
            mark_notified(ledger, changes, message["Message-ID"], now)
            kinds = dict(Counter(change.kind for change in changes))
            report.emails.append(
                SentEmail(address, recipient.key, message["Subject"], str(path) if path else None, message["Message-ID"], len(changes), kinds)
            )
            report.warnings_per_department[recipient.key] = len(changes)
    report.fallbacks = [
        Fallback(key, router.name_of(key), router.quality_office.department_code, count, router.fallback_reasons.get(key, ""))
        for key, count in sorted(fallback_counts.items())
    ]
    return report
