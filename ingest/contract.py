"""Source contracts: cast a batch to its declared types and set aside the rows that break them.

A row breaks the contract when a key is empty, a value does not parse as its declared type,
a required value is empty or a code is outside its allowed set. Such rows are returned with
the rule they broke and their values as read, for meta.quarantine; nothing is dropped.
(Duplicate keys are found across the whole load, in the warehouse: see warehouse.py.)
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ingest.config import ColumnSpec, TableConfig

DUCKDB_TYPES = {
    "text": "VARCHAR",
    "integer": "BIGINT",
    "real": "DOUBLE",
    "boolean": "BOOLEAN",
    "timestamp": "VARCHAR",
    "year_month": "VARCHAR",
    "date": "VARCHAR",
    "percent": "DOUBLE",
}
# The warehouse contract gives the state tables' whole numbers as INTEGER (counts, years).
DUCKDB_TYPES_BY_KIND = {"sql": DUCKDB_TYPES, "xlsx": {**DUCKDB_TYPES, "integer": "INTEGER"},
                        "plan": {**DUCKDB_TYPES, "integer": "INTEGER"}}
TEXT_TYPES = {"text", "timestamp", "year_month", "date"}
POLARS_TYPES = {"text": pl.String, "integer": pl.Int64, "real": pl.Float64,
                "boolean": pl.Boolean, "timestamp": pl.String, "year_month": pl.String,
                "date": pl.String, "percent": pl.Float64}
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
# 2019.09, 2019-09, 2019/9, 2019年9月
YEAR_MONTH_PATTERN = r"^(\d{4})\s*[.\-/年]\s*(\d{1,2})\s*月?$"
# 2025-03-31, 2025/3/31, 2025.3.31, 2025年3月31日 (kept as YYYY-MM-DD text)
DATE_PATTERN = r"^(\d{4})\s*[.\-/年]\s*(\d{1,2})\s*[.\-/月]\s*(\d{1,2})\s*日?$"
PERCENT_SIGNS = ("%", "％")
# thousands separators and stray spaces in numbers written as text
NUMBER_NOISE = r"[,，\s]"
BOOLEAN_WORDS = {"是": True, "否": False}

REJECTED_SCHEMA = {"row_key": pl.String, "rule": pl.String, "detail": pl.String,
                   "raw_values": pl.String}


class ContractError(Exception):
    """A source table does not match its contract as a whole (missing table or column)."""


@dataclass(frozen=True)
class CheckedBatch:
    valid: pl.DataFrame     # contract columns in declared types
    rejected: pl.DataFrame  # REJECTED_SCHEMA


def cast_expr(name: str, source_dtype: pl.DataType, type_: str) -> pl.Expr:
    """Expression turning column `name` (as read, of `source_dtype`) into `type_`.

    A value that does not parse becomes null; check() tells it from a value that was empty.
    """
    col = pl.col(name)
    if type_ in TEXT_TYPES:
        text = _as_text(col, source_dtype)
        if type_ == "timestamp":
            parsed = text.str.strptime(pl.Datetime, TIMESTAMP_FORMAT, strict=False)
            return pl.when(parsed.is_not_null()).then(text)
        if type_ == "year_month":
            groups = text.str.strip_chars().str.extract_groups(YEAR_MONTH_PATTERN)
            month = groups.struct.field("2").cast(pl.Int32, strict=False)
            return pl.when(month.is_between(1, 12)).then(
                pl.format("{}-{}", groups.struct.field("1"), month.cast(pl.String).str.zfill(2))
            )
        if type_ == "date":
            groups = text.str.strip_chars().str.extract_groups(DATE_PATTERN)
            iso = pl.format("{}-{}-{}", groups.struct.field("1"),
                            groups.struct.field("2").str.zfill(2), groups.struct.field("3").str.zfill(2))
            # a day that does not exist (2025-02-30) does not parse
            return pl.when(iso.str.strptime(pl.Date, "%Y-%m-%d", strict=False).is_not_null()).then(iso)
        return text
    if type_ == "percent":
        return _percent(col, source_dtype)
    if type_ in ("integer", "real"):
        if source_dtype == pl.String:
            return _number_from_text(col, type_)
        if source_dtype.is_numeric() or source_dtype in (pl.Boolean, pl.Null):
            if type_ == "integer" and source_dtype.is_float():
                return _integral(col)
            return col.cast(pl.Int64 if type_ == "integer" else pl.Float64, strict=False)
        return pl.lit(None, dtype=pl.Int64 if type_ == "integer" else pl.Float64)
    if type_ == "boolean":
        if source_dtype == pl.Boolean:
            return col
        text = _as_text(col, source_dtype).str.strip_chars()
        return text.replace_strict(BOOLEAN_WORDS, default=None, return_dtype=pl.Boolean)
    raise ValueError(f"unknown type {type_}")


def _number_from_text(col: pl.Expr, type_: str) -> pl.Expr:
    """Numbers written as text. Most parse as written; only the rest are cleaned of thousands
    separators and spaces (the cleaning runs on those values alone: it is the costly part)."""
    as_written = col.cast(pl.Int64 if type_ == "integer" else pl.Float64, strict=False)
    cleaned = pl.when(as_written.is_null()).then(col).str.replace_all(NUMBER_NOISE, "")
    if type_ == "real":
        return pl.coalesce(as_written, cleaned.cast(pl.Float64, strict=False))
    return pl.coalesce(as_written, cleaned.cast(pl.Int64, strict=False),
                       _integral(cleaned.cast(pl.Float64, strict=False)))


def _percent(col: pl.Expr, source_dtype: pl.DataType) -> pl.Expr:
    """60%, 60 and 0.6 are all sixty per cent: a number up to 1 written without % is a
    fraction (so 1 is 100 %, and one per cent is written 1%)."""
    if source_dtype.is_numeric():
        number = col.cast(pl.Float64)
        signed = pl.lit(False)
    elif source_dtype == pl.String:
        text = col.str.strip_chars()
        signed = text.str.ends_with(PERCENT_SIGNS[0]) | text.str.ends_with(PERCENT_SIGNS[1])
        number = _number_from_text(text.str.strip_chars_end("".join(PERCENT_SIGNS)).str.strip_chars(), "real")
    else:
        return pl.lit(None, dtype=pl.Float64)
    # 0.07 × 100 is 7.000000000000001 in binary: per cents are kept to 9 decimals
    return pl.when(signed | (number.abs() > 1)).then(number).otherwise((number * 100).round(9))


def _integral(number: pl.Expr) -> pl.Expr:
    return pl.when(number == number.floor()).then(number.cast(pl.Int64, strict=False))


def _as_text(col: pl.Expr, source_dtype: pl.DataType) -> pl.Expr:
    if source_dtype == pl.String:
        return col
    if isinstance(source_dtype, pl.Datetime):
        return col.dt.strftime(TIMESTAMP_FORMAT)
    if source_dtype == pl.Date:
        return col.dt.strftime("%Y-%m-%d")
    if source_dtype.is_float():
        # a code stored as REAL (3.0) reads as the vendor wrote it ('3')
        return pl.when(col == col.floor()).then(col.cast(pl.Int64).cast(pl.String)).otherwise(
            col.cast(pl.String))
    return col.cast(pl.String)


def empty_frame(table: TableConfig) -> pl.DataFrame:
    """No rows, in the types check() gives valid rows."""
    return pl.DataFrame(schema={c.name: POLARS_TYPES[c.type] for c in table.columns})


def duckdb_type(table: TableConfig, column: ColumnSpec) -> str:
    return DUCKDB_TYPES_BY_KIND[table.kind][column.type]


def typed_column(batch: pl.DataFrame, table: TableConfig, name: str) -> pl.Series:
    column = table.column(name)
    return batch.select(cast_expr(name, batch.schema[name], column.type)).to_series()


def row_key_expr(key: tuple[str, ...]) -> pl.Expr:
    return pl.concat_str([pl.col(k).cast(pl.String).fill_null("") for k in key],
                         separator="|")


def check(batch: pl.DataFrame, table: TableConfig) -> CheckedBatch:
    missing = [c for c in table.column_names if c not in batch.columns]
    if missing:
        raise ContractError(f"{table.source}.{table.name}: column(s) {', '.join(missing)} "
                            f"missing in the source")

    def typed(name: str) -> str:
        return f"__typed__{name}"

    work = batch.with_columns(
        cast_expr(c.name, batch.schema[c.name], c.type).alias(typed(c.name)) for c in table.columns
    )
    # (condition, rule, detail) in order of precedence: a row reports the first it breaks
    violations: list[tuple[pl.Expr, str, pl.Expr]] = []
    for k in table.key:
        violations.append((pl.col(typed(k)).is_null() & pl.col(k).is_null(), "null_key",
                           pl.lit(f"key column {k} is empty")))
    for c in table.columns:
        violations.append((
            pl.col(c.name).is_not_null() & pl.col(typed(c.name)).is_null(), "bad_type",
            pl.format(f"{c.name}: '{{}}' is not a valid {c.type}", pl.col(c.name).cast(pl.String)),
        ))
    for c in table.columns:
        if c.required and c.name not in table.key:
            violations.append((pl.col(c.name).is_null(), "null_required",
                               pl.lit(f"required column {c.name} is empty")))
    for c in table.columns:
        if c.allowed is not None:
            allowed = [str(v) if c.type in TEXT_TYPES else v for v in c.allowed]
            value = pl.col(typed(c.name))
            violations.append((
                value.is_not_null() & ~value.is_in(allowed), "code_not_allowed",
                pl.format(f"{c.name}: '{{}}' is not one of {allowed}", value.cast(pl.String)),
            ))

    rule = pl.coalesce([pl.when(cond).then(pl.lit(r)) for cond, r, _ in violations])
    detail = pl.coalesce([pl.when(cond).then(d) for cond, _, d in violations])
    work = work.with_columns(rule.alias("__rule"), detail.alias("__detail"))

    valid = work.filter(pl.col("__rule").is_null()).select(
        pl.col(typed(c.name)).cast(POLARS_TYPES[c.type]).alias(c.name) for c in table.columns)
    rejected = work.filter(pl.col("__rule").is_not_null()).select(
        row_key_expr(table.key).alias("row_key"),
        pl.col("__rule").alias("rule"),
        pl.col("__detail").alias("detail"),
        pl.struct(batch.columns).struct.json_encode().alias("raw_values"),
    )
    return CheckedBatch(valid=valid, rejected=rejected.cast(REJECTED_SCHEMA))
