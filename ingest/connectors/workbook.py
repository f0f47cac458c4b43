"""Connector for the state data platform's yearly workbooks (`<state_path>/<year>.xlsx`).

Finds each table's sheet by its table number, skips the title row, maps the Chinese header
of row 2 to the contract's English columns, stops at the trailing notes (填表说明) and pivots
form-like key_value sheets (item, value) to one row per year. Cells come out as text; the
contract (contract.py) parses numbers with thousands separators, 2019.09 and 是/否.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
import zipfile
import zlib

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException
import polars as pl

from ingest.config import TableConfig, WorkbookLayout
from ingest.contract import ContractError

WORKBOOK_NAME = re.compile(r"^(\d{4})\.xlsx$")
HEADER_SEARCH_ROWS = 5  # extra rows before the header that are tolerated
ORIGIN = "_origin"  # where a row came from (workbook!sheet row); kept in quarantine raw_values


def workbooks(state_path: Path) -> dict[int, Path]:
    """Collection year → workbook, for every <year>.xlsx in state_path."""
    found = {}
    for path in sorted(Path(state_path).glob("*.xlsx")):
        match = WORKBOOK_NAME.match(path.name)
        if match:
            found[int(match.group(1))] = path
    return found


class Workbooks:
    """The sheets of the workbooks read during one load, each workbook opened once (a load
    reads a dozen tables from every workbook; opening one costs more than reading a sheet)."""

    def __init__(self) -> None:
        self._sheets: dict[Path, dict[str, list[tuple]]] = {}

    def sheet(self, path: Path, number: str) -> tuple[str, list[tuple]]:
        """(sheet name, rows as values) of table `number` in the workbook at `path`."""
        if path not in self._sheets:
            try:
                book = openpyxl.load_workbook(path, read_only=True, data_only=True)
                try:
                    self._sheets[path] = {name: list(book[name].iter_rows(values_only=True))
                                          for name in book.sheetnames}
                finally:
                    book.close()
            except Exception as exc:
                raise ContractError(f"工作簿 {path} 无法打开：{unreadable_reason(exc, path)}") from exc
        sheets = self._sheets[path]
        name = _find_sheet(list(sheets), number, path)
        return name, sheets[name]


def unreadable_reason(exc: Exception, path: Path) -> str:
    """Why openpyxl could not read a workbook, in Chinese, for the people who send it."""
    if isinstance(exc, zipfile.BadZipFile) and _starts_like_a_zip(path):
        return "文件不完整或已损坏（可能复制或下载中断），请重新导出"
    if isinstance(exc, zipfile.BadZipFile):
        return ("不是有效的 .xlsx 文件（.xlsx 是 zip 压缩包，此文件不是：可能是改了扩展名的 .xls、"
                "CSV 或网页，或文件已损坏），请在 Excel 中另存为 .xlsx 后重新提供")
    if isinstance(exc, (EOFError, zlib.error)) or "truncat" in str(exc).lower():
        return "文件不完整或已损坏（可能复制或下载中断），请重新导出"
    if isinstance(exc, InvalidFileException):
        return "文件格式不受支持，请在 Excel 中另存为 .xlsx"
    if isinstance(exc, PermissionError):
        return "没有读取权限"
    return f"文件已损坏或内容无法识别（{type(exc).__name__}: {exc}）"


def _starts_like_a_zip(path: Path) -> bool:
    try:
        with open(path, "rb") as file:
            return file.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def read_table(path: Path, year: int | str, table: TableConfig, layout: WorkbookLayout,
               workbooks: Workbooks | None = None) -> pl.DataFrame:
    """One table of one workbook: text columns named as the contract, plus the workbook's
    year (collection_year, or the period a plan workbook is named by), its first column."""
    sheet_name, rows = (workbooks or Workbooks()).sheet(path, table.sheet)
    where = f"workbook {path.name}, sheet {sheet_name}"
    year_column, *columns = table.columns
    expected = ([layout.item_header] if table.layout == "key_value"
                else [c.header for c in columns])
    header_at = _find_header(rows, expected, layout, where)
    header = [_normalise(h) for h in rows[header_at]]
    first_data_row = header_at + 2  # Excel numbers rows from 1; the header precedes
    body = _data_rows(rows[header_at + 1:], first_data_row, layout.notes_markers)
    if table.layout == "key_value":
        records = [_pivot(header, body, columns, layout, where)]
        origins = [f"{path.name}!{sheet_name}"]
    else:
        positions = {}
        for c in columns:
            if _normalise(c.header) not in header:
                raise ContractError(f"{where}: header '{c.header}' (column {c.name}) not found; "
                                    f"the sheet has {', '.join(h for h in header if h)}")
            positions[c.name] = header.index(_normalise(c.header))
        records = [{c.name: _cell_text(_at(values, positions[c.name]), c.type) for c in columns}
                   for _, values in body]
        origins = [f"{path.name}!{sheet_name} row {number}" for number, _ in body]
    frame = pl.DataFrame(records, schema={c.name: pl.String for c in columns}, orient="row")
    return frame.select(
        pl.lit(year, dtype=pl.Int64 if year_column.type == "integer" else pl.String).alias(year_column.name),
        *(pl.col(c.name) for c in columns),
        pl.Series(ORIGIN, origins, dtype=pl.String),
    )


def _find_sheet(names: list[str], number: str, path: Path) -> str:
    # the sheet is named by its table number, maybe followed by its title: "A6-1 校内专任教师"
    pattern = re.compile(rf"^表?{re.escape(number)}(?![-\d])", re.IGNORECASE)
    for name in names:
        if pattern.match(name.strip()):
            return name
    raise ContractError(f"workbook {path.name}: sheet {number} not found "
                        f"(sheets: {', '.join(names)})")


def _find_header(rows: list[tuple], expected: list[str], layout: WorkbookLayout,
                 where: str) -> int:
    """Index of the header row: normally the one after the title rows; a sheet with extra
    lines above it (a 填报单位 line) or without its title still loads: among the first rows,
    the first with the most of the expected headers."""
    wanted = {_normalise(h) for h in expected}
    window = range(min(len(rows), layout.title_rows + HEADER_SEARCH_ROWS))
    matches = {i: len(wanted & {_normalise(v) for v in rows[i]}) for i in window}
    if not matches:
        raise ContractError(f"{where}: no header row")
    best = max(matches.values())
    if best == 0:
        return layout.title_rows  # reported below as headers not found, with what it has
    return min(i for i, n in matches.items() if n == best)


def _data_rows(rows: list[tuple], first_row: int,
               notes_markers: tuple[str, ...]) -> list[tuple[int, tuple]]:
    """(Excel row number, values) of the data rows: blank rows skipped, notes and after dropped."""
    kept = []
    for offset, values in enumerate(rows):
        texts = [str(v).strip() for v in values if v is not None and str(v).strip()]
        if not texts:
            continue
        if texts[0].startswith(notes_markers):
            break
        kept.append((offset + first_row, values))
    return kept


def _pivot(header: list[str], body: list[tuple[int, tuple]], columns, layout: WorkbookLayout,
           where: str) -> dict[str, str | None]:
    item_header = _normalise(layout.item_header)
    value_header = next((h for h in map(_normalise, layout.value_headers) if h in header), None)
    if item_header not in header or value_header is None:
        raise ContractError(f"{where}: header must have '{layout.item_header}' and one of "
                            f"{'/'.join(layout.value_headers)}; the sheet has "
                            f"{', '.join(h for h in header if h)}")
    item_at, value_at = header.index(item_header), header.index(value_header)
    values: dict[str, object] = {}
    for _, row in body:
        item = _normalise(_at(row, item_at))
        if item in values:
            raise ContractError(f"{where}: item '{item}' appears twice")
        values[item] = _at(row, value_at)
    record = {}
    for c in columns:
        if _normalise(c.header) not in values:
            raise ContractError(f"{where}: item '{c.header}' (column {c.name}) not found")
        record[c.name] = _cell_text(values[_normalise(c.header)], c.type)
    return record


def _at(values: tuple, position: int) -> object:
    # read-only worksheets give short tuples for rows whose last cells are empty
    return values[position] if position < len(values) else None


def _normalise(header: object) -> str:
    """Header text compared without spaces and with full-width brackets."""
    if header is None:
        return ""
    text = re.sub(r"\s+", "", str(header))
    return text.replace("(", "（").replace(")", "）")


def _cell_text(value: object, type_: str) -> str | None:
    """A cell as the text the contract parses; numbers typed into Excel keep their meaning."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (datetime, date)):
        return value.strftime("%Y-%m" if type_ == "year_month" else "%Y-%m-%d")
    if isinstance(value, float):
        if type_ == "year_month":
            return f"{value:.2f}"  # 2019.1 typed as a number is October: 2019.10
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value).strip()
    return text or None
