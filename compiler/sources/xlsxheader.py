"""The header row of an xlsx sheet, read without openpyxl when the workbook is plain.

In:  a workbook path, the sheet option (None, a 1-based position or a title) and the header row.
Out: the header row's cell values as openpyxl's read-only mode gives them (``values_only``), or
None when the workbook is anything but plain, and the caller asks openpyxl.

``ferry validate`` reads every source's header; importing openpyxl (and numpy, which it imports
when installed) costs more than the rest of a validation. A header is almost always a row of
text cells, so this reads the zip's parts directly and answers only in that case: every sheet a
worksheet whose part exists, the header row present (within the sheet's dimension, if it has
one), and its cells shared strings, inline strings, formula text, booleans, errors or empty.
A number or a date (whose text depends on the cell's style) or anything unexpected returns None;
so does any error, which openpyxl then reports in its own words. tests/unit/test_xlsx_header.py
checks it against openpyxl.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from typing import IO, Iterator
from xml.etree import ElementTree

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_WORKSHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
#: The workbook part's content types, in the order openpyxl looks for them.
_WORKBOOKS = ("application/vnd.ms-excel.template.macroEnabled.main+xml",
              "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
              "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")
_SHARED_STRINGS = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")  # openpyxl refuses any other file name
_REF = re.compile(r"([A-Z]{1,3})([0-9]+)(?::([A-Z]{1,3})([0-9]+))?")
_CELL = re.compile(r"([A-Z]{1,3})([0-9]+)")

Value = str | bool | None


class _NotPlain(Exception):
    """The workbook needs openpyxl."""


def header_cells(path: Path, sheet: int | str | None, header_row: int) -> tuple[Value, ...] | None:
    if path.suffix.lower() not in _SUFFIXES:
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            return _header_cells(archive, sheet, header_row)
    except Exception:  # noqa: BLE001 - anything at all: openpyxl reads it again and says what is wrong
        return None


def _header_cells(archive: zipfile.ZipFile, sheet: int | str | None, header_row: int) -> tuple[Value, ...]:
    parts = {t.attrib["ContentType"]: t.attrib["PartName"].lstrip("/")
             for t in reversed(_parse(archive, "[Content_Types].xml").findall(f"{_TYPES}Override"))}  # the first wins
    book = next(parts[t] for t in _WORKBOOKS if t in parts)
    folder = posixpath.dirname(book)
    rels = _relationships(archive, posixpath.join(folder, "_rels", posixpath.basename(book) + ".rels"))
    sheets = []
    for node in _parse(archive, book).iter(f"{_MAIN}sheet"):
        rel_type, target = rels[node.attrib[f"{_REL}id"]]
        if rel_type != _WORKSHEET:
            raise _NotPlain  # a chart sheet: openpyxl leaves it out of the positions
        part = _resolve(folder, target)
        archive.getinfo(part)  # KeyError: openpyxl skips a sheet whose part is missing
        sheets.append((node.attrib["name"], part))
    if sheet is None:
        part = sheets[0][1]
    elif isinstance(sheet, int):
        part = sheets[sheet - 1][1] if 1 <= sheet <= len(sheets) else _refuse()
    else:
        part = dict(sheets)[sheet]
    cells = _row(archive, part, header_row)
    wanted = [int(v) for kind, v in cells.values() if kind == "s"]
    table = _shared_strings(archive, parts[_SHARED_STRINGS], max(wanted)) if wanted else []
    values = {column: (table[int(v)] if kind == "s" else v) for column, (kind, v) in cells.items()}
    return tuple(values.get(column) for column in range(1, max(values, default=0) + 1))


def _refuse() -> str:
    raise _NotPlain


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    return {r.attrib["Id"]: (r.attrib["Type"], r.attrib["Target"])
            for r in _parse(archive, part).iter(f"{_PKG}Relationship")}


def _resolve(folder: str, target: str) -> str:
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))


def _parse(archive: zipfile.ZipFile, part: str) -> ElementTree.Element:
    with archive.open(part) as fh:
        return ElementTree.parse(fh).getroot()


def _events(fh: IO[bytes]) -> Iterator[tuple[str, ElementTree.Element]]:
    return ElementTree.iterparse(fh, events=("start", "end"))


def _row(archive: zipfile.ZipFile, part: str, header_row: int) -> dict[int, tuple[str, Value]]:
    """Column -> (kind, value) of the header row's non-empty cells: kind "s" is a shared string index."""
    max_column = None
    row_number = 0
    with archive.open(part) as fh:
        for event, node in _events(fh):
            if event == "end" and node.tag == f"{_MAIN}dimension":
                m = _REF.fullmatch(node.attrib["ref"])
                if m is None:
                    raise _NotPlain
                max_column = _column(m.group(3) or m.group(1))
                if header_row > int(m.group(4) or m.group(2)):
                    raise _NotPlain  # beyond the sheet's dimension: openpyxl pads with empty rows
            elif event == "start" and node.tag == f"{_MAIN}row":
                row_number = int(node.attrib["r"]) if "r" in node.attrib else row_number + 1
                if row_number > header_row:
                    raise _NotPlain  # the header row is missing: openpyxl's empty row and its error
            elif event == "end" and node.tag == f"{_MAIN}row" and row_number == header_row:
                return _cells(node, max_column)
            elif event == "end" and node.tag == f"{_MAIN}sheetData":
                break
    raise _NotPlain


def _cells(row: ElementTree.Element, max_column: int | None) -> dict[int, tuple[str, Value]]:
    found: dict[int, tuple[str, Value]] = {}
    column = 0
    for cell in row:
        if cell.tag != f"{_MAIN}c":
            raise _NotPlain
        if "r" in cell.attrib:
            m = _CELL.fullmatch(cell.attrib["r"])
            if m is None:
                raise _NotPlain
            column = _column(m.group(1))
        else:
            column += 1
        kind = cell.attrib.get("t", "n")
        if kind == "inlineStr":
            node = cell.find(f"{_MAIN}is")
            value: Value = None if node is None else _text(node)
        else:
            value = cell.findtext(f"{_MAIN}v") or None
            if value is not None:
                if kind == "b":
                    value = bool(int(value))
                elif kind not in ("s", "str", "e"):
                    raise _NotPlain  # a number or a date: its text depends on the cell's style
        if value is not None:
            found[column] = ("s" if kind == "s" else "v", value)
    # openpyxl reads up to the dimension's last column, else up to the row's last cell
    last = max_column if max_column is not None else column
    return {c: v for c, v in found.items() if c <= last}


def _text(node: ElementTree.Element) -> str:
    """A string item's text as openpyxl's ``Text.content``: its own <t>, then each run's (not phonetic runs)."""
    plain = [t.text for t in node.findall(f"{_MAIN}t")][-1:]  # openpyxl keeps the last of repeated tags
    runs = []
    for run in node.findall(f"{_MAIN}r"):
        texts = [t.text for t in run.findall(f"{_MAIN}t")]
        if texts and texts[-1] is None:
            raise _NotPlain  # a run with an empty <t/>
        runs += texts[-1:]
    return "".join(t for t in plain + runs if t is not None)


def _shared_strings(archive: zipfile.ZipFile, part: str, last: int) -> list[str]:
    """The shared strings up to index ``last``, as openpyxl reads them."""
    table: list[str] = []
    with archive.open(part) as fh:
        for event, node in _events(fh):
            if event == "end" and node.tag == f"{_MAIN}si":
                table.append(_text(node).replace("x005F_", ""))
                node.clear()
                if len(table) > last:
                    break
    return table


def _column(letters: str) -> int:
    n = 0
    for letter in letters:
        n = n * 26 + ord(letter) - 64
    return n
