"""The school's clock. Every time the product records or shows is school-local time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

SCHOOL_TIMEZONE_NAME = "Asia/Shanghai"
SCHOOL_TIMEZONE = ZoneInfo(SCHOOL_TIMEZONE_NAME)


def school_now() -> datetime:
    """Now on the school's wall clock, as the ledger and the load audit record it."""
    return datetime.now(SCHOOL_TIMEZONE).replace(tzinfo=None)
