from __future__ import annotations

import pytest

from compiler.errors import FerryError, Span
from compiler.load import load, parse

TEXT = """\
version: 1
sources:
  contacts:
    path: data/contacts.csv
    id: contact_id
"""


def test_values_and_spans():
    doc = parse("s.yaml", TEXT)
    assert doc.data["sources"]["contacts"]["id"] == "contact_id"
    assert doc.span(("sources", "contacts", "id")) == Span("s.yaml", 5, 9)
    assert doc.key_span(("sources", "contacts", "id")) == Span("s.yaml", 5, 5)


def test_missing_path_falls_back_to_nearest_ancestor():
    doc = parse("s.yaml", TEXT)
    assert doc.span(("sources", "contacts", "options", "delimiter")) == Span("s.yaml", 4, 5)


def test_duplicate_keys_are_errors_not_silently_dropped():
    with pytest.raises(FerryError) as info:
        parse("s.yaml", "a: 1\nb: 2\na: 3\n")
    assert [d.check_tuple() for d in info.value.diagnostics] == [("F002", 3, 1)]
    assert "first defined at line 1" in info.value.diagnostics[0].message


def test_syntax_error_is_located():
    with pytest.raises(FerryError) as info:
        parse("s.yaml", "a: [1, 2\nb: 3\n")
    (diag,) = info.value.diagnostics
    assert diag.code == "F001" and diag.span.line >= 1


def test_missing_file_and_bad_utf8(tmp_path):
    with pytest.raises(FerryError) as info:
        load(tmp_path / "nope.yaml")
    assert info.value.diagnostics[0].code == "F003"
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"version: 1\nname: \xb3odz\n")
    with pytest.raises(FerryError) as info:
        load(bad)
    assert info.value.diagnostics[0].check_tuple() == ("F001", 2, 1)


def test_sha256_follows_text():
    assert parse("a", TEXT).sha256 == parse("b", TEXT).sha256 != parse("a", TEXT + "\n").sha256


def test_keys_are_kept_as_written():
    doc = parse("s.yaml", "map: {tak: 1, nie: 0, yes: y, on: o, 1: one}\n")
    assert list(doc.data["map"]) == ["tak", "nie", "yes", "on", "1"]
    assert doc.data["map"]["yes"] == "y"
