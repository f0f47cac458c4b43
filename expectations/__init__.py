"""Expectations built from the control-point registry, the warnings ledger, digest e-mails."""

from expectations.alerts import send_alert
from expectations.dispatch import DispatchReport, dispatch_warnings
from expectations.improvement import improvement_report
from expectations.ledger import (
    LedgerChanges,
    acknowledge_warning,
    find_warnings,
    load_warnings,
    pending_summary,
    resolve_warning,
    update_ledger,
)
from expectations.registry import (
    ControlPoint,
    Department,
    DispatchPolicy,
    load_departments,
    load_departments_csv,
    load_dispatch_policy,
    load_dispatch_policy_csv,
    load_registry,
    load_registry_csv,
)
from expectations.suites import CheckOutcome, status_mismatches, validate_control_points

__all__ = [
    "CheckOutcome",
    "ControlPoint",
    "Department",
    "DispatchPolicy",
    "DispatchReport",
    "LedgerChanges",
    "acknowledge_warning",
    "dispatch_warnings",
    "find_warnings",
    "improvement_report",
    "load_departments",
    "load_departments_csv",
    "load_dispatch_policy",
    "load_dispatch_policy_csv",
    "load_registry",
    "load_registry_csv",
    "load_warnings",
    "pending_summary",
    "resolve_warning",
    "send_alert",
    "status_mismatches",
    "update_ledger",
    "validate_control_points",
]
