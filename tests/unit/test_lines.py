"""compiler.sources.lines: which line breaks a file mixes, the copy with one kind, the line of an offset."""

from __future__ import annotations

import codecs

import pytest

from compiler.sources import lines
from compiler.sources.lines import Endings, line_at, normalize, single_byte_breaks


def mixed(*chunks: bytes) -> bool:
    endings = Endings()
    for chunk in chunks:
        endings.feed(chunk)
    return endings.mixed


def test_one_kind_of_break_is_not_mixed_and_two_are():
    assert not mixed(b"a\nb\n") and not mixed(b"a\r\nb\r\n") and not mixed(b"a\rb\r") and not mixed(b"")
    assert mixed(b"a\r\nb\n") and mixed(b"a\nb\r") and mixed(b"a\rb\r\n")
    assert not mixed(b"a\r", b"\nb\r\n") and not mixed(b"a\r", b"\nb\r", b"\nc\r\n")  # \r|\n split: one break
    assert mixed(b"a\r", b"b\n")
    assert not single_byte_breaks("utf-16") and single_byte_breaks("cp1250")


@pytest.mark.parametrize("data,mixes", [(b"a\r\nb\r\n", False), (b"a\r\nb\n", True), (b"a\rb\r", False),
                                        (b"a\rb\r\n", True), (b"a\nb\r\r\n", True)])
def test_small_and_large_chunks_count_alike(data, mixes):
    """A small chunk is counted with bytes.count, a large one with numpy: the same kinds of break."""
    small, large = Endings(), Endings()
    small.feed(data)
    large.feed(data * (lines._SMALL // len(data) + 1))
    kinds = lambda e: (e._lf > 0, e._crlf > 0, e._cr > 0 or e._tail_cr)  # noqa: E731
    assert kinds(small) == kinds(large)
    assert small.mixed == large.mixed == mixes


def copy(tmp_path, data: bytes, quote='"', escape='"', delimiter=",", encoding="utf-8") -> bytes:
    (tmp_path / "in.csv").write_bytes(data)
    return normalize(tmp_path / "in.csv", tmp_path / "out.csv", encoding, quote, escape, delimiter).read_bytes()


@pytest.mark.parametrize("data,expected", [
    (b'a,b\r\n1,"x\r\ny"\n2,z\r', b'a,b\n1,"x\r\ny"\n2,z\n'),  # a quoted break is the value's
    (b'a,b\r\n1,x"y\r\n2,z\n', b'a,b\n1,x"y\n2,z\n'),  # a quote inside an unquoted value is text
    (b'a,b\r\n1,"x""\r\n"\n2,z\r\n', b'a,b\n1,"x""\r\n"\n2,z\n'),  # a doubled quote does not close
    (b'a,b\r\n1,""\r\n2,"""\r\n"\n', b'a,b\n1,""\n2,"""\r\n"\n'),  # "" empty; """ opens with a quote in it
    (codecs.BOM_UTF8 + b'"a\r\nb",c\n1,2\r\n', codecs.BOM_UTF8 + b'"a\r\nb",c\n1,2\n'),  # after the file's mark
])
def test_breaks_outside_quotes_become_lf(tmp_path, data, expected):
    assert copy(tmp_path, data) == expected


def test_an_escape_keeps_the_quote_after_it_in_the_value(tmp_path):
    data = b'a;b\r\n1;"x\\";\r\ny"\n2;z\r\n'
    assert copy(tmp_path, data, escape="\\", delimiter=";") == b'a;b\n1;"x\\";\r\ny"\n2;z\n'


def test_long_files_are_copied_whole(tmp_path):
    rows = b"".join(b'%d,"v\r\n%d"%s' % (i, i, b"\r\n" if i % 2 else b"\n") for i in range(200_000))
    out = copy(tmp_path, b"a,b\n" + rows)
    assert out.count(b"\r\n") == 200_000 and out.count(b"\n") == 400_001 and b"\r\n\n" not in out


@pytest.mark.parametrize("encoding,data", [
    ("utf-8", "id,n\n1,\"Ł\r\nx\"\r\n\r\n2,żółw\n3\n"),
    ("utf-8", "\ufeffid,n\r1,a\r3\r"),
    ("latin-1", "id,n\n1,é\n3\n"),
    ("utf-16", "\ufeffid,n\n1,Ł\n3\n"),
])
def test_the_line_of_a_record_is_the_file_line(tmp_path, encoding, data):
    """The offset as DuckDB counts it (UTF-8 of the text, the mark included), exact or one past."""
    path = tmp_path / "f.csv"
    path.write_bytes(data.encode("utf-16-le" if encoding == "utf-16" else encoding))
    start = data.encode("utf-8").rindex(b"3")
    line = data[:data.rindex("3")].replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
    assert line_at(path, encoding, start) == line_at(path, encoding, start + 1) == line
