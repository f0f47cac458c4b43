"""Connector for schools whose systems only export files: a folder of `<TABLE>.csv` exports.

A relational source's URL may be `csv:///path/to/folder` instead of a database URL; its tables
keep the same contracts (sources.yml), read from `<TABLE>.csv` (name matched ignoring case),
header row = the vendor's column names. Chinese systems export in GBK as often as in UTF-8,
with or without a byte-order mark; the encoding is detected per file (UTF-8 when the whole
file decodes as UTF-8, else GB18030, the superset of GBK), or forced with `?encoding=gbk`.
Every value is read as text, empty fields as null; the contract casts and checks them.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
import shutil
import tempfile
from urllib.parse import parse_qs, urlsplit

import polars as pl

from ingest.config import TableConfig
from ingest.contract import ContractError
from ingest.connectors.database import IdRanges, bucket_frame, lookback_start

CSV_SCHEME = "csv"
UTF8_BOM = codecs.BOM_UTF8
CHUNK = 1 << 20


def is_csv_url(url: str) -> bool:
    return urlsplit(url).scheme == CSV_SCHEME


def detect_encoding(path: Path) -> str:
    """'utf-8-sig' (BOM), 'utf-8' or 'gb18030', from the bytes of the whole file."""
    with open(path, "rb") as handle:
        if handle.read(len(UTF8_BOM)) == UTF8_BOM:
            return "utf-8-sig"
    if _decodes(path, "utf-8"):
        return "utf-8"
    if _decodes(path, "gb18030"):
        return "gb18030"
    raise ContractError(f"{path.name}: neither UTF-8 nor GBK/GB18030 text")


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    with open(path, "rb") as handle:
        try:
            while chunk := handle.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


@dataclass
class CsvRead:
    """One table's rows past its watermark, read from its export file."""
    source: "CsvSource"
    frame: pl.LazyFrame

    def count(self) -> int:
        return self.frame.select(pl.len()).collect().item()

    def batches(self, batch_size: int) -> Iterator[pl.DataFrame]:
        yield from self.frame.collect_batches(chunk_size=batch_size)


class CsvSource:
    label = "csv"

    def __init__(self, name: str, url: str):
        self.name = name
        parts = urlsplit(url)
        self.folder = Path(parts.netloc + parts.path) if parts.netloc else Path(parts.path)
        self.encoding = (parse_qs(parts.query).get("encoding") or [None])[0]
        if not self.folder.is_dir():
            raise ContractError(f"{name}: export folder {self.folder} does not exist")
        self._scratch = Path(tempfile.mkdtemp(prefix="zhengai-csv-"))

    def close(self) -> None:
        shutil.rmtree(self._scratch, ignore_errors=True)

    def read(self, table: TableConfig, watermark: str | None, ranges: IdRanges = ()) -> CsvRead:
        path = self._file(table)
        utf8 = self._as_utf8(path)
        header = pl.scan_csv(utf8, infer_schema=False, n_rows=0).collect_schema().names()
        found = {h.strip().upper(): h for h in header}
        missing = [c for c in table.column_names if c.upper() not in found]
        if missing:
            raise ContractError(f"{self.name}.{table.name}: column {', '.join(missing)} is "
                                f"missing in {path.name} (its header: {', '.join(header)})")
        frame = pl.scan_csv(utf8, infer_schema=False).select(
            pl.col(found[c.upper()]).alias(c) for c in table.column_names)
        return CsvRead(self, frame.filter(_past(table, watermark, ranges)))

    def keys(self, table: TableConfig) -> pl.DataFrame:
        """The key columns of every row of the export (for the key reconciliation)."""
        return self.read(table, None).frame.select(table.key).collect()

    def bucket_counts(self, table: TableConfig, size: int) -> pl.DataFrame:
        """Rows and the sum of their ids per range of `size` ids of an append log, as the
        SQL connectors count them (bucket: the first id of the range)."""
        number = _number(pl.col(table.watermark))
        counted = (self.read(table, None).frame.select(number.alias("id"))
                   .filter(pl.col("id") >= 0)
                   .group_by((pl.col("id") - pl.col("id") % size).alias("bucket"))
                   .agg(pl.len().alias("rows"), pl.col("id").sum().alias("total"))
                   .collect())
        return bucket_frame(counted.rows())

    def _file(self, table: TableConfig) -> Path:
        wanted = f"{table.name}.csv".upper()
        for path in self.folder.iterdir():
            if path.name.upper() == wanted:
                return path
        raise ContractError(f"{self.name}.{table.name}: table is missing in the source "
                            f"(no {table.name}.csv in {self.folder})")

    def _as_utf8(self, path: Path) -> Path:
        """The file itself when it is UTF-8 (Polars skips a BOM), else a UTF-8 copy."""
        encoding = self.encoding or detect_encoding(path)
        if codecs.lookup(encoding).name in ("utf-8", "utf-8-sig"):
            return path
        copy = self._scratch / path.name
        try:
            with open(path, encoding=encoding, newline="") as source, \
                    open(copy, "w", encoding="utf-8", newline="") as target:
                while text := source.read(CHUNK):
                    target.write(text)
        except UnicodeDecodeError as exc:
            raise ContractError(f"{path.name}: not {encoding} text at byte {exc.start}") from None
        return copy


def _number(stamp: pl.Expr) -> pl.Expr:
    return stamp.str.strip_chars().cast(pl.Int64, strict=False)


def _past(table: TableConfig, watermark: str | None, ranges: IdRanges = ()) -> pl.Expr:
    """The rows an incremental load reads: as the SQL connectors' WHERE, on text values."""
    if watermark is None or table.mode not in ("append", "changing"):
        return pl.lit(True)
    stamp = pl.col(table.watermark)
    if table.mode == "append":
        number = _number(stamp)
        # an id that is not a number is read (and quarantined), never skipped
        wanted = (number > int(watermark)) | (number.is_null() & stamp.is_not_null())
        for start, end in ranges:
            wanted = wanted | ((number >= start) & (number < end))
        return wanted
    return (stamp > lookback_start(watermark, table.lookback_days)) | stamp.is_null()
