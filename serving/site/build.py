"""The static report site: the overview (驾驶舱), one index per layer and one 画像 page per entity.

Plain HTML and inline SVG, one stylesheet and the charts' font subset in `assets/`; no
script, no request to anywhere: it reads the same from disk (file://) as from any intranet
web server. Entities are built one unit (college) at a time so the memory stays flat as
the school grows, and a page whose inputs did not change is neither rendered nor written
(serving.report_files).
"""

from __future__ import annotations

import multiprocessing
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from alerting.ledger import OPEN_STATES, WarningRow
from expectations.registry import ControlPoint
from serving import charts
from serving.report_data import ENTITY_ZH, ReportData, StatusRow
from serving.report_files import ContentWriter, code_version, content_key
from serving.site import fragments
from serving.site.links import page_path

HERE = Path(__file__).resolve().parent
ROOT = "../"  # every entity and index page sits one folder below the site root
NAV = (("school", "学校"), ("major", "专业"), ("course", "课程"), ("staff", "教师"), ("student", "学生"))
ENTITY_LABEL = {  # the entity's own series in a chart
    "student": "本人", "teaching_class": "本班", "staff": "本人", "major": "本专业", "college": "本学院",
    "school": "全校", "course": "课程平均", "department": "本部门",
}
UNIT_COMPARISON = {"student": "学院平均", "teaching_class": "开课学院平均", "staff": "学院平均", "major": "学院平均"}
SCHOOL_COMPARISON = {
    "student": "全校平均", "teaching_class": "全校平均", "staff": "全校平均", "major": "全校平均", "college": "各学院平均",
    "course": "全校平均",
}
TABLE_PERIODS = 6  # the table lists the latest periods; the chart shows them all
PAGE_WHEN_VALUED = ("student", "teaching_class")
DIRECTION_ZH = {"higher": "越高越好", "lower": "越低越好"}
n = charts.number


@dataclass
class SiteReport:
    path: Path
    pages: int = 0
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    seconds: float = 0.0
    by_type: dict[str, int] = field(default_factory=dict)

    @property
    def index(self) -> Path:
        return self.path / "index.html"


class _PageEnvironment(Environment):
    """Jinja2 with `a.b` on a dict looked up as a key first: the pages' views are dicts, and the
    default (attribute first, then key) raises and catches an AttributeError on each of the
    hundreds of lookups a page makes."""

    def getattr(self, obj, attribute):
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def _environment() -> Environment:
    environment = _PageEnvironment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=True, undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
    return environment


def _warning_view(warning: WarningRow, points: dict[str, ControlPoint]) -> dict:
    point = points.get(warning.indicator_code)
    resolution = warning.resolution or ""
    return {
        "id": warning.id,
        "name": point.name_zh if point else warning.indicator_code,
        "period": warning.period,
        "value": n(warning.last_value),
        "worst": n(warning.worst_value),
        "warning_value": n(warning.warning_value),
        "state": warning.state,
        "first_seen": warning.first_seen[:10],
        "resolution": resolution,
    }


class SiteBuilder:
    def __init__(self, data: ReportData, out_dir: Path, workers: int = 1, built_at: str | None = None,
                 shared: dict | None = None):
        self.data = data
        self.workers = workers
        self.out_dir = Path(out_dir)
        self.environment = _environment()
        self.templates = {name: self.environment.get_template(f"{name}.html.j2") for name in ("entity", "overview", "index")}
        self.writer = ContentWriter.open(self.out_dir, site_version())
        self.points = data.control_points
        self.order = {code: index for index, code in enumerate(data.control_points)}  # the registry's order
        if shared is None:  # a worker process gets these from the parent rather than querying again
            shared = {
                "comparisons": data.comparisons(),
                "warnings": data.warnings_by_entity(),
                # Students and teaching classes get a page when they have a value (tens of thousands
                # have none: graduated, not yet taught); every other kind of entity always has one.
                "with_pages": data.entities_with_values(PAGE_WHEN_VALUED),
                "school_name": self._school_name(),
                "built_at": built_at or data.built_at(),
            }
        self.shared = shared
        self.comparisons = shared["comparisons"]
        self.warnings = shared["warnings"]
        self.with_pages = shared["with_pages"]
        self.school_name = shared["school_name"]
        self.built_at = shared["built_at"]
        self.report = SiteReport(self.out_dir)
        self.font_css = "charts-font.css"
        self._pool: ProcessPoolExecutor | None = None
        self._means: dict[tuple, tuple[tuple, tuple]] = {}
        self._pending: list = []

    def _school_name(self) -> str:
        rows = self.data.table(
            "select entity_name from marts.mart_quality__status where entity_type = 'school' and entity_id <> 'ALL' "
            "and entity_name is not null order by period desc limit 1")
        return rows[0]["entity_name"] if rows else "本校"

    # Sections ------------------------------------------------------------------------------
    def sections(self, entity_type: str, rows: list[StatusRow], unit_label: bool = True,
                 by_code: dict[str, list[StatusRow]] | None = None) -> list[dict]:
        """One section per control point: chart, per-period table, comparisons, references."""
        by_code = self._by_code(rows) if by_code is None else by_code
        return [self.section(entity_type, self.points.get(code), code, by_code[code], unit_label)
                for code in sorted(by_code, key=lambda c: self.order.get(c, len(self.order)))]

    @staticmethod
    def _by_code(rows: list[StatusRow]) -> dict[str, list[StatusRow]]:
        """Each control point's rows in period order."""
        by_code: dict[str, list[StatusRow]] = defaultdict(list)
        for row in rows:
            by_code[row.indicator_code].append(row)
        return {code: sorted(series, key=lambda r: r.period) for code, series in by_code.items()}

    def _series_means(self, code: str, series: list[StatusRow]) -> tuple[tuple, tuple]:
        """The unit's and the school's mean for each row of a series. The students of a college share
        their series' periods: looked up once per college and periods, not four times per row."""
        key = (code, tuple(r.period for r in series), tuple(r.unit_id for r in series))
        found = self._means.get(key)
        if found is None:
            found = (tuple(self._mean(code, r.unit_id, r.period) for r in series),
                     tuple(self._mean(code, None, r.period) for r in series))
            if len(self._means) >= 100_000:
                self._means.clear()
            self._means[key] = found
        return found

    def section(self, entity_type: str, point: ControlPoint | None, code: str, series: list[StatusRow],
                unit_label: bool = True) -> dict:
        periods = [r.period for r in series]
        comparisons = []
        if (unit_label and entity_type in UNIT_COMPARISON) or entity_type in SCHOOL_COMPARISON:
            unit_means, school_means = self._series_means(code, series)
            if unit_label and entity_type in UNIT_COMPARISON:
                comparisons.append(charts.Comparison("unit", UNIT_COMPARISON[entity_type], unit_means))
            if entity_type in SCHOOL_COMPARISON:
                comparisons.append(charts.Comparison("school", SCHOOL_COMPARISON[entity_type], school_means))
        references = self.data.references_for(code, periods)
        spec = charts.ChartSpec(
            indicator_code=code,
            unit=point.unit if point else "",
            points=tuple(charts.Point(r.period, r.value, r.status, r.target_value, r.standard_value, r.warning_value)
                         for r in series),
            entity_label=ENTITY_LABEL.get(entity_type, "本值"),
            comparisons=tuple(comparisons),
            references=tuple(charts.Reference(ref.value, ref.label_zh) for ref in references),
        )
        chart = charts.render_svg(spec)
        rows = [
            (r.period, n(r.value), n(r.numerator), n(r.denominator), n(r.target_value), n(r.standard_value),
             n(r.warning_value), r.status, [n(c.values[i]) for c in comparisons])
            for i, r in list(enumerate(series))[::-1][:TABLE_PERIODS]  # newest period first
        ]
        labels = [c.label for c in comparisons]
        html = fragments.card(
            code, point.name_zh if point else code, point.unit if point else "",
            DIRECTION_ZH.get(point.direction, "") if point else "", series[-1].status if series else "", chart.svg,
            labels, rows, max(0, len(series) - TABLE_PERIODS),
            [(r.label_zh, n(r.value), r.period, r.source_zh) for r in references])
        return {"code": code, "comparison_labels": labels, "html": html}

    def has_page(self, entity_type: str, entity_id: str | None) -> bool:
        if not entity_id:
            return False
        return entity_id in self.with_pages[entity_type] if entity_type in self.with_pages else True

    def link(self, text: str, entity_type: str, entity_id: str | None) -> dict | str:
        """A link to an entity's page; plain text when it has none."""
        return {"text": text, "href": page_path(entity_type, entity_id)} if self.has_page(entity_type, entity_id) else text

    def href(self, entity_type: str, entity_id: str | None) -> str | None:
        return page_path(entity_type, entity_id) if self.has_page(entity_type, entity_id) else None

    def _mean(self, code: str, unit_id: str | None, period: str) -> float | None:
        found = self.comparisons.get((code, unit_id, period))
        return found[0] if found else None

    def _warnings(self, entity_type: str, entity_id: str) -> tuple[list[dict], list[dict]]:
        rows = self.warnings.get((entity_type, entity_id), [])
        open_rows = [_warning_view(w, self.points) for w in rows if w.state in OPEN_STATES]
        closed = [_warning_view(w, self.points) for w in rows if w.state not in OPEN_STATES]
        return open_rows, closed

    # Pages ---------------------------------------------------------------------------------
    def entity_page(self, entity_type: str, entity_id: str, name: str, rows: list[StatusRow], *,
                    crumbs: list[tuple[str, str]] = (), facts: list[tuple] = (), related: list[dict] = (),
                    note: str = "", sections: Callable[[], list[dict]] | None = None,
                    type_label: str | None = None) -> None:
        relative = page_path(entity_type, entity_id)
        open_warnings, closed_warnings = self._warnings(entity_type, entity_id)
        by_code = self._by_code(rows)
        key = content_key(entity_type, entity_id, name, rows, crumbs, facts, related, note, type_label,
                          open_warnings, closed_warnings, self.school_name,
                          self._comparison_inputs(rows, by_code), self._reference_key(by_code))
        self.report.pages += 1
        self.report.by_type[entity_type] = self.report.by_type.get(entity_type, 0) + 1
        if self.writer.is_current(relative, key):
            return
        built = sections() if sections else self.sections(entity_type, rows, by_code=by_code)
        html = self.templates["entity"].render(
            **self._common(name), entity_type=entity_type, entity_id=entity_id, name=name,
            type_label=type_label or ENTITY_ZH.get(entity_type, entity_type), crumbs=list(crumbs), facts=list(facts),
            related=fragments.related_tables(related, ROOT), note=note, sections=built, open_warnings=open_warnings,
            closed_warnings=closed_warnings, entity_label=ENTITY_LABEL.get(entity_type, "本值"),
            has_comparisons=any(s["comparison_labels"] for s in built),
        )
        self.writer.write(relative, html, key)

    def _comparison_inputs(self, rows: list[StatusRow], by_code: dict[str, list[StatusRow]] | None = None) -> tuple:
        """The comparison values a page shows, so a change in the unit's or school's mean rebuilds it."""
        by_code = self._by_code(rows) if by_code is None else by_code
        return tuple((code, self._series_means(code, series)) for code, series in by_code.items())

    def _reference_key(self, by_code: dict[str, list[StatusRow]]) -> tuple:
        return tuple((code, tuple(self.data.references.get(code, []))) for code in sorted(by_code))

    def _common(self, title: str, root: str = ROOT) -> dict:
        return {"title": title, "root": root, "school_name": self.school_name, "built_at": self.built_at,
                "nav": NAV, "font_css": self.font_css}

    def run_units(self, build_unit: Callable[["SiteBuilder", str], None], units: list[str]) -> None:
        """Build the pages of each unit, in `workers` processes when there are several: the student
        and teaching-class pages are most of the site, and each process reads only its unit's rows.
        With workers the units are handed over and this returns at once, so this process builds the
        other pages meanwhile; `finish_units` collects what the workers made."""
        if self.workers <= 1 or len(units) <= 1:
            for unit in units:
                build_unit(self, unit)
            return
        if self._pool is None:  # one pool for the whole build: each worker starts (imports, connects) once
            context = multiprocessing.get_context("spawn")  # no fork of a process that may run threads (Dagster)
            arguments = (str(self.data.database), str(self.out_dir), self.shared)
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_start_worker,
                                             initargs=arguments)
        task = (build_unit.__module__, build_unit.__name__)
        self._pending += [self._pool.submit(_run_unit, task, unit) for unit in units]

    def finish_units(self) -> None:
        try:
            for future in self._pending:
                current, written, unchanged, by_type = future.result()
                self.writer.current.update(current)
                self.writer.written += written
                self.writer.unchanged += unchanged
                for entity_type, count in by_type.items():
                    self.report.by_type[entity_type] = self.report.by_type.get(entity_type, 0) + count
                    self.report.pages += count
        finally:
            self._pending = []
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
                self._pool = None

    def write_static(self) -> None:
        css = (HERE / "static" / "site.css").read_text(encoding="utf-8") + "\n" + charts.CHART_CSS + "\n"
        key = content_key(css)
        if not self.writer.is_current("assets/site.css", key):
            self.writer.write("assets/site.css", css, key)
        text = chart_vocabulary(self.data)
        key = content_key("font", charts.glyphs_key(text))
        if not self.writer.is_current(f"assets/{self.font_css}", key):
            self.writer.write(f"assets/{self.font_css}", charts.font_face_css(text), key)

    def index_page(self, folder: str, title: str, blocks: list[dict], intro: str = "") -> None:
        relative = f"{folder}/index.html"
        key = content_key(folder, title, blocks, intro, self.school_name)
        if self.writer.is_current(relative, key):
            return
        html = self.templates["index"].render(**self._common(title), heading=title,
                                              blocks=fragments.related_tables(blocks, ROOT), intro=intro)
        self.writer.write(relative, html, key)


# What the pages read besides the status mart, the registry and the ledger (pages.py's queries).
SITE_TABLES = ("core.dim_department", "core.dim_major", "core.dim_class", "core.dim_student", "core.dim_staff",
               "core.dim_course", "core.dim_teaching_class")
# The ledger's fields a page, an index or the overview shows or counts by (not last_seen, which
# moves every night a warning persists).
SHOWN_WARNING_FIELDS = ("id", "indicator_code", "entity_id", "period", "entity_name", "unit_name",
                        "owner_department_code", "last_value", "worst_value", "warning_value", "state", "first_seen",
                        "resolution")


def site_version() -> str:
    return code_version(HERE / "templates", HERE / "static", Path(charts.__file__), Path(__file__),
                        Path(__file__).with_name("links.py"), Path(__file__).with_name("pages.py"),
                        Path(__file__).with_name("fragments.py"),
                        HERE.parent / "report_data.py")


_WORKER: SiteBuilder | None = None


def _start_worker(database: str, out_dir: str, shared: dict) -> None:
    global _WORKER
    # The ledger's warnings come in `shared`, grouped by entity, as does everything else read once.
    _WORKER = SiteBuilder(ReportData(Path(database)), Path(out_dir), shared=shared)


def _run_unit(task: tuple[str, str], unit: str) -> tuple[dict, int, int, dict]:
    """In a worker: build one unit and hand back what was produced (the parent records the state)."""
    import importlib

    builder = _WORKER
    build_unit = getattr(importlib.import_module(task[0]), task[1])
    builder.writer.current, builder.writer.written, builder.writer.unchanged = {}, 0, 0
    builder.report.by_type = {}
    build_unit(builder, unit)
    return builder.writer.current, builder.writer.written, builder.writer.unchanged, builder.report.by_type


def chart_vocabulary(data: ReportData) -> str:
    """Every character a chart can draw besides digits and Latin letters: the units of the registry,
    the labels of reference figures and of the series. The font subset covers them all, so it does
    not depend on which pages this build happened to render."""
    labels = [*ENTITY_LABEL.values(), *UNIT_COMPARISON.values(), *SCHOOL_COMPARISON.values()]
    labels += [point.unit for point in data.control_points.values()]
    labels += [ref.label_zh for refs in data.references.values() for ref in refs]
    return "".join(labels)


def _status_cell(status: str) -> dict:
    return {"status": status, "href": None, "text": status}


def _latest_by_code(rows: list[StatusRow]) -> dict[str, StatusRow]:
    latest: dict[str, StatusRow] = {}
    for row in rows:
        if row.indicator_code not in latest or row.period > latest[row.indicator_code].period:
            latest[row.indicator_code] = row
    return latest


def build_site(database: Path, ledger: Path | None, out_dir: Path, progress: Callable[[str], None] | None = None,
               workers: int = 2) -> SiteReport:
    """Build (or bring up to date) the whole site from the warehouse or snapshot at `database`."""
    started = time.perf_counter()
    with ReportData(database, ledger) as data:
        inputs = data.fingerprint(SITE_TABLES, SHOWN_WARNING_FIELDS)
        state = ContentWriter.open(Path(out_dir), site_version())
        if state.up_to_date(inputs):  # nothing the site reads changed since the last complete build
            return _unchanged_report(Path(out_dir), state, time.perf_counter() - started)
        builder = SiteBuilder(data, out_dir, workers=workers)
        from serving.site import pages

        try:
            for step in pages.STEPS:
                if progress:
                    progress(step.__name__)
                step(builder)
        finally:
            builder.finish_units()
        builder.write_static()
        builder.writer.inputs = inputs
        builder.writer.finish()
    report = builder.report
    report.written, report.unchanged, report.removed = builder.writer.written, builder.writer.unchanged, builder.writer.removed
    report.seconds = time.perf_counter() - started
    return report


def _unchanged_report(out_dir: Path, state: ContentWriter, seconds: float) -> SiteReport:
    report = SiteReport(out_dir, unchanged=len(state.previous), seconds=seconds)
    for relative in state.previous:
        folder, _, name = relative.partition("/")
        if name and name != "index.html" and folder != "assets":  # an entity's page
            report.pages += 1
            report.by_type[folder] = report.by_type.get(folder, 0) + 1
    return report
