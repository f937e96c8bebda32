"""Reading headers: encodings decided in Python first, so mistakes are located."""

from __future__ import annotations

import pytest

from compiler.errors import FerryError, Span
from compiler.model import CsvOptions, Source
from compiler.sources import read_header


def source(path: str, **options) -> Source:
    span = Span("s.yaml", 1, 1)
    return Source("s", path, "csv", "id", CsvOptions(**options), span, span, span)


def test_utf16_file_larger_than_the_sample(tmp_path):
    rows = "".join(f"{i},Łódź {i}\n" for i in range(40_000))  # well over 256 KiB in UTF-16
    (tmp_path / "u16.csv").write_text("id,city\n" + rows, encoding="utf-16")
    assert read_header(source("u16.csv", encoding="utf-16"), tmp_path) == ("id", "city")


def test_cp1250_header_and_wrong_encoding_line(tmp_path):
    (tmp_path / "c.csv").write_bytes("id;miasto\n1;Łódź\n".encode("cp1250"))
    assert read_header(source("c.csv", delimiter=";", encoding="cp1250"), tmp_path) == ("id", "miasto")
    with pytest.raises(FerryError) as info:
        read_header(source("c.csv", delimiter=";"), tmp_path)
    assert info.value.diagnostics[0].code == "F306" and "c.csv:2:" in info.value.diagnostics[0].message
