"""The reports room's entry points: where each output goes and which drafts the calendar asks for.

`ZHENGAI_REPORTS` holds `site/` (the static report site), `drafts/<school year>/<layer>/`
(诊改报告 drafts, .docx) and `annual/` (质量年报 data tables, .xlsx). The nightly build makes
the site and the annual tables every night and the drafts of the layers whose report is being
prepared (registry `report_calendar`: from `prepare_from_month` to `due_month`); `zhengai report`
makes any of them on demand.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from serving.report_data import CalendarEntry
from serving.site.links import default_base_url


def reports_folder(settings) -> Path:
    """ZHENGAI_REPORTS, or `reports/` beside the warehouse."""
    return settings.reports or settings.warehouse.parent / "reports"


def site_dir(reports: Path) -> Path:
    return Path(reports) / "site"


def drafts_dir(reports: Path) -> Path:
    return Path(reports) / "drafts"


def annual_dir(reports: Path) -> Path:
    return Path(reports) / "annual"


def site_base_url(reports: Path, base_url: str | None) -> str:
    """The configured base URL of the site, or a file:// URL of its folder."""
    return base_url or default_base_url(site_dir(reports))


def report_period(today: date) -> str:
    """The school year a report due in today's calendar year covers: the one ending that summer
    (an August report closes it, a December report looks back on it)."""
    return f"{today.year - 1}-{today.year}"


def in_window(entry: CalendarEntry, month: int) -> bool:
    """Whether `month` lies from prepare_from_month to due_month (a window may run over the new year)."""
    start, end = entry.prepare_from_month, entry.due_month
    return start <= month <= end if start <= end else month >= start or month <= end


def due_reports(calendar: list[CalendarEntry], today: date) -> list[CalendarEntry]:
    return [entry for entry in calendar if in_window(entry, today.month)]
