"""The declarative source config (sources.yml) as typed, validated objects."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
import re
from typing import Any

import yaml

DEFAULT_CONFIG = Path(__file__).with_name("sources.yml")

TYPES = {"text", "integer", "real", "boolean", "timestamp", "year_month", "date", "percent",
         "grade"}
# types whose values a range (min / max) applies to; a grade's range applies to its numbers
RANGED_TYPES = {"integer", "real", "percent", "grade"}
MODES = {
    "sql": {"snapshot", "append", "changing"},
    "xlsx": {"yearly"},
    "plan": {"snapshot"},
}
# Kinds read from workbooks: a sheet per table, a Chinese header per column.
WORKBOOK_KINDS = {"xlsx", "plan"}
# The quality office's plan workbooks are named by the period they cover (`file:` of a plan
# table, e.g. tasks-<calendar_year>.xlsx); that period becomes a column leading the key.
WORKBOOK_PERIODS = {"calendar_year": "integer", "school_year": "text"}
# Workbook tables carry the collection year taken from the file name.
COLLECTION_YEAR = "collection_year"
# fast_path of a relational table: `auto` reads through DuckDB's scanner for the source's
# engine when it has one (falling back to SQLAlchemy), `off` always through SQLAlchemy.
FAST_PATHS = {"auto", "off"}


class ConfigError(ValueError):
    """sources.yml does not describe a loadable source."""


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    required: bool = False
    allowed: tuple[Any, ...] | None = None
    header: str | None = None  # xlsx: the Chinese column title (or item of a key_value sheet)
    minimum: float | None = None  # range rule: values below are quarantined
    maximum: float | None = None
    format: str | None = None  # date / timestamp written in one fixed layout (strptime), kept as written


@dataclass(frozen=True)
class TableConfig:
    source: str
    name: str
    kind: str
    mode: str
    key: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]
    watermark: str | None = None
    lookback_days: float = 0
    sheet: str | None = None
    layout: str = "table"
    fast_path: str = "auto"
    file: str | None = None  # plan: the workbook's name, with its period as <calendar_year> …
    # append logs: an id sent again below the watermark replaces the loaded row (a correction)
    # instead of being quarantined
    corrections: bool = False
    # watermark tables: compare the source's keys with raw now and then, marking rows gone
    # from the source as deleted
    reconcile: bool = False

    @property
    def raw_schema(self) -> str:
        return f"raw_{self.source}"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)


@dataclass(frozen=True)
class WorkbookLayout:
    title_rows: int                # rows above the header (more, e.g. a 填报单位 line, are found)
    notes_markers: tuple[str, ...]  # how the first cell of a trailing notes row begins
    item_header: str
    value_headers: tuple[str, ...]


@dataclass(frozen=True)
class SourceSpec:
    name: str
    kind: str
    description: str  # the system's Chinese name
    tables: tuple[TableConfig, ...]
    workbook: WorkbookLayout | None = None

    def table(self, name: str) -> TableConfig:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(f"{self.name} has no table {name}")


@dataclass(frozen=True)
class SourceConfig:
    sources: dict[str, SourceSpec]
    batch_size: int
    lookback_days: float
    fast_path: str = "auto"
    # a row stamped later than the run's start plus this is future-dated: quarantined, and the
    # watermark stays before it
    clock_tolerance_minutes: float = 0
    # days between two key reconciliations of a watermark table (and always on a full refresh)
    reconcile_every_days: float = 7
    # append logs are reconciled by counting their rows per range of this many ids
    reconcile_bucket_size: int = 100_000

    def tables(self, sources: list[str] | None = None) -> list[TableConfig]:
        names = list(self.sources) if sources is None else sources
        unknown = [n for n in names if n not in self.sources]
        if unknown:
            raise ConfigError(f"unknown source(s) {unknown}; known: {list(self.sources)}")
        return [t for n in names for t in self.sources[n].tables]

    def with_tables(self, *tables: TableConfig) -> "SourceConfig":
        """The same config with these tables' contracts in place of their namesakes (tests)."""
        changed = {(t.source, t.name): t for t in tables}
        sources = {name: replace(spec, tables=tuple(changed.get((name, t.name), t)
                                                    for t in spec.tables))
                   for name, spec in self.sources.items()}
        return replace(self, sources=sources)

    def with_fast_path(self, fast_path: str) -> "SourceConfig":
        """The same config with every relational table's fast_path set (benchmarks, tests)."""
        _fast_path(fast_path, "with_fast_path")
        sources = {name: replace(spec, tables=tuple(replace(t, fast_path=fast_path)
                                                    for t in spec.tables))
                   for name, spec in self.sources.items()}
        return replace(self, sources=sources, fast_path=fast_path)


def load_config(path: Path | None = None) -> SourceConfig:
    path = Path(path) if path else DEFAULT_CONFIG
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    settings = doc.get("settings", {})
    lookback = float(settings.get("lookback_days", 0))
    fast_path = _fast_path(settings.get("fast_path", "auto"), "settings")
    sources = {
        name: _parse_source(name, spec, lookback, fast_path)
        for name, spec in doc["sources"].items()
    }
    return SourceConfig(
        sources=sources,
        batch_size=int(settings.get("batch_size", 100_000)),
        lookback_days=lookback,
        fast_path=fast_path,
        clock_tolerance_minutes=float(settings.get("clock_tolerance_minutes", 0)),
        reconcile_every_days=float(settings.get("reconcile_every_days", 7)),
        reconcile_bucket_size=_bucket_size(settings.get("reconcile_bucket_size", 100_000)),
    )


def _bucket_size(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"settings: reconcile_bucket_size must be a positive whole number, "
                          f"got {value!r}")
    return value


def _fast_path(value: object, where: str) -> str:
    value = "off" if value is False else value  # YAML reads a bare off as false
    if value not in FAST_PATHS:
        raise ConfigError(f"{where}: fast_path must be one of {sorted(FAST_PATHS)}, "
                          f"got {value!r}")
    return str(value)


def _text_list(value: str | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _parse_source(name: str, spec: dict, lookback_days: float, fast_path: str) -> SourceSpec:
    kind = spec.get("kind")
    if kind not in MODES:
        raise ConfigError(f"source {name}: kind must be one of {sorted(MODES)}, got {kind!r}")
    workbook = None
    if kind in WORKBOOK_KINDS:
        wb = spec.get("workbook") or {}
        try:
            workbook = WorkbookLayout(
                title_rows=int(wb["title_rows"]),
                notes_markers=_text_list(wb["notes_markers"]),
                # plan workbooks have no form-like (key_value) sheets
                item_header=wb["item_header"] if kind == "xlsx" else "",
                value_headers=tuple(wb["value_headers"]) if kind == "xlsx" else (),
            )
        except KeyError as missing:
            raise ConfigError(f"source {name}: workbook needs {missing}") from None
    tables = tuple(_parse_table(name, kind, table, tspec, lookback_days, fast_path)
                   for table, tspec in spec["tables"].items())
    return SourceSpec(name=name, kind=kind, description=spec.get("description", name),
                      tables=tables, workbook=workbook)


def _parse_table(source: str, kind: str, name: str, spec: dict, lookback_days: float,
                 fast_path: str) -> TableConfig:
    where = f"{source}.{name}"
    mode = spec.get("mode")
    if mode not in MODES[kind]:
        raise ConfigError(f"{where}: mode must be one of {sorted(MODES[kind])}, got {mode!r}")
    key = list(spec.get("key") or [])
    watermark = spec.get("watermark")
    if mode in ("append", "changing") and not watermark:
        raise ConfigError(f"{where}: mode {mode} needs a watermark column")
    if kind == "sql" and not key:
        raise ConfigError(f"{where}: a key is required")
    layout = spec.get("layout", "table")
    if kind == "xlsx" and (not spec.get("sheet") or layout not in ("table", "key_value")):
        raise ConfigError(f"{where}: a workbook table needs its sheet number and a layout "
                          f"of table or key_value")
    period = _workbook_period(where, spec) if kind == "plan" else None

    columns = []
    for col, cspec in spec["columns"].items():
        cspec = {"type": cspec} if isinstance(cspec, str) else dict(cspec)
        if cspec.get("type") not in TYPES:
            raise ConfigError(f"{where}.{col}: type must be one of {sorted(TYPES)}")
        if kind in WORKBOOK_KINDS and not cspec.get("header"):
            raise ConfigError(f"{where}.{col}: a workbook column needs its Chinese header")
        allowed = cspec.get("allowed")
        if ("min" in cspec or "max" in cspec) and cspec["type"] not in RANGED_TYPES:
            raise ConfigError(f"{where}.{col}: min / max apply to {sorted(RANGED_TYPES)} columns")
        if cspec.get("format") and cspec["type"] not in ("date", "timestamp"):
            raise ConfigError(f"{where}.{col}: format applies to date and timestamp columns")
        if cspec["type"] == "grade" and not allowed:
            raise ConfigError(f"{where}.{col}: a grade column lists its grade words in allowed")
        columns.append(ColumnSpec(
            name=col,
            type=cspec["type"],
            required=bool(cspec.get("required")) or col in key or col == watermark,
            allowed=tuple(allowed) if allowed is not None else None,
            header=cspec.get("header"),
            minimum=float(cspec["min"]) if cspec.get("min") is not None else None,
            maximum=float(cspec["max"]) if cspec.get("max") is not None else None,
            format=cspec.get("format"),
        ))
    if kind == "xlsx":
        columns.insert(0, ColumnSpec(COLLECTION_YEAR, "integer", required=True))
        key.insert(0, COLLECTION_YEAR)
    if period:
        columns.insert(0, ColumnSpec(period, WORKBOOK_PERIODS[period], required=True))
        key.insert(0, period)

    names = {c.name for c in columns}
    for col in [*key, *([watermark] if watermark else [])]:
        if col not in names:
            raise ConfigError(f"{where}: key or watermark column {col} is not among its columns")
    if mode == "append" and next(c for c in columns if c.name == watermark).type != "integer":
        raise ConfigError(f"{where}: an append watermark must be an increasing integer column")
    if mode == "changing" and next(c for c in columns if c.name == watermark).type != "timestamp":
        raise ConfigError(f"{where}: a changing watermark must be a timestamp column")
    if spec.get("corrections") and mode != "append":
        raise ConfigError(f"{where}: corrections apply to append logs")
    if spec.get("reconcile") and mode not in ("append", "changing"):
        raise ConfigError(f"{where}: reconcile applies to tables loaded by watermark")

    return TableConfig(
        source=source,
        name=name,
        kind=kind,
        mode=mode,
        key=tuple(key),
        columns=tuple(columns),
        watermark=watermark,
        lookback_days=float(spec.get("lookback_days", lookback_days)) if mode == "changing" else 0,
        sheet=spec.get("sheet"),
        layout=layout,
        fast_path=_fast_path(spec.get("fast_path", fast_path), where),
        file=spec.get("file"),
        corrections=bool(spec.get("corrections", False)),
        # an append log is reconciled unless its contract says otherwise: without it an id
        # sent again below the watermark, or a row deleted, would go unseen on every server
        reconcile=bool(spec.get("reconcile", mode == "append")),
    )


def _workbook_period(where: str, spec: dict) -> str:
    """The period a plan table's workbooks are named by: `file: tasks-<calendar_year>.xlsx`."""
    placeholders = re.findall(r"<(\w+)>", spec.get("file") or "")
    if not spec.get("sheet") or len(placeholders) != 1 or placeholders[0] not in WORKBOOK_PERIODS:
        raise ConfigError(f"{where}: a plan table needs its sheet and a file name with one of "
                          f"{', '.join(f'<{p}>' for p in WORKBOOK_PERIODS)}")
    return placeholders[0]
