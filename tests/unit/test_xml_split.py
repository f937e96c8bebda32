"""An XML file converted in parts, side by side, gives the bytes and marks one parse gives (``sources.xmlsplit``).

The corpus holds what could make a cut go wrong: record start tags inside CDATA
and comments, a child with the record's name, records sharing a line, CRLF
lines, entities, byte-order marks inside values (their lines are reported),
windows-1250, a byte-order mark before the declaration, namespace prefixes
declared on ancestors, records under several parents. ``_SPLIT_BYTES`` is
lowered so these small files are split, and ``_cuts`` is replaced to cut at
every place that looks like a record start, the false ones included.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from compiler.errors import FerryError, Span
from compiler.model import Source, XmlOptions
from compiler.sources import xmlrecords, xmlsplit

SPAN = Span("spec.yaml", 1, 1)
WORDS = ["Audyt", "Łódź", "Zażółć gęślą", "Модернізація", "a & b", "<x>", "Müller", "R&D \"Premium\""]


def records(n: int, seed: int, prefix: str = "") -> list[str]:
    """``n`` deal elements (``prefix``: a namespace prefix such as ``crm:``), hazards mixed in."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        p = prefix
        title = rng.choice(WORDS).replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
        parts = [f'<{p}deal id="{i}" stage="{rng.choice(["nowa", "w toku", " "])}">',
                 f"<{p}title>{title}</{p}title>",
                 f'<{p}amount currency="{rng.choice(["PLN", "EUR"])}">{rng.randint(1, 10**6) / 100}</{p}amount>']
        for _ in range(rng.randint(0, 2)):
            parts.append(f"<{p}phone>+48 {rng.randint(100, 999)}</{p}phone>")
        if i % 7 == 0:
            parts.append(f'<{p}note><![CDATA[<{p}deal id="cdata{i}"> & </{p}deal> ]]>tail &#x142;</{p}note>')
        if i % 5 == 0:
            parts.append(f'<!-- <{p}deal id="comment{i}"> --><{p}address><{p}city>Kraków</{p}city>'
                         f"<{p}zip>30-001</{p}zip>  </{p}address>")
        if i % 11 == 0:
            parts.append(f'<{p}deal id="nested{i}">child <{p}deal>deeper</{p}deal></{p}deal>')
        if i % 13 == 0:
            parts.append(f"<{p}owner>\ufeffbom{i}</{p}owner>")  # a mark inside a value: removed, its line noted
        if i % 17 == 0:
            parts.append(f"<{p}empty>   </{p}empty><{p}empty/>")
        if i % 19 == 3:  # a namespace declared on the record: its prefix is an attribute like any other
            parts[0] = parts[0].replace(">", ' xmlns:ext="urn:ext">', 1)
            parts.append('<ext:code ext:kind="k">E1</ext:code>')
        sep = rng.choice(["\n  ", "\r\n  ", "", " "])
        out.append(sep.join(parts) + sep + f"</{p}deal>")
    return out


def document(kind: str, n: int = 400) -> bytes:
    if kind == "cp1250":
        body = "\n".join(r for r in records(n, 2) if "Модер" not in r).replace("\ufeff", "&#xFEFF;")  # no Cyrillic
        text = f'<?xml version="1.0" encoding="windows-1250"?>\n<export><deals>\n{body}\n</deals></export>\n'
        return text.encode("cp1250")
    if kind == "namespaces":
        body = "\n".join(records(n, 3, "crm:"))
        return (f'<?xml version="1.0"?>\n<crm:export xmlns:crm="urn:crm" xmlns="urn:x">\n<crm:deals a="1">\n'
                f"{body}\n</crm:deals>\n</crm:export>\n").encode()
    if kind == "parents":  # the relative record path ``deal`` finds records under two parents
        a, b = records(n * 3 // 4, 4), records(n // 4, 5)
        return ("<export>\n<deals>\n" + "\n".join(a) + "\n</deals>\n<archive><old>\n" + "\n".join(b)
                + "\n</old></archive>\n<deals>" + "".join(a[:20]) + "</deals>\n</export>").encode()
    if kind == "bom":
        return b"\xef\xbb\xbf" + document("utf-8", n)
    if kind == "same-line":
        return ("<export><deals>" + "".join(records(n, 6)) + "</deals></export>").encode()
    if kind == "doctype":
        return (b'<?xml version="1.0"?>\n<!DOCTYPE export [<!ENTITY co "ACME &amp; Co">]>\n<export><deals>\n'
                + "\n".join(records(n, 7)).replace("Audyt", "&co;").encode() + b"\n</deals></export>\n")
    body = "\n".join(records(n, 1))
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<export>\n  <deals>\n{body}\n  </deals>\n</export>\n'.encode()


RECORD = {"namespaces": "/export/deals/deal", "parents": "deal"}
SPLIT = ["utf-8", "cp1250", "namespaces", "parents", "bom", "same-line"]


def source(record: str) -> Source:
    return Source("deals", "deals.xml", "xml", "id", XmlOptions(record), SPAN, SPAN, SPAN)


def convert(tmp_path: Path, monkeypatch, data: bytes, record: str, split: bool, name: str) -> tuple[bytes, object, int]:
    """(NDJSON bytes, marks, the number of parts used: 0 when not split) with splitting forced on or off."""
    folder = tmp_path / name
    folder.mkdir()
    (folder / "deals.xml").write_bytes(data)
    monkeypatch.setattr(xmlsplit, "_SPLIT_BYTES", 0 if split else 1 << 62)
    used = []
    real = xmlsplit.convert
    monkeypatch.setattr(xmlsplit, "convert", lambda *a: used.append(r := real(*a)) or r)
    out, marks = xmlrecords.prepare(source(record), folder / "deals.xml", folder, None)
    return out.read_bytes(), marks, used[0].parts if used[0] else 0


@pytest.mark.parametrize("kind", SPLIT)
@pytest.mark.parametrize("cores", [2, 5])
def test_split_gives_the_bytes_of_one_parse(tmp_path, monkeypatch, kind, cores):
    monkeypatch.setattr(xmlsplit, "_cores", lambda: cores)
    data, record = document(kind), RECORD.get(kind, "/export/deals/deal")
    one, one_marks, _ = convert(tmp_path, monkeypatch, data, record, False, "one")
    parts, part_marks, split = convert(tmp_path, monkeypatch, data, record, True, "parts")
    if kind == "parents":  # a cut under the other parent is not a proven record boundary
        assert 1 < split and (cores == 2 or split < cores)
    else:
        assert split == cores, "the file was not split in as many parts as cores, so less was compared"
    assert parts == one
    assert part_marks == one_marks and one_marks.count > 0
    assert sorted(p.name for p in (tmp_path / "parts").iterdir()) == ["deals.xml", "deals.xml.ndjson"]


@pytest.mark.parametrize("kind", ["utf-8", "namespaces", "parents", "same-line"])
def test_cuts_at_false_record_starts_are_proven_wrong(tmp_path, monkeypatch, kind):
    """Cut at every ``<deal`` in the file: in CDATA, in comments, nested, under other parents."""
    data, record = document(kind, 30), RECORD.get(kind, "/export/deals/deal")
    tag = b"<crm:deal" if kind == "namespaces" else b"<deal"
    every = [m.start() for m in re.finditer(re.escape(tag) + rb"[ >/]", data)]
    hazards = [m.start() for m in re.finditer(re.escape(tag) + rb' id="(cdata|comment|nested)', data)]
    assert len(hazards) > 5
    cuts = sorted(set(every[1::4] + hazards))
    monkeypatch.setattr(xmlsplit, "_cuts", lambda *a: cuts)
    one, one_marks, _ = convert(tmp_path, monkeypatch, data, record, False, "one")
    parts, part_marks, split = convert(tmp_path, monkeypatch, data, record, True, "parts")
    assert parts == one and part_marks == one_marks
    assert 1 < split < len(cuts) + 1  # some cuts were proven, some were not


@pytest.mark.parametrize("chunk", [1, 97, 4096])
@pytest.mark.parametrize("kind", ["utf-8", "namespaces", "same-line"])
def test_parts_read_in_small_chunks_stop_at_the_same_records(tmp_path, monkeypatch, kind, chunk):
    """A part checks record starts against its boundaries only in the chunk that reaches the next one:
    read in chunks smaller than a record (and than a tag), false and true cuts still give one parse's bytes."""
    data, record = document(kind, 60), RECORD.get(kind, "/export/deals/deal")
    tag = b"<crm:deal" if kind == "namespaces" else b"<deal"
    every = [m.start() for m in re.finditer(re.escape(tag) + rb"[ >/]", data)]
    monkeypatch.setattr(xmlsplit, "_cuts", lambda *a: every[1::3])
    one, one_marks, _ = convert(tmp_path, monkeypatch, data, record, False, "one")
    _, _, whole = convert(tmp_path, monkeypatch, data, record, True, "whole")  # each part read in one chunk
    monkeypatch.setattr(xmlsplit, "_CHUNK", chunk)
    parts, part_marks, split = convert(tmp_path, monkeypatch, data, record, True, "parts")
    assert parts == one and part_marks == one_marks
    assert split == whole and 2 < split < len(every[1::3]) + 1  # the same cuts proven: none missed


def test_the_hazards_read_as_before(tmp_path, monkeypatch):
    """Pinned from the one-process reader before the split existed."""
    out, marks, split = convert(tmp_path, monkeypatch, document("utf-8", 14), "/export/deals/deal", True, "x")
    rows = out.decode().splitlines()
    assert split and len(rows) == 14
    assert rows[0] == ('{"id":"0","title":"Zażółć gęślą","amount.currency":"PLN","amount":"2674.6",'
                       '"note":"<deal id=\\"cdata0\\"> & </deal> tail ł","address.city":"Kraków","address.zip":"30-001",'
                       '"deal.id":"nested0","deal.deal":"deeper","deal":"child ","owner":"bom0"}')
    assert rows[2] == ('{"id":"2","stage":"nowa","title":"R&D \\"Premium\\"","amount.currency":"EUR","amount":"4537.9",'
                       '"phone":"+48 880; +48 885"}')
    assert rows[3] == ('{"id":"3","stage":"w toku","ext":"urn:ext","title":"R&D \\"Premium\\"","amount.currency":"PLN",'
                       '"amount":"6198.7","code.kind":"k","code":"E1"}')
    assert (marks.count, marks.lines) == (2, (4, 53))


def test_a_file_with_a_dtd_is_parsed_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(xmlsplit, "_cores", lambda: 2)
    data = document("doctype")
    one, _, _ = convert(tmp_path, monkeypatch, data, "/export/deals/deal", False, "one")
    parts, _, split = convert(tmp_path, monkeypatch, data, "/export/deals/deal", True, "parts")
    assert not split and parts == one and b"ACME & Co" in one


@pytest.mark.parametrize("why", ["utf-16", "one core", "no records", "small"])
def test_files_that_are_not_split(tmp_path, monkeypatch, why):
    data = document("utf-8")
    monkeypatch.setattr(xmlsplit, "_cores", lambda: 1 if why == "one core" else 2)
    if why == "utf-16":
        data = data.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    if why == "no records":
        data = b'<?xml version="1.0"?>\n<export><deals>' + b" " * 100_000 + b"</deals></export>\n"
    (tmp_path / "deals.xml").write_bytes(data)
    threshold = len(data) + 1 if why == "small" else 0
    monkeypatch.setattr(xmlsplit, "_SPLIT_BYTES", threshold)
    assert xmlsplit.convert(tmp_path / "deals.xml", "/export/deals/deal", xmlrecords.declared_encoding(data),
                            tmp_path / "out.ndjson") is None


@pytest.mark.parametrize("where", ["early", "late", "cut short"])
def test_an_error_is_located_as_by_one_parse(tmp_path, monkeypatch, where):
    monkeypatch.setattr(xmlsplit, "_cores", lambda: 3)
    data = document("utf-8")
    at = data.index(b"<deal ", len(data) // 10 if where == "early" else len(data) * 9 // 10)
    data = data[:-30] if where == "cut short" else data[:at] + b"<deal id='x'><a></deal>" + data[at:]
    messages = []
    for split in (False, True):
        with pytest.raises(FerryError) as info:
            convert(tmp_path, monkeypatch, data, "/export/deals/deal", split, f"s{split}")
        problem = info.value.diagnostics[0]
        messages.append((problem.code, problem.message.replace(f"s{split}", "s")))
    assert messages[0] == messages[1] and messages[0][0] == "F306"


@pytest.mark.parametrize("c_encoder", [True, False])
def test_records_are_written_as_json_dumps_writes_them(monkeypatch, c_encoder):
    import io
    import json

    from compiler.sources import xmlflatten

    if not c_encoder:
        monkeypatch.setattr(xmlflatten._json, "c_make_encoder", None)
    records = [{"id": "1", "t": 'a "q" \\ \n\t\u0142\u2028 </x>'}, {}, {"é": "\U0001f600", "a.b": "x; y"}]
    sink = io.StringIO()
    emit = xmlflatten.ndjson(sink)
    for record in records:
        emit(record)
    assert sink.getvalue() == "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records)


def test_parts_are_joined_without_sendfile_too(tmp_path, monkeypatch):
    def refuse(*args):
        raise OSError("not between two files here")

    monkeypatch.setattr(xmlsplit, "_cores", lambda: 3)
    data = document("utf-8")
    one, _, _ = convert(tmp_path, monkeypatch, data, "/export/deals/deal", False, "one")
    monkeypatch.setattr(xmlsplit.os, "sendfile", refuse)
    parts, _, split = convert(tmp_path, monkeypatch, data, "/export/deals/deal", True, "parts")
    assert split == 3 and parts == one
