"""The warnings ledger: one row per (control point, entity, period) past its warning value.

A SQLite file apart from the warehouse, so the history of warnings survives rebuilds.
Lifecycle: 新预警 → 已通知 → 已确认 → 已解除. `revision` grows each time a warning opens or
gets worse; a notification records the revision it told a recipient about, so the same
change is never sent twice and a failed send stays pending. Reminders (still open after
`remind_after_days`) and the escalation to the quality office (open past
`escalate_after_days`) are notifications too, so they also go out once.

History is not news: a warning whose period ended before the dispatch policy's `notify_from`
is recorded as baseline (`baseline = 1`) the night it is first seen, never told to the
departments, and summarised once to the quality office (a 'baseline' notification). A new
installation on a school with years of data so records its past without flooding every office.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from zhengai.clock import parse_school_time, school_stamp, school_time

if TYPE_CHECKING:
    from expectations.registry import DispatchPolicy
    from expectations.suites import CheckOutcome

NEW = "新预警"
NOTIFIED = "已通知"
ACKNOWLEDGED = "已确认"
RESOLVED = "已解除"
OPEN_STATES = (NEW, NOTIFIED, ACKNOWLEDGED)
RECOVERED = "指标恢复"
# How a warning was closed: the indicator recovered, or a person closed it with a note.
CLOSED_BY_RECOVERY = "recovered"
CLOSED_BY_NOTE = "note"
NOTIFICATION_KINDS = ("new", "worse", "resolved", "reminder", "escalation", "baseline")
# Bump when the schema changes; a newer ledger file is refused instead of half-read, an older
# one is brought up to date (MIGRATIONS).
LEDGER_VERSION = 3

SCHEMA = f"""
create table if not exists warnings (
    id integer primary key,
    indicator_code text not null,
    entity_id text not null,
    period text not null,
    entity_name text,
    unit_id text,
    unit_name text,
    owner_department_code text,
    direction text not null check (direction in ('higher', 'lower')),
    first_seen text not null,
    opened_at text not null,  -- start of the current episode (first_seen, or the reopening)
    last_seen text not null,
    first_value real,
    last_value real,
    worst_value real,
    warning_value real,
    state text not null check (state in ('{NEW}', '{NOTIFIED}', '{ACKNOWLEDGED}', '{RESOLVED}')),
    acknowledged_at text,
    resolved_at text,
    resolution text,
    resolution_kind text check (resolution_kind in ('{CLOSED_BY_RECOVERY}', '{CLOSED_BY_NOTE}')),
    revision integer not null default 1,
    opened_revision integer not null default 1,
    baseline integer not null default 0,  -- 1: history older than notify_from, summarised to the quality office only
    acknowledged_by text,  -- who acknowledged it (zhengai warnings ack --by)
    resolved_by text,  -- who closed it by hand (zhengai warnings resolve --by)
    unique (indicator_code, entity_id, period)
);
create table if not exists evaluations (
    warning_id integer not null references warnings (id),
    evaluated_at text not null,
    value real,
    primary key (warning_id, evaluated_at)
);
{{notifications}}
"""
NOTIFICATIONS_SCHEMA = f"""
create table if not exists notifications (
    id integer primary key,
    warning_id integer not null references warnings (id),
    recipient text not null,
    kind text not null check (kind in {NOTIFICATION_KINDS}),
    revision integer not null,
    round integer not null default 0,  -- the n-th reminder of a revision; 0 for other kinds
    sent_at text not null,
    message_id text not null,
    unique (warning_id, recipient, kind, revision, round)
);
create index if not exists notifications_by_warning on notifications (warning_id, recipient);
"""
SCHEMA = SCHEMA.replace("{notifications}", NOTIFICATIONS_SCHEMA)
# From version n to n + 1. SQLite cannot alter a check constraint: the notifications table is rebuilt.
MIGRATIONS = {
    2: "alter table warnings add column baseline integer not null default 0;"
       "alter table warnings add column acknowledged_by text;"
       "alter table warnings add column resolved_by text;"
       "alter table notifications rename to notifications_v2;"
       "drop index if exists notifications_by_warning;"
       + NOTIFICATIONS_SCHEMA
       + "insert into notifications select * from notifications_v2; drop table notifications_v2;",
}

WarningKey = tuple[str, str, str]  # indicator_code, entity_id, period


@dataclass
class LedgerChanges:
    new: list[WarningKey] = field(default_factory=list)  # opened, or reopened after a recovery
    worsened: list[WarningKey] = field(default_factory=list)
    resolved: list[WarningKey] = field(default_factory=list)
    unchanged: list[WarningKey] = field(default_factory=list)
    baseline: list[WarningKey] = field(default_factory=list)  # first seen, but history: not news


@dataclass(frozen=True)
class WarningRow:
    id: int
    indicator_code: str
    entity_id: str
    period: str
    entity_name: str | None
    unit_id: str | None
    unit_name: str | None
    owner_department_code: str | None
    direction: str
    first_seen: str
    opened_at: str
    last_seen: str
    first_value: float | None
    last_value: float | None
    worst_value: float | None
    warning_value: float | None
    state: str
    acknowledged_at: str | None
    resolved_at: str | None
    resolution: str | None
    resolution_kind: str | None
    revision: int
    opened_revision: int
    baseline: int = 0
    acknowledged_by: str | None = None
    resolved_by: str | None = None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def days_open(self, now: datetime) -> int:
        """Whole days since the current episode opened (until its resolution, if closed)."""
        end = parse_school_time(self.resolved_at) if self.resolved_at and not self.is_open else school_time(now)
        return max((end - parse_school_time(self.opened_at)).days, 0)


@dataclass(frozen=True)
class PendingChange:
    """One change of one warning that one recipient has not been told about yet."""

    warning: WarningRow
    recipient: str
    kind: str  # one of NOTIFICATION_KINDS
    round: int = 0  # which reminder this is (1, 2, …); 0 for the other kinds


class LedgerVersionError(RuntimeError):
    """The ledger file was written by another version of zhengai."""


@contextmanager
def open_ledger(ledger: Path) -> Iterator[sqlite3.Connection]:
    Path(ledger).parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(str(ledger), timeout=30)) as connection:
        connection.row_factory = sqlite3.Row
        connection.execute("pragma foreign_keys = on")
        version = connection.execute("pragma user_version").fetchone()[0]
        has_tables = connection.execute("select count(*) from sqlite_master where name = 'warnings'").fetchone()[0]
        if has_tables and version != LEDGER_VERSION:
            _migrate(connection, ledger, version)
        if not has_tables:
            connection.executescript(SCHEMA)
            connection.execute(f"pragma user_version = {LEDGER_VERSION}")
        yield connection


# A sum taken in another order (DuckDB aggregates in parallel) differs in the last bits from
# one build to the next: only a change beyond this relative margin makes a warning worse.
WORSE_MARGIN = 1e-9


def _is_worse(value: float, than: float | None, direction: str) -> bool:
    if than is None:
        return True
    margin = WORSE_MARGIN * max(1.0, abs(than))
    return value < than - margin if direction == "higher" else value > than + margin


def _migrate(connection: sqlite3.Connection, ledger: Path, version: int) -> None:
    """Bring an older ledger up to LEDGER_VERSION in one transaction; refuse a newer or unknown one."""
    if version not in MIGRATIONS and version != LEDGER_VERSION:
        raise LedgerVersionError(f"预警台账 {ledger} 的版本为 {version}，本程序需要版本 {LEDGER_VERSION}")
    steps = []
    while version != LEDGER_VERSION:
        if version not in MIGRATIONS:
            raise LedgerVersionError(f"预警台账 {ledger} 的版本为 {version}，无法升级到版本 {LEDGER_VERSION}")
        steps.append(MIGRATIONS[version])
        version += 1
    connection.execute("pragma foreign_keys = off")
    connection.executescript("begin;" + "".join(steps) + f"pragma user_version = {LEDGER_VERSION}; commit;")
    connection.execute("pragma foreign_keys = on")


def _row(record: sqlite3.Row) -> WarningRow:
    return WarningRow(**{key: record[key] for key in record.keys()})


def update_ledger(
    ledger: Path, outcomes: list[CheckOutcome], now: datetime, *, is_history: Callable[[str], bool] | None = None
) -> LedgerChanges:
    """Record this run's failing entities and resolve what recovered, in one transaction.

    `is_history(period)` (alerting.periods.history_rule of the policy's notify_from) marks a
    warning first seen for a past period as baseline."""
    changes = LedgerChanges()
    stamp = school_stamp(now)
    with open_ledger(ledger) as connection, connection:
        for outcome in outcomes:
            _apply_outcome(connection, outcome, stamp, changes, is_history)
    return changes


def _apply_outcome(
    connection: sqlite3.Connection,
    outcome: CheckOutcome,
    stamp: str,
    changes: LedgerChanges,
    is_history: Callable[[str], bool] | None,
) -> None:
    existing = {
        (record["entity_id"], record["period"]): record
        for record in connection.execute("select * from warnings where indicator_code = ?", (outcome.code,))
    }
    failing_keys: set[tuple[str, str]] = set()
    for item in outcome.failing:
        entity_key = (item["entity_id"], item["period"])
        failing_keys.add(entity_key)
        key = (outcome.code, *entity_key)
        value = item["value"]
        # the row's own warning value: an entity's own target (个体目标) may be stricter
        warning_value = item.get("warning_value", outcome.warning_value)
        record = existing.get(entity_key)
        details = (item.get("entity_name"), item.get("unit_id"), item.get("unit_name"), outcome.owner_department_code)
        if record is None:
            baseline = bool(is_history and is_history(item["period"]))
            warning_id = connection.execute(
                """
                insert into warnings (indicator_code, entity_id, period, entity_name, unit_id, unit_name,
                    owner_department_code, direction, first_seen, opened_at, last_seen, first_value, last_value,
                    worst_value, warning_value, state, baseline)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                (*key, *details, outcome.direction, stamp, stamp, stamp, value, value, value, warning_value, NEW,
                 int(baseline)),
            ).lastrowid
            (changes.baseline if baseline else changes.new).append(key)
        elif record["state"] == RESOLVED and record["resolution_kind"] == CLOSED_BY_NOTE and not _is_worse(
            value, record["worst_value"], record["direction"]
        ):
            # Closed by hand with a note: the department has dealt with it. A past period keeps
            # its value for ever, so only a worse value may reopen it.
            warning_id = record["id"]
            connection.execute(
                "update warnings set last_seen = ?, last_value = ? where id = ?", (stamp, value, warning_id)
            )
            changes.unchanged.append(key)
        elif record["state"] == RESOLVED:
            # Failing again after a recovery (or worse than when closed by hand): a new episode.
            warning_id = record["id"]
            connection.execute(
                """
                update warnings set entity_name = ?, unit_id = ?, unit_name = ?, owner_department_code = ?,
                    opened_at = ?, last_seen = ?, last_value = ?, worst_value = ?, warning_value = ?, state = ?,
                    acknowledged_at = null, resolved_at = null, resolution = null, resolution_kind = null,
                    revision = revision + 1, opened_revision = revision + 1
                where id = ?
                """,
                (*details, stamp, stamp, value, value, warning_value, NEW, warning_id),
            )
            changes.new.append(key)
        else:
            warning_id = record["id"]
            worse = _is_worse(value, record["worst_value"], record["direction"])
            connection.execute(
                f"""
                update warnings set entity_name = ?, unit_id = ?, unit_name = ?, owner_department_code = ?,
                    last_seen = ?, last_value = ?, warning_value = ?
                    {", worst_value = ?, revision = revision + 1" if worse else ""}
                where id = ?
                """,
                (*details, stamp, value, warning_value, *((value,) if worse else ()), warning_id),
            )
            (changes.worsened if worse else changes.unchanged).append(key)
        connection.execute(
            "insert or ignore into evaluations (warning_id, evaluated_at, value) values (?, ?, ?)",
            (warning_id, stamp, value),
        )
    # Resolve only what was judged this run: a missing layer or 数据不足 proves no recovery.
    for entity_key, record in existing.items():
        if record["state"] not in OPEN_STATES or entity_key in failing_keys:
            continue
        if entity_key not in outcome.evaluated_values:
            continue
        value = outcome.evaluated_values[entity_key]
        connection.execute(
            """
            update warnings set state = ?, resolved_at = ?, resolution = ?, resolution_kind = ?, last_seen = ?,
                last_value = ?
            where id = ?
            """,
            (RESOLVED, stamp, RECOVERED, CLOSED_BY_RECOVERY, stamp, value, record["id"]),
        )
        connection.execute(
            "insert or ignore into evaluations (warning_id, evaluated_at, value) values (?, ?, ?)",
            (record["id"], stamp, value),
        )
        changes.resolved.append((outcome.code, *entity_key))


def acknowledge_warning(ledger: Path, warning_id: int, now: datetime, by: str) -> None:
    """The responsible department has seen the warning and is acting on it; `by` says who."""
    if not by.strip():
        raise ValueError("确认预警必须写明确认人")
    with open_ledger(ledger) as connection, connection:
        updated = connection.execute(
            "update warnings set state = ?, acknowledged_at = ?, acknowledged_by = ? where id = ? and state in (?, ?)",
            (ACKNOWLEDGED, school_stamp(now), by.strip(), warning_id, NEW, NOTIFIED),
        ).rowcount
    if not updated:
        raise ValueError(f"预警 {warning_id} 不存在或不处于待确认状态")


def resolve_warning(ledger: Path, warning_id: int, note: str, now: datetime, by: str) -> None:
    """Close a warning by hand, with the department's note (the improvement made) and who closed it."""
    if not note.strip():
        raise ValueError("手工解除预警必须填写说明")
    if not by.strip():
        raise ValueError("手工解除预警必须写明解除人")
    with open_ledger(ledger) as connection, connection:
        updated = connection.execute(
            f"""
            update warnings set state = ?, resolved_at = ?, resolution = ?, resolution_kind = ?, resolved_by = ?
            where id = ? and state in {OPEN_STATES}
            """,
            (RESOLVED, school_stamp(now), note.strip(), CLOSED_BY_NOTE, by.strip(), warning_id),
        ).rowcount
    if not updated:
        raise ValueError(f"预警 {warning_id} 不存在或已解除")


def load_warnings(ledger: Path) -> list[WarningRow]:
    with open_ledger(ledger) as connection:
        return [_row(record) for record in connection.execute("select * from warnings order by id")]


def find_warnings(
    ledger: Path,
    *,
    states: Iterable[str] | None = None,
    department_code: str | None = None,
    indicator_code: str | None = None,
    period: str | None = None,
) -> list[WarningRow]:
    """Warnings by state, control point, period and department (the owner or the entity's unit)."""
    conditions, parameters = [], []
    if states is not None:
        states = list(states)
        conditions.append(f"state in ({', '.join('?' for _ in states)})")
        parameters += states
    if department_code:
        conditions.append("(owner_department_code = ? or unit_id = ?)")
        parameters += [department_code, department_code]
    if indicator_code:
        conditions.append("indicator_code = ?")
        parameters.append(indicator_code)
    if period:
        conditions.append("period = ?")
        parameters.append(period)
    where = f"where {' and '.join(conditions)}" if conditions else ""
    with open_ledger(ledger) as connection:
        return [
            _row(record)
            for record in connection.execute(
                f"select * from warnings {where} order by indicator_code, period, entity_id", parameters
            )
        ]


# Warnings that may have something to tell: open ones, and closed ones whose closing some
# recipient that heard of the opening has not been told yet.
_EPISODE = "n.warning_id = w.id and n.revision >= w.opened_revision"
_CANDIDATES_SQL = f"""
    select w.* from warnings as w
    where w.state in {OPEN_STATES}
       or exists (select 1 from notifications as n where {_EPISODE} and n.kind in ('new', 'worse')
                  and not exists (select 1 from notifications as r
                                  where r.warning_id = n.warning_id and r.recipient = n.recipient
                                    and r.kind = 'resolved' and r.revision >= w.opened_revision))
"""


def _candidates(connection: sqlite3.Connection) -> tuple[list[WarningRow], dict[int, list[sqlite3.Row]]]:
    """Candidate warnings and the notifications of their current episode, by warning id."""
    candidates = [
        _row(record)
        for record in connection.execute(f"{_CANDIDATES_SQL} order by w.indicator_code, w.period, w.entity_id")
    ]
    told: dict[int, list[sqlite3.Row]] = {}
    for record in connection.execute(f"select n.* from ({_CANDIDATES_SQL}) as w join notifications as n on {_EPISODE}"):
        told.setdefault(record["warning_id"], []).append(record)
    return candidates, told


def _pending_kind(
    warning: WarningRow, told: list[sqlite3.Row], now: datetime | None, policy: DispatchPolicy | None
) -> tuple[str, int] | None:
    """What one recipient still has to hear about one warning, given what they were told."""
    opened = [record["revision"] for record in told if record["kind"] in ("new", "worse")]
    if not warning.is_open:
        if opened and not any(record["kind"] == "resolved" for record in told):
            return "resolved", 0
        return None
    if not opened:
        return "new", 0
    if max(opened) < warning.revision:
        return "worse", 0
    if policy is None or now is None:
        return None
    # Unchanged open warnings are not repeated every night: only once they have gone
    # `remind_after_days` without news to this recipient.
    last_told = max(parse_school_time(r["sent_at"]) for r in told if r["kind"] in ("new", "worse", "reminder"))
    if school_time(now) - last_told >= timedelta(days=policy.remind_after_days):
        reminders = [r["round"] for r in told if r["kind"] == "reminder" and r["revision"] == warning.revision]
        return "reminder", max(reminders, default=0) + 1
    return None


def _escalation_due(warning: WarningRow, told: list[sqlite3.Row], now: datetime | None, policy: DispatchPolicy | None) -> bool:
    if policy is None or now is None or not warning.is_open:
        return False
    if any(record["kind"] == "escalation" for record in told):
        return False  # once per episode
    return school_time(now) - parse_school_time(warning.opened_at) >= timedelta(days=policy.escalate_after_days)


def _baseline_told(connection: sqlite3.Connection) -> set[int]:
    """Baseline warnings the quality office has had in a summary (once, whatever the revision)."""
    return {row[0] for row in connection.execute("select distinct warning_id from notifications where kind = 'baseline'")}


def pending_changes(
    ledger: Path,
    route: Callable[[WarningRow], list[str]],
    now: datetime | None = None,
    policy: DispatchPolicy | None = None,
    escalate_to: str | None = None,
    baseline_to: str | None = None,
) -> list[PendingChange]:
    """What each recipient has not been told yet.

    `route(warning)` gives the addresses that hear about a warning. Per recipient, within
    the current episode (notifications since the warning last opened): open and never told
    → 'new'; told an older revision → 'worse'; resolved after being told → 'resolved';
    open and not told anything for `remind_after_days` → 'reminder'. A warning open for
    `escalate_after_days` is escalated once to `escalate_to` (the quality office).
    Without `now` and `policy` there are no reminders and no escalations. A baseline warning
    goes to nobody but `baseline_to` (the quality office), once: 'baseline'.
    """
    with open_ledger(ledger) as connection:
        candidates, told = _candidates(connection)
        summarised = _baseline_told(connection)
    pending = []
    for warning in candidates:
        if warning.baseline:
            if baseline_to and warning.is_open and warning.id not in summarised:
                pending.append(PendingChange(warning, baseline_to, "baseline"))
            continue
        episode = told.get(warning.id, [])
        for recipient in route(warning):
            found = _pending_kind(warning, [r for r in episode if r["recipient"] == recipient], now, policy)
            if found:
                pending.append(PendingChange(warning, recipient, *found))
        if escalate_to and _escalation_due(warning, episode, now, policy):
            pending.append(PendingChange(warning, escalate_to, "escalation"))
    return pending


def pending_summary(ledger: Path, now: datetime, policy: DispatchPolicy | None) -> list[tuple[int, str, int, int]]:
    """(warning id, kind, revision, round) of every change some recipient is due, without routing.

    For a sensor deciding whether a dispatch is worth launching: it reads only the ledger.
    Recipients never told at all show as 'new' only while nobody has been told.
    """
    with open_ledger(ledger) as connection:
        candidates, told = _candidates(connection)
        summarised = _baseline_told(connection)
    due: set[tuple[int, str, int, int]] = set()
    for warning in candidates:
        if warning.baseline:
            if warning.is_open and warning.id not in summarised:
                due.add((warning.id, "baseline", warning.revision, 0))
            continue
        episode = told.get(warning.id, [])
        recipients = {record["recipient"] for record in episode if record["kind"] != "escalation"}
        if warning.is_open and not recipients:
            due.add((warning.id, "new", warning.revision, 0))
        for recipient in recipients:
            found = _pending_kind(warning, [r for r in episode if r["recipient"] == recipient], now, policy)
            if found:
                due.add((warning.id, found[0], warning.revision, found[1]))
        if _escalation_due(warning, episode, now, policy):
            due.add((warning.id, "escalation", warning.revision, 0))
    return sorted(due)


def mark_notified(ledger: Path, changes: list[PendingChange], message_id: str, now: datetime) -> None:
    """Record a delivered digest: its changes are told, new warnings become 已通知."""
    stamp = school_stamp(now)
    with open_ledger(ledger) as connection, connection:
        connection.executemany(
            """
            insert or ignore into notifications (warning_id, recipient, kind, revision, round, sent_at, message_id)
            values (?, ?, ?, ?, ?, ?, ?)
            """,
            [
                (change.warning.id, change.recipient, change.kind, change.warning.revision, change.round, stamp, message_id)
                for change in changes
            ],
        )
        connection.executemany(
            "update warnings set state = ? where id = ? and state = ?",
            [(NOTIFIED, change.warning.id, NEW) for change in changes if change.kind in ("new", "worse", "baseline")],
        )
