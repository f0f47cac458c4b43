"""Source contracts: cast a batch to its declared types and set aside the rows that break them.

A row breaks the contract when a key is empty, a value does not parse as its declared type
(a date that does not exist, 2024-02-30 or 0000-00-00, does not parse), a required value is
empty, a code is outside its allowed set, a number is outside its range, or its watermark
stamp lies in the future. Such rows are returned with the rule they broke, the column and
value concerned, a reason in Chinese and their values as read, for meta.quarantine; nothing
is dropped.
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
    "grade": "VARCHAR",
}
# The warehouse contract gives the state tables' whole numbers as INTEGER (counts, years).
DUCKDB_TYPES_BY_KIND = {"sql": DUCKDB_TYPES, "xlsx": {**DUCKDB_TYPES, "integer": "INTEGER"},
                        "plan": {**DUCKDB_TYPES, "integer": "INTEGER"}}
TEXT_TYPES = {"text", "timestamp", "year_month", "date", "grade"}
POLARS_TYPES = {"text": pl.String, "integer": pl.Int64, "real": pl.Float64,
                "boolean": pl.Boolean, "timestamp": pl.String, "year_month": pl.String,
                "date": pl.String, "percent": pl.Float64, "grade": pl.String}
# how a type is named to the people who fix the source
TYPE_NAMES_ZH = {"text": "文本", "integer": "整数", "real": "数值", "boolean": "是/否",
                 "timestamp": "时间（YYYY-MM-DD HH:MM:SS）", "year_month": "年月（YYYY-MM）",
                 "date": "日期（YYYY-MM-DD）", "percent": "百分比",
                 "grade": "成绩（0–100 的数字或成绩等级）"}
# the rules of meta.quarantine, in Chinese (the reason a row was set aside starts with one)
RULE_NAMES_ZH = {
    "null_key": "键为空", "bad_type": "格式不符", "null_required": "必填项为空",
    "code_not_allowed": "代码不在允许范围", "out_of_range": "数值超出范围",
    "future_dated": "时间晚于本次运行", "duplicate_key": "键重复",
}
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
# 2019.09, 2019-09, 2019/9, 2019年9月
YEAR_MONTH_PATTERN = r"^(\d{4})\s*[.\-/年]\s*(\d{1,2})\s*月?$"
# 2025-03-31, 2025/3/31, 2025.3.31, 2025年3月31日 (kept as YYYY-MM-DD text)
DATE_PATTERN = r"^(\d{4})\s*[.\-/年]\s*(\d{1,2})\s*[.\-/月]\s*(\d{1,2})\s*日?$"
PERCENT_SIGNS = ("%", "％")
# thousands separators and stray spaces in numbers written as text
NUMBER_NOISE = r"[,，\s]"
BOOLEAN_WORDS = {"是": True, "否": False}

# one quarantined row: its key, the rule broken (and an English detail), the values as read,
# the column and value concerned (empty when the rule is about the whole row) and the reason
# in Chinese, for the engineers' alert
REJECTED_SCHEMA = {"row_key": pl.String, "rule": pl.String, "detail": pl.String,
                   "raw_values": pl.String, "column_name": pl.String, "value": pl.String,
                   "reason": pl.String}


class ContractError(Exception):
    """A source table does not match its contract as a whole (missing table or column)."""


@dataclass(frozen=True)
class CheckedBatch:
    valid: pl.DataFrame     # contract columns in declared types
    rejected: pl.DataFrame  # REJECTED_SCHEMA


def cast_expr(name: str, source_dtype: pl.DataType, type_: str,
              format: str | None = None) -> pl.Expr:
    """Expression turning column `name` (as read, of `source_dtype`) into `type_`.

    A value that does not parse becomes null; check() tells it from a value that was empty.
    A date or timestamp with a `format` must be written exactly so and is kept as written;
    a grade is kept as written (check() judges its number or word).
    """
    col = pl.col(name)
    if type_ in TEXT_TYPES:
        text = _as_text(col, source_dtype)
        if format:
            parsed = text.str.strptime(pl.Datetime if type_ == "timestamp" else pl.Date,
                                       format, strict=False)
            return pl.when(parsed.is_not_null()).then(text)
        if type_ == "timestamp":
            parsed = text.str.strptime(pl.Datetime, TIMESTAMP_FORMAT, strict=False)
            return pl.when(parsed.is_not_null()).then(text)
        if type_ == "grade":
            return text.str.strip_chars()
        if type_ == "year_month":
            groups = text.str.strip_chars().str.extract_groups(YEAR_MONTH_PATTERN)
            month = groups.struct.field("2").cast(pl.Int32, strict=False)
            return pl.when(month.is_between(1, 12)).then(
                pl.format("{}-{}", groups.struct.field("1"), month.cast(pl.String).str.zfill(2))
            )
        if type_ == "date":
            # most dates come as YYYY-MM-DD: only the others go through the pattern (costly)
            as_iso = text.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
            other = pl.when(as_iso.is_null()).then(text)
            groups = other.str.strip_chars().str.extract_groups(DATE_PATTERN)
            iso = pl.format("{}-{}-{}", groups.struct.field("1"),
                            groups.struct.field("2").str.zfill(2), groups.struct.field("3").str.zfill(2))
            # a day that does not exist (2025-02-30, 0000-00-00) does not parse
            return pl.coalesce(
                as_iso.dt.strftime("%Y-%m-%d"),
                pl.when(iso.str.strptime(pl.Date, "%Y-%m-%d", strict=False).is_not_null()).then(iso))
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
    return batch.select(cast_expr(name, batch.schema[name], column.type, column.format)).to_series()


def row_key_expr(key: tuple[str, ...]) -> pl.Expr:
    return pl.concat_str([pl.col(k).cast(pl.String).fill_null("") for k in key],
                         separator="|")


def check(batch: pl.DataFrame, table: TableConfig, not_after: str | None = None) -> CheckedBatch:
    """Split a batch into valid rows (typed) and rejected ones (REJECTED_SCHEMA). not_after: the
    latest watermark stamp accepted ('YYYY-MM-DD HH:MM:SS'); later rows are future-dated."""
    missing = [c for c in table.column_names if c not in batch.columns]
    if missing:
        raise ContractError(f"{table.source}.{table.name}: column(s) {', '.join(missing)} "
                            f"missing in the source")

    def typed(name: str) -> str:
        return f"__typed__{name}"

    work = batch.with_columns(
        cast_expr(c.name, batch.schema[c.name], c.type, c.format).alias(typed(c.name))
        for c in table.columns
    )
    as_read = {c: pl.col(c).cast(pl.String) for c in batch.columns}
    # (condition, rule, English detail, column, value, Chinese reason) in order of
    # precedence: a row reports the first it breaks
    violations: list[tuple[pl.Expr, str, pl.Expr, str | None, pl.Expr, pl.Expr]] = []
    for k in table.key:
        violations.append((pl.col(typed(k)).is_null() & pl.col(k).is_null(), "null_key",
                           pl.lit(f"key column {k} is empty"), k, pl.lit(None, pl.String),
                           pl.lit(f"键列 {k} 为空，无法识别该行")))
    for c in table.columns:
        violations.append((
            pl.col(c.name).is_not_null() & pl.col(typed(c.name)).is_null(), "bad_type",
            pl.format(f"{c.name}: '{{}}' is not a valid {c.format or c.type}", as_read[c.name]),
            c.name, as_read[c.name],
            pl.format(f"{c.name} 的值“{{}}”不是有效的{_type_name(c)}", as_read[c.name]),
        ))
    for c in table.columns:
        if c.required and c.name not in table.key:
            violations.append((pl.col(c.name).is_null(), "null_required",
                               pl.lit(f"required column {c.name} is empty"), c.name,
                               pl.lit(None, pl.String), pl.lit(f"必填列 {c.name} 为空")))
    for c in table.columns:
        if c.allowed is not None:
            allowed = [str(v) if c.type in TEXT_TYPES else v for v in c.allowed]
            value = pl.col(typed(c.name))
            outside = value.is_not_null() & ~value.is_in(allowed)
            if c.type == "grade":  # a number is judged by the range; a word must be listed
                outside = outside & value.cast(pl.Float64, strict=False).is_null()
            shown = value.cast(pl.String)
            violations.append((
                outside, "code_not_allowed",
                pl.format(f"{c.name}: '{{}}' is not one of {allowed}", shown), c.name, shown,
                pl.format(f"{c.name} 的值“{{}}”不在约定的取值 {'、'.join(map(str, allowed))} 之中",
                          shown),
            ))
    for c in table.columns:
        if c.minimum is None and c.maximum is None:
            continue
        number = pl.col(typed(c.name))
        if c.type == "grade":
            number = number.cast(pl.Float64, strict=False)
        below = number < c.minimum if c.minimum is not None else pl.lit(False)
        above = number > c.maximum if c.maximum is not None else pl.lit(False)
        bounds = _bounds(c.minimum, c.maximum)
        shown = as_read[c.name]
        violations.append((
            number.is_not_null() & (below | above), "out_of_range",
            pl.format(f"{c.name}: {{}} is outside {bounds}", shown), c.name, shown,
            pl.format(f"{c.name} 的值 {{}} 超出约定范围 {bounds}", shown),
        ))
    if not_after is not None and table.mode == "changing":
        stamp = pl.col(typed(table.watermark))
        violations.append((
            stamp > not_after, "future_dated",
            pl.format(f"{table.watermark}: {{}} is later than {not_after}", stamp),
            table.watermark, stamp,
            pl.format(f"{table.watermark} 的时间 {{}} 晚于本次运行开始时间（含容差）{not_after}，"
                      f"暂不入库；到时或更正后重新读取", stamp),
        ))

    def first(part: int) -> pl.Expr:
        return pl.coalesce([pl.when(v[0]).then(v[part] if isinstance(v[part], pl.Expr)
                                               else pl.lit(v[part], pl.String))
                            for v in violations])

    rule = first(1)
    work = work.with_columns(rule.alias("__rule"), first(2).alias("__detail"),
                             first(3).alias("__column"), first(4).alias("__value"),
                             first(5).alias("__reason"))

    valid = work.filter(pl.col("__rule").is_null()).select(
        pl.col(typed(c.name)).cast(POLARS_TYPES[c.type]).alias(c.name) for c in table.columns)
    rejected = work.filter(pl.col("__rule").is_not_null()).select(
        row_key_expr(table.key).alias("row_key"),
        pl.col("__rule").alias("rule"),
        pl.col("__detail").alias("detail"),
        pl.struct(batch.columns).struct.json_encode().alias("raw_values"),
        pl.col("__column").alias("column_name"),
        pl.col("__value").alias("value"),
        pl.format("{}：{}", pl.col("__rule").replace_strict(RULE_NAMES_ZH, default=pl.col("__rule")),
                  pl.col("__reason")).alias("reason"),
    )
    return CheckedBatch(valid=valid, rejected=rejected.cast(REJECTED_SCHEMA))


def _type_name(column: ColumnSpec) -> str:
    if column.format:
        return f"{TYPE_NAMES_ZH[column.type].split('（')[0]}（格式 {column.format}）"
    return TYPE_NAMES_ZH[column.type]


def _bounds(minimum: float | None, maximum: float | None) -> str:
    def shown(number: float) -> str:
        return f"{number:g}"
    if minimum is not None and maximum is not None:
        return f"{shown(minimum)}–{shown(maximum)}"
    return f"≥ {shown(minimum)}" if minimum is not None else f"≤ {shown(maximum)}"


def rejection(frame: pl.DataFrame, rule: str, detail: str, reason: str) -> pl.DataFrame:
    """Quarantine records (REJECTED_SCHEMA) of a rule about whole rows: frame has row_key and
    raw_values; the reason is given in Chinese after the rule's name."""
    return frame.select(
        "row_key", pl.lit(rule).alias("rule"), pl.lit(detail).alias("detail"), "raw_values",
        pl.lit(None, pl.String).alias("column_name"), pl.lit(None, pl.String).alias("value"),
        pl.lit(f"{RULE_NAMES_ZH.get(rule, rule)}：{reason}").alias("reason"),
    ).cast(REJECTED_SCHEMA)
