"""What the reports room reads: judged values, the registry, names and links, the ledger.

Every figure shown in the site, the drafts and the annual tables is a row of
`marts.mart_quality__status` (or a mean of such rows, named as one), so it can be traced
back; the comparisons are computed here once, in SQL, for every page. Read-only: it opens
the warehouse (or the analysts' snapshot, which holds the same schemas) for reading.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from itertools import groupby
from operator import attrgetter
from typing import Iterable, Iterator, NamedTuple

import duckdb

from alerting.ledger import WarningRow, load_warnings
from expectations.registry import ControlPoint, control_point_from_row
from serving.report_files import content_key
from zhengai.clock import school_now
from zhengai.sql import quote_literal

LAYER_ZH = {"school": "学校", "major": "专业", "course": "课程", "teacher": "教师", "student": "学生"}
LAYERS = tuple(LAYER_ZH)
ENTITY_ZH = {
    "school": "学校", "college": "二级学院", "department": "部门", "major": "专业", "teaching_class": "教学班",
    "course": "课程", "staff": "教师", "student": "学生", "class": "班级",
}
STATUSES = ("达成目标", "达标", "未达标", "预警", "数据不足")
NOT_JUDGED = "数据不足"
# Target achievement (目标达成度) of the task board, shown on the overview whatever rows it has.
ACHIEVEMENT_CODES = ("SCH_TASK_ACHIEVEMENT", "DEP_TASK_ACHIEVEMENT")
NO_DATA_ENTITY = "ALL"
MEMORY_LIMIT = "384MB"  # DuckDB's buffer pool per reading process  # the row of a control point no mart has a value for
# Counts summed as doubles are rounded: their last bits vary between builds, and a page must not be
# rebuilt for that (values are already rounded to 9 decimals by the mart).
STATUS_COLUMNS = (
    "indicator_code", "entity_id", "entity_name", "unit_id", "unit_name", "period", "value",
    "round(numerator, 6) as numerator", "round(denominator, 6) as denominator", "target_value", "standard_value",
    "warning_value", "status",
)

TERM = re.compile(r"^(\d{4})-(\d{4})-\d$")
SCHOOL_YEAR = re.compile(r"^(\d{4})-(\d{4})$")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
YEAR = re.compile(r"^(\d{4})$")


def school_year_of(period: str) -> str | None:
    """The school year (1 September – 31 August) a period belongs to: the one place the reports
    derive it from the period's name (a term, a month, a school year or a graduation year)."""
    if match := TERM.match(period):
        return f"{match.group(1)}-{match.group(2)}"
    if SCHOOL_YEAR.match(period):
        return period
    if match := MONTH.match(period):
        year, month = int(match.group(1)), int(match.group(2))
        start = year if month >= 9 else year - 1
        return f"{start}-{start + 1}"
    if match := YEAR.match(period):  # a graduation year: its class graduated in the summer ending that school year
        year = int(match.group(1))
        return f"{year - 1}-{year}"
    return None


@dataclass(frozen=True)
class ReferenceFigure:
    indicator_code: str
    period: str  # '' applies to every period
    value: float
    label_zh: str
    scope: str
    source_zh: str
    is_example: bool


class StatusRow(NamedTuple):
    """One row of the status mart (a named tuple: millions are made per build, and hashed by repr)."""

    # A page's content key is the repr of its rows: the plain tuple's (C) rather than the named one's
    # (Python, field by field), which took most of the time of a page that did not change.
    __repr__ = tuple.__repr__

    indicator_code: str
    entity_id: str
    entity_name: str
    unit_id: str
    unit_name: str
    period: str
    value: float | None
    numerator: float | None
    denominator: float | None
    target_value: float | None
    standard_value: float | None
    warning_value: float | None
    status: str


@dataclass(frozen=True)
class CalendarEntry:
    layer: str
    report_name_zh: str
    due_month: int
    prepare_from_month: int
    owner_department_code: str
    entity_drafts: bool
    entity_drafts_per_night: int | None = None  # None: every draft due, every night


def _literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return quote_literal(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return "[" + ", ".join(_literal(item) for item in (sorted(value) if isinstance(value, (set, frozenset)) else value)) + "]"
    raise TypeError(f"no SQL literal for {type(value).__name__}")


def bind(sql: str, parameters: list | None = None) -> str:
    """`sql` with each ? replaced by its parameter written as a literal. Binding a parameter makes
    DuckDB import pandas and numpy to check whether it is a data frame: about a second of CPU and
    120 MiB in each of the site's processes, which never pass one. The queries here hold no ? of
    their own; the values are quoted (zhengai.sql), so a name with a quote or a ? stays a value."""
    if not parameters:
        return sql
    pieces = sql.split("?")
    if len(pieces) != len(parameters) + 1:
        raise ValueError(f"{len(pieces) - 1} placeholders for {len(parameters)} parameters")
    return "".join(piece + _literal(value) for piece, value in zip(pieces, parameters)) + pieces[-1]


def _rows(connection: duckdb.DuckDBPyConnection, sql: str, parameters: list | None = None) -> list[dict]:
    cursor = connection.execute(bind(sql, parameters))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def shown_fields(warnings: list[WarningRow], fields: tuple[str, ...]) -> list[tuple]:
    """The named fields of each warning, for a content key or a fingerprint: a report names the
    fields it shows, never last_seen nor the revision, which move every night a warning persists."""
    return [tuple(getattr(w, name) for name in fields) for w in warnings]


class ReportData:
    """One read-only connection and what every report shares, loaded once."""

    def __init__(self, database: Path, ledger: Path | None = None):
        self.database = Path(database)
        self.ledger = Path(ledger) if ledger else None
        # A bounded buffer pool: the site's worker processes each hold a connection, and DuckDB
        # would otherwise keep up to 80 % of the machine's memory as cache in every one of them.
        self.connection = duckdb.connect(str(database), read_only=True, config={"memory_limit": MEMORY_LIMIT})
        self.control_points: dict[str, ControlPoint] = {
            row["code"]: control_point_from_row(row)
            for row in _rows(self.connection, "select * from registry.quality_control_points order by layer, code")
        }
        self.departments = {
            row["department_code"]: row for row in _rows(self.connection, "select * from registry.departments")
        }
        self.references = self._references()
        self.calendar = self._calendar()
        self.warnings = load_warnings(ledger) if ledger and Path(ledger).exists() else []
        self._comparisons: dict | None = None

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> "ReportData":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _has_table(self, schema: str, table: str) -> bool:
        return bool(self.connection.execute(
            bind("select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, table])
        ).fetchone()[0])

    def _references(self) -> dict[str, list[ReferenceFigure]]:
        by_code: dict[str, list[ReferenceFigure]] = defaultdict(list)
        if not self._has_table("registry", "reference_figures"):
            return by_code
        for row in _rows(self.connection, "select * from registry.reference_figures order by indicator_code, period"):
            by_code[row["indicator_code"]].append(ReferenceFigure(
                row["indicator_code"], row["period"] or "", float(row["value"]), row["label_zh"], row["scope"] or "",
                row["source_zh"], bool(row["is_example"]),
            ))
        return by_code

    def _calendar(self) -> list[CalendarEntry]:
        if not self._has_table("registry", "report_calendar"):
            return []
        entries = [
            CalendarEntry(row["layer"], row["report_name_zh"], int(row["due_month"]), int(row["prepare_from_month"]),
                          row["owner_department_code"] or "", bool(row["entity_drafts"]),
                          row.get("entity_drafts_per_night"))
            for row in _rows(self.connection, "select * from registry.report_calendar order by layer")
        ]
        for entry in entries:
            if entry.entity_drafts_per_night is not None and entry.entity_drafts_per_night < 1:
                raise ValueError(f"report_calendar.csv：{entry.layer} 层面的 entity_drafts_per_night 为 "
                                 f"{entry.entity_drafts_per_night}，应为正整数（留空表示不限）")
        return entries

    def references_for(self, code: str, periods: list[str] | None = None) -> list[ReferenceFigure]:
        """Reference figures of a control point: those for any period, and those of the periods shown."""
        wanted = set(periods or [])
        return [r for r in self.references.get(code, []) if not r.period or r.period in wanted]

    def department_name(self, code: str | None) -> str:
        row = self.departments.get(code or "")
        return row["name_zh"] if row else (code or "")

    def codes_of(self, entity_type: str) -> list[str]:
        return [code for code, point in self.control_points.items() if point.entity_type == entity_type]

    # Judged values -----------------------------------------------------------------------
    def status_rows(self, entity_type: str, unit_id: str | None = None,
                    entity_ids: list[str] | None = None) -> list[StatusRow]:
        """Rows of one entity type (optionally one unit, or some entities), by entity, control point, period."""
        codes = self.codes_of(entity_type)
        if not codes:
            return []
        sql = (f"select {', '.join(STATUS_COLUMNS)} from marts.mart_quality__status "
               "where indicator_code in (select unnest(?::varchar[])) and entity_id <> ?")
        parameters: list = [codes, NO_DATA_ENTITY]
        if unit_id is not None:
            sql += " and unit_id = ?"
            parameters.append(unit_id)
        if entity_ids is not None:
            sql += " and entity_id in (select unnest(?::varchar[]))"
            parameters.append(entity_ids)
        sql += " order by entity_id, indicator_code, period"
        return [StatusRow(*row) for row in self.connection.execute(bind(sql, parameters)).fetchall()]

    def stream_status_rows(self, entity_type: str, unit_id: str, batch: int = 10_000) -> Iterator[StatusRow]:
        """`status_rows` of one unit a batch at a time, in the same order: a college's students have
        hundreds of thousands of rows, and a page needs only its own entity's."""
        codes = self.codes_of(entity_type)
        if not codes:
            return
        cursor = self.connection.cursor()  # its own cursor: other queries may run while this one is read
        try:
            cursor.execute(bind(f"select {', '.join(STATUS_COLUMNS)} from marts.mart_quality__status "
                                "where indicator_code in (select unnest(?::varchar[])) and entity_id <> ? and unit_id = ? "
                                "order by entity_id, indicator_code, period", [codes, NO_DATA_ENTITY, unit_id]))
            while rows := cursor.fetchmany(batch):
                yield from map(StatusRow._make, rows)
        finally:
            cursor.close()

    def teaching_class_rows_by_course(self, batch: int = 10_000) -> Iterator[tuple[str, list[StatusRow]]]:
        """The teaching classes' rows, one course at a time (each course's rows ordered as `status_rows`
        orders them), read as a stream: the whole school's would be hundreds of MiB."""
        codes = self.codes_of("teaching_class")
        if not codes:
            return
        cursor = self.connection.cursor()
        try:
            cursor.execute(bind(f"""
                select t.course_id, s.* from (
                    select {', '.join(STATUS_COLUMNS)} from marts.mart_quality__status
                    where indicator_code in (select unnest(?::varchar[])) and entity_id <> ?
                ) as s join core.dim_teaching_class as t on t.teaching_class_id = s.entity_id
                where t.course_id is not null
                order by t.course_id, s.entity_id, s.indicator_code, s.period""", [codes, NO_DATA_ENTITY]))
            rows = (row for rows in iter(lambda: cursor.fetchmany(batch), []) for row in rows)
            for course_id, group in groupby(rows, key=lambda row: row[0]):
                yield course_id, [StatusRow._make(row[1:]) for row in group]
        finally:
            cursor.close()

    def entities_of_unit(self, entity_type: str, unit_id: str) -> set[str]:
        """The entities of a type with rows in one unit."""
        return {row[0] for row in self.connection.execute(bind(
            "select distinct entity_id from marts.mart_quality__status where indicator_code in (select unnest(?::varchar[])) "
            "and entity_id <> ? and unit_id = ?", [self.codes_of(entity_type), NO_DATA_ENTITY, unit_id])).fetchall()}

    def status_rows_for_code(self, code: str) -> list[StatusRow]:
        return [StatusRow(*row) for row in self.connection.execute(bind(
            f"select {', '.join(STATUS_COLUMNS)} from marts.mart_quality__status where indicator_code = ? "
            "and entity_id <> ? order by entity_id, period", [code, NO_DATA_ENTITY])).fetchall()]

    def units_of(self, entity_type: str) -> list[str | None]:
        """The units (colleges) whose entities of this type have rows: the build goes one unit at a time."""
        codes = self.codes_of(entity_type)
        if not codes:
            return []
        return [row[0] for row in self.connection.execute(bind(
            "select distinct unit_id from marts.mart_quality__status where indicator_code in (select unnest(?::varchar[])) "
            "and entity_id <> ? order by unit_id nulls last", [codes, NO_DATA_ENTITY])).fetchall()]

    def entities_with_values(self, entity_types: tuple[str, ...]) -> dict[str, set[str]]:
        """Per entity type, the entities with at least one row in the status mart."""
        found: dict[str, set[str]] = {entity_type: set() for entity_type in entity_types}
        for entity_type, entity_id in self.connection.execute(bind(
                "select distinct entity_type, entity_id from marts.mart_quality__status "
                "where entity_type in (select unnest(?::varchar[])) and entity_id <> ?",
                [list(entity_types), NO_DATA_ENTITY])).fetchall():
            found[entity_type].add(entity_id)
        return found

    def comparisons(self) -> dict[tuple[str, str | None, str], tuple[float, int]]:
        """Mean of the judged values (status other than 数据不足) per control point, unit and period,
        and per control point and period over the whole school (unit None): (mean, entities). Rounded
        to 6 decimals: a parallel sum of doubles differs in its last bits from run to run, and a page
        must not be rebuilt for that."""
        if self._comparisons is None:
            rows = self.connection.execute(f"""
                select indicator_code, unit_id, grouping(unit_id) as whole_school, period,
                       round(avg(value), 6) as mean_value, count(*) as entities
                from marts.mart_quality__status
                where status <> '{NOT_JUDGED}' and value is not null and entity_id <> '{NO_DATA_ENTITY}'
                group by grouping sets ((indicator_code, unit_id, period), (indicator_code, period))
            """).fetchall()
            self._comparisons = {
                (code, None if whole else unit, period): (mean, count) for code, unit, whole, period, mean, count in rows
            }
        return self._comparisons

    def latest_status_counts(self) -> list[dict]:
        """Per control point: its latest period and how many entities are in each status."""
        return _rows(self.connection, f"""
            with latest as (
                select indicator_code, max(period) as period from marts.mart_quality__status group by indicator_code
            )
            select q.indicator_code, latest.period,
                   count(*) filter (where q.entity_id <> '{NO_DATA_ENTITY}') as entities,
                   {', '.join(f"count(*) filter (where q.status = '{s}' and q.entity_id <> '{NO_DATA_ENTITY}') as s{i}" for i, s in enumerate(STATUSES))}
            from latest join marts.mart_quality__status as q
              on q.indicator_code = latest.indicator_code and q.period = latest.period
            group by q.indicator_code, latest.period
            order by q.indicator_code
        """)

    def status_trend(self) -> list[dict]:
        """Entities in 预警 and judged, per control point and period (the overview's trend)."""
        return _rows(self.connection, f"""
            select indicator_code, period, count(*) filter (where status = '预警') as in_warning,
                   count(*) filter (where status <> '{NOT_JUDGED}') as judged
            from marts.mart_quality__status where entity_id <> '{NO_DATA_ENTITY}'
            group by indicator_code, period order by indicator_code, period
        """)

    def fingerprint(self, tables: tuple[str, ...], warning_fields: tuple[str, ...]) -> str:
        """A hash of what a report reads: the judged values (the columns it shows, rounded as
        `status_rows` rounds them), every row of `tables`, the registry and the named fields of
        the ledger's warnings. Order-independent sums of row hashes: one pass over each table."""
        def summary(expression: str, source: str) -> tuple:
            return self.connection.execute(
                f"select count(*), bit_xor(hash({expression})), sum(hash({expression})::hugeint)::varchar "
                f"from {source}").fetchone()

        parts = [summary(", ".join(c.split(" as ")[0] for c in STATUS_COLUMNS) + ", entity_type",
                         "marts.mart_quality__status")]
        parts += [summary("t", f"{table} as t") for table in tables]
        warnings = sorted(shown_fields(self.warnings, warning_fields))
        return content_key(parts, list(self.control_points.values()), self.departments,
                           {code: refs for code, refs in sorted(self.references.items())}, warnings)

    def built_at(self) -> str:
        return school_now().strftime("%Y-%m-%d %H:%M")

    # Names and links -------------------------------------------------------------------------
    def table(self, sql: str, parameters: list | None = None) -> list[dict]:
        return _rows(self.connection, sql, parameters)

    def students(self, department_code: str | None = None) -> list[dict]:
        sql = ("select student_number, student_name, department_code, major_code, major_name, class_id, "
               "register_status_zh, cohort_year from core.dim_student")
        if department_code is not None:
            return _rows(self.connection, sql + " where department_code = ? order by student_number", [department_code])
        return _rows(self.connection, sql + " order by student_number")

    def warnings_by_entity(self) -> dict[tuple[str, str], list[WarningRow]]:
        """Ledger rows by (entity type, entity id), newest period first."""
        by_entity: dict[tuple[str, str], list[WarningRow]] = defaultdict(list)
        for warning in self.warnings:
            point = self.control_points.get(warning.indicator_code)
            if point:
                by_entity[(point.entity_type, warning.entity_id)].append(warning)
        for rows in by_entity.values():
            rows.sort(key=lambda w: (w.period, w.indicator_code), reverse=True)
        return by_entity


def group_by_entity(rows: Iterable[StatusRow]) -> Iterator[tuple[str, list[StatusRow]]]:
    """Consecutive rows of the same entity (the rows come ordered by entity), from a list or a stream."""
    for entity_id, group in groupby(rows, key=attrgetter("entity_id")):
        yield entity_id, list(group)


def course_means(rows: list[StatusRow], points: dict[str, ControlPoint]) -> list[StatusRow]:
    """A course's figures: per control point and period, the mean of its teaching classes' judged
    values (数据不足 left out); the denominator is the number of classes averaged, the thresholds the
    registry's. Not judged: a course is not an entity of the registry."""
    grouped: dict[tuple[str, str], list[float]] = defaultdict(list)
    for row in rows:
        if row.status != NOT_JUDGED and row.value is not None:
            grouped[(row.indicator_code, row.period)].append(row.value)
    means = []
    for (code, period), values in sorted(grouped.items()):
        point = points[code]
        means.append(StatusRow(code, "", "", "", "", period, sum(values) / len(values), None, float(len(values)),
                               point.target_value, point.standard_value, point.warning_value, ""))
    return means
