"""Reading headers: encodings decided in Python first, so mistakes are located."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from compiler.errors import FerryError, Span
from compiler.model import CsvOptions, JsonOptions, Source, XlsxOptions, XmlOptions
from compiler.sources import prepare_input, read_header
from compiler.sources.spreadsheet import cell_text, column_names


def source(path: str, **options) -> Source:
    span = Span("s.yaml", 1, 1)
    return Source("s", path, "csv", "id", CsvOptions(**options), span, span, span)


def test_utf16_file_larger_than_the_sample(tmp_path):
    rows = "".join(f"{i},Łódź {i}\n" for i in range(40_000))  # well over 256 KiB in UTF-16
    (tmp_path / "u16.csv").write_text("id,city\n" + rows, encoding="utf-16")
    assert read_header(source("u16.csv", encoding="utf-16"), tmp_path).names == ("id", "city")


def test_cp1250_header_and_wrong_encoding_line(tmp_path):
    (tmp_path / "c.csv").write_bytes("id;miasto\n1;Łódź\n".encode("cp1250"))
    assert read_header(source("c.csv", delimiter=";", encoding="cp1250"), tmp_path).names == ("id", "miasto")
    with pytest.raises(FerryError) as info:
        read_header(source("c.csv", delimiter=";"), tmp_path)
    assert info.value.diagnostics[0].code == "F306" and "c.csv:2:" in info.value.diagnostics[0].message


def xml_source(path: str, record: str) -> Source:
    span = Span("s.yaml", 1, 1)
    return Source("s", path, "xml", "id", XmlOptions(record), span, span, span)


def test_xml_head_and_run_read_the_same_records(tmp_path):
    (tmp_path / "d.xml").write_text(
        "<a><b><r k='1'><x>1</x><y><z w='q'>deep</z></y></r><r><x>2</x><x>3</x><extra>e</extra></r>"
        "<r>   </r></b></a>", encoding="utf-8")
    src = xml_source("d.xml", "/a/b/r")
    assert read_header(src, tmp_path).names == ("k", "x", "y.z.w", "y.z", "extra")
    ndjson = prepare_input(src, tmp_path, tmp_path).readable
    lines = [json.loads(line) for line in ndjson.read_text("utf-8").splitlines()]
    assert lines == [{"k": "1", "x": "1", "y.z.w": "q", "y.z": "deep"}, {"x": "2; 3", "extra": "e"}, {}]
    assert read_header(xml_source("d.xml", "r"), tmp_path) == read_header(src, tmp_path)


def test_xml_errors_are_located(tmp_path):
    (tmp_path / "bad.xml").write_text("<a>\n<r><x>1</x></r>\n<r><x>2</r>\n</a>", encoding="utf-8")
    with pytest.raises(FerryError) as info:
        prepare_input(xml_source("bad.xml", "r"), tmp_path, tmp_path)
    assert info.value.diagnostics[0].code == "F306" and "bad.xml:3:" in info.value.diagnostics[0].message
    (tmp_path / "ok.xml").write_text("<a>\n<r><x>1</x></r>\n</a>", encoding="utf-8")
    with pytest.raises(FerryError) as info:
        read_header(xml_source("ok.xml", "/a/record"), tmp_path)
    assert info.value.diagnostics[0].code == "F308" and "/a/r" in info.value.diagnostics[0].hint


def test_a_csv_named_xlsx_is_a_clear_error(tmp_path):
    (tmp_path / "o.xlsx").write_text("id,name\n1,x\n", encoding="utf-8")
    span = Span("s.yaml", 1, 1)
    with pytest.raises(FerryError) as info:
        read_header(Source("s", "o.xlsx", "xlsx", "id", XlsxOptions(), span, span, span), tmp_path)
    assert info.value.diagnostics[0].code == "F306" and "as xlsx" in info.value.diagnostics[0].message


def test_header_cells_become_names_with_repeats_kept():
    # repeats stay as written: DuckDB renames them when it reads the converted CSV, as in any CSV
    assert column_names(("id", None, "id", " name ", 3.0, None, None)) == ("id", "column_2", "id", "name", "3")
    assert column_names(("\ufeffa", "a", "a_2")) == ("a", "a", "a_2")


@pytest.mark.parametrize("value,text", [
    (None, None), ("", None), (True, "true"), (42.0, "42"), (1234.5, "1234.5"), (7, "7"),
    (datetime(2024, 3, 1), "2024-03-01"), (datetime(2024, 3, 1, 9, 5), "2024-03-01 09:05:00"),
])
def test_cells_read_as_excel_shows_them(value, text):
    assert cell_text(value) == text


def test_json_array_given_as_ndjson_names_the_fix(tmp_path):
    (tmp_path / "a.json").write_text('[{"id": 1}]', encoding="utf-8")
    span = Span("s.yaml", 1, 1)
    with pytest.raises(FerryError) as info:
        read_header(Source("s", "a.json", "ndjson", "id", JsonOptions(), span, span, span), tmp_path)
    assert info.value.diagnostics[0].code == "F306"
    assert read_header(Source("s", "a.json", "json", "id", JsonOptions(), span, span, span), tmp_path).names == ("id",)
