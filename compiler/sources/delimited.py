"""CSV sources: the header read in Python, code pages DuckDB cannot read transcoded in Python.

DuckDB 2.0 reads UTF-8, UTF-16 and Latin-1 only. Everything else (cp1250 from
Polish and Czech Windows exports, cp1251, ...) is decoded in Python: the head
at validate time, so a wrong ``encoding`` is reported with the line and byte
that give it away, and the whole file at run time, streamed into UTF-8.

A UTF-8 file declared in a single-byte code page decodes without an error, so
its head is checked for UTF-8 first (F311, ``sources.evidence``). The header's
cells are kept as written (repeats too) beside the names DuckDB reads them by
(``phone`` and ``phone_1``), so a spec reading a repeated name can be told which
is which (``compiler.headers``); the rows are DuckDB's (``sources.csvrows``).
"""

from __future__ import annotations

import codecs
from pathlib import Path

from compiler import encodings
from compiler.errors import Diagnostic, FerryError
from compiler.headers import Columns
from compiler.model import CsvOptions, Source
from compiler.sources.csvrows import header_columns
from compiler.sources.evidence import (MARK, Marks, check_garbled, check_utf8, repeated_header, repeated_header_error,
                                       strip_marks)

_HEAD_BYTES = 256 * 1024
_CHUNK = 1 << 20


def _options(source: Source) -> CsvOptions:
    assert isinstance(source.options, CsvOptions)
    return source.options


def header(source: Source, path: Path) -> Columns:
    with path.open("rb") as fh:
        raw = fh.read(_HEAD_BYTES)
    complete = len(raw) < _HEAD_BYTES
    if encodings.single_byte(source.encoding):
        scan = encodings.Scan(source.encoding)
        scan.feed(raw)
        found = scan.result(final=complete)
        check_utf8(source, path, source.encoding, found, "F311", before=raw)
        check_garbled(source, path, source.encoding, found, "F326", before=raw)
    decoder = codecs.getincrementaldecoder(source.encoding)(errors="strict")
    try:
        text = decoder.decode(raw, final=complete)  # a character split at the end is not an error
    except UnicodeDecodeError as exc:
        raise FerryError(_decode_error(source, path, raw, exc.start)) from None
    except UnicodeError as exc:  # utf-16 without a byte-order mark: the byte order is not known
        raise FerryError(Diagnostic("F306", f"{path}:1: {exc} (declared {source.encoding})", source.path_span,
                                    "set `options.encoding` to utf-16-le (Windows exports) or utf-16-be")) from None
    if not complete and "\n" in text:
        text = text[: text.rfind("\n") + 1]  # whole lines only
    if _options(source).header and (line := repeated_header(text.split("\n"))):
        raise FerryError(repeated_header_error(source, path, line, "F312"))
    return header_columns(source, path, text, _options(source), len(raw))


def prepare(source: Source, path: Path, workdir: Path, found: encodings.Evidence | None) -> tuple[Path, Marks]:
    """The file itself, or for code pages DuckDB cannot read a UTF-8 transcoding of it (streaming);
    copied once more without them where byte-order marks follow the start (``found`` by the hash scan)."""
    header = _options(source).header
    if not encodings.needs_transcoding(source.encoding):
        if found is None or not found.mark_count:
            return path, Marks()
        out = workdir / f"{source.name}.nobom.csv"
        return out, strip_marks(source, path, source.encoding, out, header)
    out = workdir / f"{source.name}.utf8.csv"
    decoder = codecs.getincrementaldecoder(source.encoding)(errors="strict")
    line, marked, start = 1, False, True
    with path.open("rb") as fh, out.open("w", encoding="utf-8", newline="") as sink:
        while chunk := fh.read(_CHUNK):
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise FerryError(_decode_error(source, path, chunk, exc.start, line_offset=line - 1)) from None
            marked = marked or MARK in (text[1:] if start and text else text)  # utf-16-le, utf-32...: decoded here
            start = start and not text
            sink.write(text)
            line += chunk.count(b"\n")
        sink.write(decoder.decode(b"", final=True))
    if not marked:
        return out, Marks()
    clean = workdir / f"{source.name}.utf8.nobom.csv"
    return clean, strip_marks(source, out, "utf-8", clean, header, named=path)


def all_columns(source: Source, readable: Path, options: CsvOptions | None = None) -> tuple[str, ...]:
    """The columns of a prepared file (transcoded files are UTF-8) by the names DuckDB reads them by.
    ``options``: how the file is written, when not the source's own (xlsx sheets converted to CSV)."""
    o = options or _options(source)
    encoding = "utf-8" if options is not None or encodings.needs_transcoding(o.encoding) else o.encoding
    with readable.open("rb") as fh:
        raw = fh.read(_HEAD_BYTES)
    complete = len(raw) < _HEAD_BYTES
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(raw, final=complete)
    return header_columns(source, readable, text, o, len(raw)).physical


def _decode_error(source: Source, path: Path, raw: bytes, offset: int, line_offset: int = 0) -> Diagnostic:
    line = line_offset + raw[:offset].count(b"\n") + 1
    return Diagnostic("F306", f"{path}:{line}: byte 0x{raw[offset]:02x} is not valid {source.encoding}",
                      source.path_span, "set the source's `options.encoding` to the file's real encoding "
                      "(Polish and Czech Windows exports are usually cp1250)")
