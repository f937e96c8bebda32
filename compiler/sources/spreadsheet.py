"""xlsx sources: one sheet, a header row, streamed row by row with openpyxl's read-only mode.

At run time the sheet becomes a UTF-8 CSV that the compiled SQL reads like any
other CSV (``model.READS_AS``). Cell values become text the way a person reads
them in Excel, so nothing is guessed later:

- numbers: ``42`` (not ``42.0``), ``1234.5``; the cell's number format is ignored;
- dates and times: ISO 8601, ``2024-03-01`` for a date without a time;
- booleans: ``true`` / ``false``; empty cells and empty strings: NULL.

Header cells are the column names: an empty one is named ``column_<n>`` (its
1-based position). A repeated name is written as it is, so DuckDB names the
second ``name_1`` as it does in any CSV, and a spec says ``name#2``
(``compiler.headers``). Rows with no value at all are skipped (Excel keeps
formatted empty rows); values to the right of the last named column are not
read. A byte-order mark (U+FEFF) in a cell is removed and counted.
"""

from __future__ import annotations

import csv
import zipfile
from xml.etree import ElementTree
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Iterator

from compiler import encodings
from compiler.errors import Diagnostic, FerryError, did_you_mean
from compiler.headers import Columns, duckdb_names
from compiler.model import Source, XlsxOptions
from compiler.sources import xlsxheader
from compiler.sources.evidence import MARK, MarkLog, Marks


def header(source: Source, path: Path) -> Columns:
    assert isinstance(source.options, XlsxOptions)
    cells = xlsxheader.header_cells(path, source.options.sheet, source.options.header_row)
    if cells is not None and (names := column_names(cells)):  # a plain workbook: openpyxl is not imported
        return Columns(names, duckdb_names(names))
    with _Sheet(source, path) as sheet:
        return Columns(sheet.columns, duckdb_names(sheet.columns))


def prepare(source: Source, path: Path, workdir: Path, found: encodings.Evidence | None) -> tuple[Path, Marks]:
    out = workdir / f"{source.name}.xlsx.csv"
    marks = MarkLog()
    with _Sheet(source, path) as sheet, out.open("w", encoding="utf-8", newline="") as sink:
        writer = csv.writer(sink, lineterminator="\n")
        writer.writerow(sheet.columns)
        written = 0
        try:
            for number, row in sheet.rows():
                writer.writerow([marks.clean(v, number) if v is not None and MARK in v else v for v in row])
                written += 1
        except (ElementTree.ParseError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise sheet.error(f"{path}: sheet '{sheet.sheet.title}' is unreadable after data row {written} "
                              f"({type(exc).__name__}: {exc})", "the file is damaged or cut short; re-export it") \
                from None
    return out, marks.marks()


def all_columns(source: Source, readable: Path) -> tuple[str, ...]:
    with readable.open(encoding="utf-8", newline="") as fh:
        return tuple(next(csv.reader(fh)))


def cell_text(value: Any) -> str | None:
    """One cell as text, as Excel shows it without number formats."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    return str(value)


def column_names(cells: tuple[Any, ...]) -> tuple[str, ...]:
    """Header cells to non-empty names, repeats kept; trailing empty cells are not columns."""
    texts = [(cell_text(c) or "").replace(MARK, "").strip() for c in cells]
    while texts and not texts[-1]:
        texts.pop()
    return tuple(text or f"column_{position}" for position, text in enumerate(texts, start=1))


class _Sheet:
    """The chosen sheet of an open workbook, positioned after its header row."""

    def __init__(self, source: Source, path: Path):
        assert isinstance(source.options, XlsxOptions)
        self.source, self.path, self.options = source, path, source.options

    def __enter__(self) -> "_Sheet":
        import openpyxl  # imported here: only xlsx sources pay for it
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            self.book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
            raise self._error(f"cannot read {self.path} as xlsx ({type(exc).__name__}: {exc})",
                              "is it an Excel 2007+ workbook? Old .xls files must be saved as .xlsx first") from None
        try:
            self.sheet = self._pick_sheet()
            self._rows = self.sheet.iter_rows(min_row=self.options.header_row, values_only=True)
            first = next(self._rows, None)
            self.columns = column_names(tuple(first or ()))
            if not self.columns:
                raise self._error(f"{self.path}: row {self.options.header_row} of sheet '{self.sheet.title}' is empty",
                                  "set `options.header_row` to the row that names the columns", option="header_row")
        except BaseException:
            self.book.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.book.close()

    def rows(self) -> Iterator[tuple[int, list[str | None]]]:
        """(sheet row number, values) for each row with a value."""
        width = len(self.columns)
        for number, cells in enumerate(self._rows, start=self.options.header_row + 1):
            values = [cell_text(c) for c in cells[:width]]
            if any(v is not None for v in values):
                yield number, values + [None] * (width - len(values))

    def _pick_sheet(self) -> Any:
        wanted = self.options.sheet
        titles = self.book.sheetnames
        if wanted is None:
            return self.book.worksheets[0]
        if isinstance(wanted, int):
            if wanted <= len(titles):
                return self.book.worksheets[wanted - 1]
            raise self._error(f"{self.path} has {len(titles)} sheet(s), not {wanted}",
                              f"sheets: {', '.join(titles)}", code="F307", option="sheet")
        if wanted in titles:
            return self.book[wanted]
        raise self._error(f"{self.path} has no sheet '{wanted}'",
                          did_you_mean(wanted, titles) or f"sheets: {', '.join(titles)}", code="F307", option="sheet")

    def error(self, message: str, hint: str) -> FerryError:
        return self._error(message, hint)

    def _error(self, message: str, hint: str, code: str = "F306", option: str = "") -> FerryError:
        return FerryError(Diagnostic(code, message, self.source.option_span(option), hint))
