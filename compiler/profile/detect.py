"""How to read a file nobody described yet: its format, encoding, delimiter, header row, record path.

In:  a path.
Out: ``model.Format`` with one evidence line per choice (which bytes, rows or elements decided
it), and ``to_source``: the ``model.Source`` a spec would declare, so the readers in
``compiler.sources`` convert and read the file exactly as a run will.

- **Format**: the extension (.csv/.tsv/.txt, .xlsx, .json, .ndjson/.jsonl, .xml), else the first
  byte that is not blank (``<`` XML, ``[`` JSON, ``{`` NDJSON, anything else CSV).
- **Encoding** (CSV): a byte-order mark decides; else every byte is read once. All bytes below
  0x80: UTF-8 (plain ASCII reads the same in every candidate). Every byte from 0x80 in a
  well-formed UTF-8 sequence: UTF-8 (``compiler.encodings`` explains why real code-page text
  almost never is). Otherwise a single-byte code page: latin-1, cp1252, cp1250, iso8859-2 or
  cp1251, the one whose reading finds the most letters of one language (``profile.codepages``);
  the bytes on which it and the runner-up disagree are the evidence.
- **Delimiter**: of ``,`` ``;`` tab and ``|``, the one that splits the first rows into the same
  number (more than one) of fields most often.
- **xlsx header row**: the first row of text cells as wide as the rows below it (exports put a
  title and a blank row above the header).
- **XML record**: the most frequent element with children or attributes, the shallowest on a tie.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from pathlib import Path
from xml.parsers import expat

import numpy as np

from compiler import encodings
from compiler.errors import Diagnostic, FerryError, Span
from compiler.model import CsvOptions, JsonOptions, Source, XlsxOptions, XmlOptions
from compiler.profile import codepages
from compiler.profile.model import Format

_EXTENSIONS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".json": "json",
               ".ndjson": "ndjson", ".jsonl": "ndjson", ".xml": "xml"}
_DELIMITERS = (",", ";", "\t", "|")
_CHUNK = 1 << 20
_HEAD = 256 * 1024
_SHOWN_BYTES = 4


def detect(path: Path) -> Format:
    """How to read ``path`` (F800 when it cannot be read at all)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(_HEAD)
    except OSError as exc:
        raise FerryError(Diagnostic("F800", f"{path}: cannot read ({exc.strerror})", Span(str(path)),
                                    "pass files that exist, or a folder of exports")) from None
    fmt, why = _format(path, head)
    name = source_name(path)
    if fmt == "xlsx":
        return _xlsx(path, name, why)
    if fmt in ("json", "ndjson"):
        return Format(str(path), name, fmt, "utf-8", evidence=(why, "JSON is UTF-8 (RFC 8259)"))
    if fmt == "xml":
        return _xml(path, name, head, why)
    encoding, evidence = detect_encoding(path)
    delimiter, split = _delimiter(head, encoding)
    return Format(str(path), name, "csv", encoding, delimiter=delimiter, evidence=(why, *evidence, split))


def source_name(path: Path) -> str:
    """The file's stem as a spec name: ``Contacts 2024.csv`` -> ``contacts_2024``."""
    name = re.sub(r"[^0-9a-z]+", "_", path.stem.lower()).strip("_") or "source"
    return f"s_{name}" if name[0].isdigit() else name


def to_source(found: Format, id_column: str = "") -> Source:
    """The spec's source for a detected file (paths as given: the readers take a base folder)."""
    span = Span(found.path)
    if found.format == "csv":
        options = CsvOptions(delimiter=found.delimiter or ",", encoding=found.encoding or "utf-8")
    elif found.format == "xlsx":
        options = XlsxOptions(sheet=found.sheet, header_row=found.header_row or 1)
    elif found.format == "xml":
        options = XmlOptions(record=found.record or "")
    else:
        options = JsonOptions()
    return Source(found.name, Path(found.path).name, found.format, id_column, options, span, span, span)


def _format(path: Path, head: bytes) -> tuple[str, str]:
    suffix = path.suffix.lower()
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix], f"format {_EXTENSIONS[suffix]}: the extension {suffix}"
    text = head.removeprefix(encodings.UTF8_BOM).lstrip()
    first = text[:1]
    fmt = {b"<": "xml", b"[": "json", b"{": "ndjson"}.get(first, "csv")
    if fmt == "csv" and head.startswith(b"PK\x03\x04"):
        return "xlsx", "format xlsx: a zip archive (an Excel 2007+ workbook)"
    return fmt, f"format {fmt}: the first character is {first.decode('latin-1')!r}" if first else f"format {fmt}: empty"


def detect_encoding(path: Path) -> tuple[str, tuple[str, ...]]:
    """The encoding of a text file, and the evidence: which bytes decided it (one pass over the file)."""
    with path.open("rb") as fh:
        start = fh.read(4)
    if start.startswith(encodings.UTF8_BOM):
        return "utf-8", ("encoding utf-8: the file starts with a UTF-8 byte-order mark (EF BB BF)",)
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", (f"encoding utf-16: the file starts with a UTF-16 byte-order mark ({start[:2].hex(' ')})",)
    counts = np.zeros(256, dtype=np.int64)
    beside = np.zeros(256, dtype=np.int64)  # bytes from 0x80 next to an ASCII letter (codepages: Cyrillic)
    decoder = codecs.getincrementaldecoder("utf-8")()
    bad: tuple[int, int, bytes] | None = None  # (line, offset, bytes) of the first byte that is not UTF-8
    first: tuple[int, bytes] | None = None  # (line, bytes) of the first multi-byte sequence
    lines, offset = 1, 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            data = np.frombuffer(chunk, dtype=np.uint8)
            counts += np.bincount(data, minlength=256)
            if not chunk.isascii():
                beside += np.bincount(data[_beside_latin(data)], minlength=256)
            if first is None and not chunk.isascii():
                at = re.search(rb"[\x80-\xff]", chunk).start()
                first = (lines + chunk.count(b"\n", 0, at), chunk[at:at + _SHOWN_BYTES])
            if bad is None:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    at = max(exc.start, 0)
                    bad = (lines + chunk.count(b"\n", 0, at), offset + at, chunk[at:at + 1])
            lines += chunk.count(b"\n")
            offset += len(chunk)
    if bad is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            bad = (lines, offset, b"")
    high = {b: int(counts[b]) for b in range(0x80, 0x100) if counts[b]}
    if not high:
        return "utf-8", ("encoding utf-8: every byte is ASCII (the file reads the same in UTF-8, cp1250 and latin-1)",)
    if bad is None:
        line, seq = first
        char = seq.decode("utf-8", errors="ignore")[:1]
        return "utf-8", (f"encoding utf-8: all {sum(high.values()):,} bytes from 0x80 form well-formed UTF-8 "
                         f"sequences; the first, line {line}: {char!r} ({seq[:len(char.encode())].hex(' ')})",)
    return codepages.choose(high, {b: int(beside[b]) for b in high if beside[b]}, bad)


def _beside_latin(data: np.ndarray) -> np.ndarray:
    """Where a byte from 0x80 has an ASCII letter just before or after it."""
    folded = data | 0x20
    latin = (folded >= ord("a")) & (folded <= ord("z"))
    near = np.zeros(len(data), dtype=bool)
    near[1:] |= latin[:-1]
    near[:-1] |= latin[1:]
    return near & (data >= 0x80)


def _delimiter(head: bytes, encoding: str) -> tuple[str, str]:
    text = head.decode(encoding if encoding != "utf-8" else "utf-8-sig", errors="replace")
    if len(head) == _HEAD and "\n" in text:
        text = text[: text.rfind("\n") + 1]
    rows = text.splitlines()[:200]
    found: dict[str, tuple[float, int]] = {}
    for delimiter in _DELIMITERS:
        widths = Counter(len(r) for r in csv.reader(io.StringIO("\n".join(rows)), delimiter=delimiter))
        width, n = widths.most_common(1)[0] if widths else (1, 0)
        found[delimiter] = (n / max(sum(widths.values()), 1) if width > 1 else 0.0, width)
    best = max(_DELIMITERS, key=lambda d: found[d])
    share, width = found[best]
    if share == 0:
        return ",", "delimiter ',': no candidate splits the rows (one column)"
    others = "; ".join(f"{d!r}: {w} fields in {s:.0%}" for d, (s, w) in found.items() if d != best and s)
    return best, (f"delimiter {best!r}: {width} fields in {share:.0%} of the first {len(rows)} rows"
                  + (f" (else {others})" if others else ""))


def _xlsx(path: Path, name: str, why: str) -> Format:
    import openpyxl  # only for workbooks
    import zipfile

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FerryError(Diagnostic("F800", f"{path}: cannot read as xlsx ({type(exc).__name__})", Span(str(path)),
                                    "save it as an Excel 2007+ workbook (.xlsx)")) from None
    try:
        sheet = book.worksheets[0]
        rows = [tuple(c for c in row) for row in sheet.iter_rows(max_row=30, values_only=True)]
        title = sheet.title
    finally:
        book.close()
    filled = [sum(c is not None and str(c).strip() != "" for c in row) for row in rows]
    width = max(filled[1:] or filled or [0])
    header = next((i + 1 for i, row in enumerate(rows) if filled[i] >= max(width, 1)
                   and all(isinstance(c, str) for c in row if c is not None)), 1)
    above = f"; rows above it have {', '.join(str(n) for n in filled[:header - 1])} cells" if header > 1 else ""
    return Format(str(path), name, "xlsx", None, header_row=header, sheet=title,
                  evidence=(why, f"sheet {title!r}: the first sheet",
                            f"header row {header}: {filled[header - 1] if rows else 0} text cells, as wide as the "
                            f"rows below{above}"))


def _xml(path: Path, name: str, head: bytes, why: str) -> Format:
    from compiler.sources.xmlrecords import declared_encoding

    encoding = declared_encoding(head)
    paths: Counter[str] = Counter()
    parents: set[str] = set()
    stack: list[str] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = tag.rsplit(":", 1)[-1]
        if stack:
            parents.add(stack[-1])
        stack.append(f"{stack[-1] if stack else ''}/{local}")
        paths[stack[-1]] += 1
        if attrs:
            parents.add(stack[-1])

    def end(tag: str) -> None:
        stack.pop()

    parser = expat.ParserCreate()
    parser.StartElementHandler, parser.EndElementHandler = start, end
    try:
        parser.Parse(head, len(head) < _HEAD)
    except expat.ExpatError as exc:
        if len(head) < _HEAD or not paths:
            raise FerryError(Diagnostic("F800", f"{path}:{exc.lineno}: not well-formed XML", Span(str(path)),
                                        "re-export the file, or check its encoding declaration")) from None
    records = [(n, p) for p, n in paths.items() if p in parents and n > 1]
    if not records:
        raise FerryError(Diagnostic("F801", f"{path}: no repeating element found in its first {len(head):,} bytes",
                                    Span(str(path)), "an XML export needs one element per record"))
    most = max(n for n, _ in records)
    record = min((p for n, p in records if n >= 0.9 * most), key=lambda p: (p.count("/"), p))
    return Format(str(path), name, "xml", encoding, record=record,
                  evidence=(why, f"encoding {encoding}: the XML declaration" if b"encoding" in head[:200]
                            else "encoding utf-8: no XML declaration names one",
                            f"record {record}: {paths[record]} elements with children or attributes in the first "
                            f"{len(head):,} bytes, the most repeated"))
