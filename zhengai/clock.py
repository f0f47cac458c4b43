"""The school's clock: every time the product records or shows is an aware time in the
school's time zone (ZHENGAI_TIMEZONE, default Asia/Shanghai), whatever the host's own zone.

A naive time handed in (an older ledger row, a test's fixed moment) is read as the school's
wall-clock time, never as the host's: on a server kept in UTC that would be 8 hours off.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from zhengai.settings import school_timezone_name

SCHOOL_TIMEZONE_NAME = school_timezone_name()


def school_timezone() -> ZoneInfo:
    return ZoneInfo(school_timezone_name())


def school_now() -> datetime:
    """Now on the school's wall clock, aware (the ledger, digests, snapshots record it so)."""
    return datetime.now(school_timezone())


def school_time(moment: datetime) -> datetime:
    """`moment` as an aware school-local time; a naive one is taken as school wall-clock time."""
    zone = school_timezone()
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)


def parse_school_time(text: str) -> datetime:
    """An ISO time as the ledger stores it (with or without an offset), aware."""
    return school_time(datetime.fromisoformat(text))


def school_stamp(moment: datetime) -> str:
    """The ISO text the ledger stores: school-local time with its offset, to the second."""
    return school_time(moment).isoformat(timespec="seconds")
