"""The xlsx header read without openpyxl (validate) names the same columns as openpyxl (the run).

Each case is a workbook: written by openpyxl, or one of its parts rewritten by hand as other
programs write them (inline strings, rows and cells without positions, a dimension). The fast
reader answers the plain ones (asserted, so a reader that always gives up fails here) and gives up
on the others (numbers, dates, a header row past the dimension), where openpyxl is asked.
"""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from compiler.errors import Span
from compiler.model import Source, XlsxOptions
from compiler.sources import spreadsheet
from compiler.sources.spreadsheet import column_names
from compiler.sources.xlsxheader import header_cells

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def book(path: Path, sheets: dict[str, list[tuple]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def with_sheet_xml(path: Path, sheet_xml: str, part: str = "xl/worksheets/sheet1.xml") -> Path:
    """The workbook with one worksheet part replaced (other programs write what openpyxl does not)."""
    out = path.with_name("edited_" + path.name)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, sheet_xml.encode() if item.filename == part else src.read(item))
    return out


def openpyxl_header(path: Path, sheet, header_row: int) -> tuple[str, ...]:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[sheet - 1] if isinstance(sheet, int) else wb[sheet] if sheet else wb.worksheets[0]
        return column_names(next(ws.iter_rows(min_row=header_row, values_only=True), None) or ())
    finally:
        wb.close()


def rich() -> CellRichText:
    return CellRichText("Imi", TextBlock(InlineFont(b=True), "ę "), "nazwisko")


PLAIN = {  # (sheets, sheet option, header row)
    "first sheet": ({"Data": [("id", "name", "e-mail")]}, None, 1),
    "by title, row 3": ({"Notes": [("x",)], "Users": [("title",), (), ("user_id", "full_name")]}, "Users", 3),
    "by position": ({"A": [("a",)], "B": [("b1", "b2")]}, 2, 1),
    "gaps and trailing empties": ({"S": [("id", None, "", "  spaced  ", None)]}, None, 1),
    "repeats, booleans, unicode": ({"S": [("name", "name", True, False, "Łódź ÷ Ωmega", "\ufeffbom")]}, None, 1),
    "rich text": ({"S": [("id", rich(), "x_x005F_y")]}, None, 1),
    "formula text kept as written": ({"S": [("id", "=A1")]}, None, 1),
    "many shared strings before": ({"S": [*[(f"v{i}",) for i in range(300)], ("id", "v7", "zz")]}, None, 301),
}

NOT_PLAIN = {
    "a number": ({"S": [("id", 42)]}, None, 1),
    "a date": ({"S": [("id", datetime(2024, 3, 1))]}, None, 1),
    "header row past the end": ({"S": [("id",)]}, None, 5),
    "no such sheet": ({"S": [("id",)]}, "T", 1),
    "no such position": ({"S": [("id",)]}, 3, 1),
}


@pytest.mark.parametrize("case", PLAIN, ids=list(PLAIN))
def test_plain_headers_match_openpyxl(tmp_path, case):
    sheets, sheet, row = PLAIN[case]
    path = book(tmp_path / "b.xlsx", sheets)
    cells = header_cells(path, sheet, row)
    assert cells is not None, "the fast reader gave up on a plain workbook"
    assert column_names(cells) == openpyxl_header(path, sheet, row)


@pytest.mark.parametrize("case", NOT_PLAIN, ids=list(NOT_PLAIN))
def test_the_rest_is_left_to_openpyxl(tmp_path, case):
    sheets, sheet, row = NOT_PLAIN[case]
    assert header_cells(book(tmp_path / "b.xlsx", sheets), sheet, row) is None


HAND_WRITTEN = {
    "inline strings, no positions": (
        f'<worksheet {NS}><sheetData><row><c t="inlineStr"><is><t>skip</t></is></c></row>'
        '<row><c t="inlineStr"><is><t xml:space="preserve"> id </t></is></c><c/><c t="inlineStr"><is>'
        '<r><t>na</t></r><r><rPr/><t>me</t></r><rPh sb="0" eb="1"><t>phonetic</t></rPh></is></c></row></sheetData></worksheet>',
        2, True),
    "dimension narrower than the row": (
        f'<worksheet {NS}><dimension ref="A1:B3"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c>'
        '<c r="B1" t="str"><v>b</v></c><c r="C1" t="inlineStr"><is><t>c</t></is></c></row></sheetData></worksheet>',
        1, True),
    "cells out of order (openpyxl reads up to the last one)": (
        f'<worksheet {NS}><sheetData><row r="1"><c r="C1" t="e"><v>#N/A</v></c><c r="A1" t="str"><v>a</v></c>'
        '</row></sheetData></worksheet>', 1, True),
    "header row beyond the dimension": (
        f'<worksheet {NS}><dimension ref="A1"/><sheetData><row r="1"><c r="A1" t="str"><v>a</v></c></row>'
        '<row r="2"><c r="A2" t="str"><v>b</v></c></row></sheetData></worksheet>', 2, False),
    "header row missing": (
        f'<worksheet {NS}><sheetData><row r="1"><c r="A1" t="str"><v>a</v></c></row><row r="3">'
        '<c r="A3" t="str"><v>b</v></c></row></sheetData></worksheet>', 2, False),
    "a number without a type": (
        f'<worksheet {NS}><sheetData><row r="1"><c r="A1" t="str"><v>a</v></c><c r="B1"><v>7</v></c></row>'
        '</sheetData></worksheet>', 1, False),
}


@pytest.mark.parametrize("case", HAND_WRITTEN, ids=list(HAND_WRITTEN))
def test_hand_written_sheets(tmp_path, case):
    xml, row, plain = HAND_WRITTEN[case]
    path = with_sheet_xml(book(tmp_path / "b.xlsx", {"S": [("placeholder",)]}), xml)
    cells = header_cells(path, None, row)
    assert (cells is not None) == plain
    if plain:
        assert column_names(cells) == openpyxl_header(path, None, row)


def test_validate_and_run_read_the_same_header(tmp_path):
    """``spreadsheet.header`` (validate, fast) names the columns the run's openpyxl reader writes."""
    path = book(tmp_path / "o.xlsx", {"Notes": [("n",)], "Users": [("t",), (), ("id", "name", None, "id")]})
    span = Span("s.yaml", 1, 1)
    src = Source("o", "o.xlsx", "xlsx", "id", XlsxOptions(sheet="Users", header_row=3), span, span, span)
    readable, _ = spreadsheet.prepare(src, path, tmp_path, None)
    assert spreadsheet.header(src, path).names == ("id", "name", "column_3", "id")
    assert readable.read_text("utf-8").splitlines()[0] == "id,name,column_3,id"


def test_other_file_names_are_left_to_openpyxl(tmp_path):
    path = book(tmp_path / "b.xlsx", {"S": [("id",)]})
    assert header_cells(path.rename(tmp_path / "b.xls"), None, 1) is None
