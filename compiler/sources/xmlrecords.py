"""XML sources: repeating records found by a path, flattened to columns, streamed with pyexpat.

``options.record`` names the record element: ``/export/deals/deal`` from the
root, or ``deal`` at any depth. Inside a record:

- the record's attributes are columns by name: ``<deal id="7">`` gives ``id``;
- a child element's text is a column by tag: ``<title>..</title>`` gives ``title``;
- a child's attributes and deeper elements join the path with dots:
  ``<amount currency="EUR">`` gives ``amount.currency``, ``<address><city>``
  gives ``address.city``;
- a name met twice in one record (repeated ``<phone>``) holds the values
  joined with ``"; "``, in document order; whitespace-only text is no value.

Namespace prefixes are dropped (``crm:deal`` is ``deal``). The encoding is the
one the XML declaration states; a file whose declaration names a single-byte
code page (windows-1250) but whose bytes are UTF-8 is an error (F311, F607;
``sources.evidence``). A byte-order mark (U+FEFF) inside a value is removed and
counted, never loaded. At run time the records are written as NDJSON
(``model.READS_AS``), one object per record, so a column that appears only in
later records is still read; at validate time only the first records are read.
pyexpat with callbacks is the fastest XML route in the standard library
(``sources.xmlflatten`` holds them); a large file is converted in parts on all
cores, into the same bytes (``sources.xmlsplit``).
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import Callable
from xml.parsers import expat

from compiler import encodings
from compiler.errors import Diagnostic, FerryError
from compiler.headers import Columns
from compiler.model import Source, XmlOptions
from compiler.sources import documents, xmlflatten, xmlsplit
from compiler.sources.evidence import Marks, check_garbled, check_utf8
from compiler.sources.xmlflatten import Flattener, Record, Stop

_HEAD_RECORDS = 1000
_HEAD_BYTES = 256 * 1024
_DECLARATION = re.compile(rb"""<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_CHUNK = 1 << 20


def declared_encoding(head: bytes) -> str:
    """The encoding an XML file declares (UTF-16 by its byte-order mark; UTF-8 when it says nothing).

    >>> declared_encoding(b'<?xml version="1.0" encoding="windows-1250"?><a/>'), declared_encoding(b"<a/>")
    ('windows-1250', 'utf-8')
    """
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    found = _DECLARATION.match(head.removeprefix(encodings.UTF8_BOM).lstrip())
    return found.group(1).decode("ascii") if found else "utf-8"


def header(source: Source, path: Path) -> Columns:
    if not _record(source):
        raise FerryError(Diagnostic("F310", f"source '{source.name}' is XML and needs `options.record`",
                                    source.span, "name the repeating element, e.g. `options: {record: /export/deals/deal}`"))
    with path.open("rb") as fh:
        raw = fh.read(_HEAD_BYTES)
    encoding = declared_encoding(raw)
    if encodings.single_byte(encoding):
        scan = encodings.Scan(encoding)
        scan.feed(raw)
        found = scan.result(final=len(raw) < _HEAD_BYTES)
        check_utf8(source, path, encoding, found, "F311", before=raw)
        check_garbled(source, path, encoding, found, "F326", before=raw)
    columns: dict[str, None] = {}
    seen: list[int] = [0]

    def take(record: Record) -> None:
        columns.update(dict.fromkeys(record))
        seen[0] += 1
        if seen[0] >= _HEAD_RECORDS:
            raise Stop

    flattener = _parse(source, path, take)
    record = _record(source)
    parent = record.rsplit("/", 1)[0]
    if not seen[0] and record.startswith("/") and parent in flattener.paths \
            and not any(p.startswith(parent + "/") for p in flattener.paths):
        # The records' parent is there and holds no element at all: an empty export. (A parent holding
        # other elements means the path is wrong: F308 below.)
        return Columns((), empty=True)
    if not seen[0]:
        paths = ", ".join(sorted(flattener.paths)[:8])
        raise FerryError(Diagnostic("F308", f"{path}: no element matches record path '{_record(source)}'",
                                    source.option_span("record"), f"paths in the file include: {paths}"))
    return Columns(tuple(columns))


def prepare(source: Source, path: Path, workdir: Path, found: encodings.Evidence | None) -> tuple[Path, Marks]:
    out = workdir / f"{source.name}.xml.ndjson"
    with path.open("rb") as fh:
        encoding = declared_encoding(fh.read(_HEAD_BYTES))
    split = xmlsplit.convert(path, _record(source), encoding, out)
    if split is not None:
        return out, Marks(split.mark_count, split.mark_lines)
    with out.open("w", encoding="utf-8") as sink:
        lines = xmlflatten.Lines(sink)
        flattener = _parse(source, path, lines.emit, lines.flush)
    return out, Marks(flattener.mark_count, tuple(flattener.mark_lines))


def all_columns(source: Source, readable: Path) -> tuple[str, ...]:
    return documents.all_columns(source, readable)


def _record(source: Source) -> str:
    assert isinstance(source.options, XmlOptions)
    return source.options.record


def _parse(source: Source, path: Path, emit: Callable[[Record], None],
           flush: Callable[[], None] = lambda: None) -> Flattener:
    """Parse the whole file, records to ``emit``; ``flush`` after each chunk and at the end (records kept)."""
    flattener = Flattener(_record(source), emit)
    parser = xmlflatten.parser(flattener)
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                parser.Parse(chunk, False)
                flush()
            parser.Parse(b"", True)
            flush()
    except Stop:
        pass
    except expat.ExpatError as exc:
        raise FerryError(Diagnostic(
            "F306", f"{path}:{exc.lineno}:{exc.offset + 1}: not well-formed XML ({expat.errors.messages[exc.code]})",
            source.path_span, "the file is cut short or not XML; re-export it, or check its encoding declaration",
        )) from None
    except LookupError as exc:  # the XML declaration names an encoding Python does not know
        raise FerryError(Diagnostic("F306", f"{path}:1: {exc}", source.path_span,
                                    "fix the file's <?xml ... encoding=\"...\"?> declaration (e.g. windows-1250)")) from None
    return flattener
