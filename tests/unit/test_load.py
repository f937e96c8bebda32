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
    with pytest.raises(FerryError) as info:  # a folder: the hint says what to pass
        load(tmp_path)
    assert info.value.diagnostics[0].code == "F003" and "YAML file" in info.value.diagnostics[0].hint
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


BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi"))


@pytest.mark.parametrize("text,where,message", [
    ("version: 1\nname: a\x00b\n", (2, 8), "control character U+0000"),
    ("version: 1\nname: \x1b[31m\n", (2, 7), "control character U+001B"),
    (BILLION_LAUGHS, None, "more than 100,000 values"),
    ("a: " + "[" * 3000 + "]" * 3000, None, "nested more than 64 levels"),
    ("".join("  " * i + f"k{i}:\n" for i in range(100)) + "  " * 100 + "x: 1\n", None, "nested more than 64 levels"),
])
def test_text_that_cannot_be_a_spec_is_one_located_error(text, where, message):
    """Control characters, alias bombs and absurd nesting: a located F001, never a traceback or a hang."""
    with pytest.raises(FerryError) as info:
        parse("s.yaml", text)
    (d,) = info.value.diagnostics
    assert d.code == "F001" and message in d.message and d.span.line >= 1
    if where is not None:
        assert (d.span.line, d.span.col) == where


def test_a_diagnostic_is_one_line_whatever_value_it_quotes():
    from compiler.errors import Diagnostic

    line = Diagnostic("F303", "source has no column 'e\nmail\r'", Span("s.yaml", 3, 5), "did you\nmean").format()
    assert "\n" not in line and "\r" not in line and "'e\\nmail\\r'" in line and "did you\\nmean" in line


@pytest.mark.parametrize("value", ["a\u2028b", "a\x85b", "a\x0bb\x0cc", "a\x1cb\x1dc\x1ed", "a\u2029b",
                                   "a\x1b[31mb", "a\x00b\x7f"])
def test_a_diagnostic_escapes_every_line_break_and_control_character(value):
    """str.splitlines breaks at U+2028, NEL and form feed too, and a terminal acts on ESC: all shown
    escaped (found by tests/fuzz), in the message, the hint and the path alike; a tab stays."""
    from compiler.errors import Diagnostic

    line = Diagnostic("F305", f"unknown encoding '{value}'\t", Span(f"data/{value}.csv", 3, 5), value).format()
    assert len(line.splitlines()) == 1 and "\t" in line
    assert line.replace("\t", "").isprintable(), line
    assert repr(value)[1:-1] in line
