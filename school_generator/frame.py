"""The demo school's calendar: school years, terms, holidays, cohorts.

Days are handled as integers (days since 1970-01-01) so numpy can work on whole
columns of dates at once; `day_strings` turns them back into 'YYYY-MM-DD'.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

AS_OF = date(2025, 8, 31)          # the data are "as of" this day
LAST_SCHOOL_YEAR = 2024            # XNM of the last school year covered
YEARS_OF_STUDY = 3                 # every major is a 3-year 高职 programme

# Public holidays without classes (month, first day, last day); close enough for a demo.
HOLIDAYS = ((10, 1, 7), (1, 1, 1), (4, 4, 6), (5, 1, 5))

EPOCH = date(1970, 1, 1)


def to_day(d: date) -> int:
    return (d - EPOCH).days


def to_date(day: int) -> date:
    return EPOCH + timedelta(days=int(day))


def day_strings(days: np.ndarray) -> np.ndarray:
    """'YYYY-MM-DD' for an array of day numbers."""
    return np.datetime_as_string(np.asarray(days, dtype="int64").astype("datetime64[D]"))


def timestamp_strings(seconds: np.ndarray) -> list[str]:
    """'YYYY-MM-DD HH:MM:SS' for an array of seconds since the epoch (local time)."""
    text = np.datetime_as_string(np.asarray(seconds, dtype="int64").astype("datetime64[s]"))
    chars = text.view(np.uint32).reshape(len(text), -1).copy()
    chars[:, 10] = ord(" ")
    return chars.view(f"<U{chars.shape[1]}").ravel().tolist()


def weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 ... Sunday = 6 (1970-01-01 was a Thursday)."""
    return (np.asarray(days) + 3) % 7


def month_keys(days: np.ndarray) -> np.ndarray:
    """An integer per calendar month (year * 12 + month - 1)."""
    d = np.asarray(days, dtype="int64").astype("datetime64[D]")
    return d.astype("datetime64[M]").astype("int64") + 1970 * 12


def month_label(key: int) -> str:
    return f"{key // 12}-{key % 12 + 1:02d}"


def _first_monday_on_or_after(d: date) -> date:
    return d + timedelta(days=(7 - d.weekday()) % 7)


@dataclass(frozen=True)
class Term:
    xnm: int            # school year start
    number: int         # 1 autumn, 2 spring
    start: date         # first teaching day (a Monday)
    end: date           # last day of the term (Friday of the exam week)

    @property
    def xqm(self) -> str:
        return "3" if self.number == 1 else "12"

    @property
    def name(self) -> str:
        return f"{self.xnm}-{self.xnm + 1}-{self.number}"

    @property
    def teaching_end(self) -> date:
        """Last teaching day: the final week is for exams."""
        return self.end - timedelta(days=7)

    @property
    def start_day(self) -> int:
        return to_day(self.start)

    @property
    def end_day(self) -> int:
        return to_day(self.end)


@dataclass(frozen=True)
class Frame:
    years: int

    @property
    def school_years(self) -> list[int]:
        return list(range(LAST_SCHOOL_YEAR - self.years + 1, LAST_SCHOOL_YEAR + 1))

    @property
    def first_year(self) -> int:
        return self.school_years[0]

    @property
    def as_of(self) -> date:
        return AS_OF

    @property
    def cohorts(self) -> list[int]:
        """In-school cohorts of every covered year, plus the cohort that graduated just
        before the frame (it only has destinations and the follow-up survey)."""
        return list(range(self.first_year - YEARS_OF_STUDY, LAST_SCHOOL_YEAR + 1))

    @property
    def terms(self) -> list[Term]:
        terms = []
        for y in self.school_years:
            t1 = _first_monday_on_or_after(date(y, 9, 1))
            terms.append(Term(y, 1, t1, t1 + timedelta(weeks=19, days=4)))
            t2 = _first_monday_on_or_after(date(y + 1, 2, 20))
            terms.append(Term(y, 2, t2, t2 + timedelta(weeks=18, days=4)))
        return terms

    @staticmethod
    def year_name(xnm: int) -> str:
        return f"{xnm}-{xnm + 1}"

    @staticmethod
    def year_start(xnm: int) -> date:
        return date(xnm, 9, 1)

    @staticmethod
    def entry_date(cohort: int) -> date:
        return date(cohort, 9, 1) + timedelta(days=(5 - date(cohort, 9, 1).weekday()) % 7)

    @staticmethod
    def graduation_date(cohort: int) -> date:
        return date(cohort + YEARS_OF_STUDY, 6, 30)

    @staticmethod
    def semester(cohort: int, term: Term) -> int:
        """1..6 for a cohort in school during the term, otherwise outside that range."""
        return 2 * (term.xnm - cohort) + term.number

    def holiday_days(self) -> np.ndarray:
        days = []
        for y in range(self.first_year - YEARS_OF_STUDY, LAST_SCHOOL_YEAR + 2):
            for month, first, last in HOLIDAYS:
                days.extend(to_day(date(y, month, d)) for d in range(first, last + 1))
        return np.array(sorted(days), dtype=np.int64)
