"""What the period texts of the marts mean in dates, and which school year each belongs to.

Periods come in four kinds (docs/indicators.md): months `2024-10`, terms `2024-2025-1`
(autumn) and `2024-2025-2` (spring), school years `2024-2025` and graduation (or survey)
years `2025`. A term's dates come from the term calendar (core.dim_term) when it is known;
otherwise autumn runs September to January and spring February to August. A school year runs
1 September to 31 August; graduation year Y is the school year ending in Y.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
TERM = re.compile(r"^(\d{4})-(\d{4})-([12])$")
SCHOOL_YEAR = re.compile(r"^(\d{4})-(\d{4})$")
YEAR = re.compile(r"^(\d{4})$")
DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
KIND_LABELS = {"month": "月", "term": "学期", "school_year": "学年", "graduation_year": "毕业年份"}

Terms = dict[str, tuple[date, date]]  # term name → (first, last day), from core.dim_term


def period_kind(period: str) -> str | None:
    if MONTH.match(period) and 1 <= int(period[5:7]) <= 12:
        return "month"
    if TERM.match(period):
        return "term"
    if SCHOOL_YEAR.match(period) and int(period[5:9]) == int(period[:4]) + 1:
        return "school_year"
    if YEAR.match(period):
        return "graduation_year"
    return None


def _school_year_bounds(first_year: int) -> tuple[date, date]:
    return date(first_year, 9, 1), date(first_year + 1, 8, 31)


def period_bounds(period: str, terms: Terms | None = None) -> tuple[date, date] | None:
    """(first, last day) of a period, or None for a text that is no period."""
    kind = period_kind(period)
    if kind == "month":
        first = date(int(period[:4]), int(period[5:7]), 1)
        return first, (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    if kind == "term":
        if terms and period in terms:
            return terms[period]
        first_year, half = int(period[:4]), period[-1]
        return (date(first_year, 9, 1), date(first_year + 1, 1, 31)) if half == "1" else (date(first_year + 1, 2, 1), date(first_year + 1, 8, 31))
    if kind == "school_year":
        return _school_year_bounds(int(period[:4]))
    if kind == "graduation_year":
        return _school_year_bounds(int(period) - 1)
    return None


def school_year_of(period: str, terms: Terms | None = None) -> str | None:
    """The school year `YYYY-YYYY` a period falls in (a graduation year: the one it ends)."""
    bounds = period_bounds(period, terms)
    if bounds is None:
        return None
    last = bounds[1]
    first_year = last.year if last.month >= 9 else last.year - 1
    return f"{first_year}-{first_year + 1}"


def start_of(text: str, terms: Terms | None = None) -> date | None:
    """The first day of a period, or the date itself for `YYYY-MM-DD`; None when it is neither."""
    day = DAY.match(text)
    if day:
        return date(int(day[1]), int(day[2]), int(day[3]))
    bounds = period_bounds(text, terms)
    return bounds[0] if bounds else None


def history_rule(notify_from: str, terms: Terms | None = None):
    """A test `period → bool`: the period ended before `notify_from` began (history, the baseline).
    None when no start is configured: every period is news."""
    if not notify_from:
        return None
    cutoff = start_of(notify_from, terms)
    if cutoff is None:
        raise ValueError(f"起始期间 {notify_from!r} 不是月份、学期、学年、毕业年份或日期")

    def is_history(period: str) -> bool:
        bounds = period_bounds(period, terms)
        return bounds is not None and bounds[1] < cutoff  # an unknown period text is never hidden

    return is_history
