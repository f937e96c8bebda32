"""CSV sources: the header through DuckDB's sniffer, code pages DuckDB cannot read transcoded in Python.

DuckDB 2.0 reads UTF-8, UTF-16 and Latin-1 only. Everything else (cp1250 from
Polish and Czech Windows exports, cp1251, ...) is decoded in Python: the head
at validate time, so a wrong ``encoding`` is reported with the line and byte
that give it away, and the whole file at run time, streamed into UTF-8.
"""

from __future__ import annotations

import codecs
import tempfile
from pathlib import Path

import duckdb

from compiler import encodings
from compiler.errors import Diagnostic, FerryError, first_line
from compiler.model import CsvOptions, Source

_HEAD_BYTES = 256 * 1024
_CHUNK = 1 << 20


def _options(source: Source) -> CsvOptions:
    assert isinstance(source.options, CsvOptions)
    return source.options


def header(source: Source, path: Path) -> tuple[str, ...]:
    with path.open("rb") as fh:
        raw = fh.read(_HEAD_BYTES)
    complete = len(raw) < _HEAD_BYTES
    decoder = codecs.getincrementaldecoder(source.encoding)(errors="strict")
    try:
        text = decoder.decode(raw, final=complete)  # a character split at the end is not an error
    except UnicodeDecodeError as exc:
        raise FerryError(_decode_error(source, path, raw, exc.start)) from None
    if not complete and "\n" in text:
        text = text[: text.rfind("\n") + 1]  # whole lines only
    if not encodings.needs_transcoding(source.encoding):
        return _sniff(source, path, path, encodings.duckdb_reads(source.encoding))
    with tempfile.TemporaryDirectory(prefix="ferry-head-") as tmp:
        sample = Path(tmp) / "head.csv"
        sample.write_text(text, encoding="utf-8")
        return _sniff(source, path, sample, "utf-8")


def prepare(source: Source, path: Path, workdir: Path) -> Path:
    """The file itself, or for code pages DuckDB cannot read a UTF-8 transcoding of it (streaming)."""
    if not encodings.needs_transcoding(source.encoding):
        return path
    out = workdir / f"{source.name}.utf8.csv"
    decoder = codecs.getincrementaldecoder(source.encoding)(errors="strict")
    line = 1
    with path.open("rb") as fh, out.open("w", encoding="utf-8", newline="") as sink:
        while chunk := fh.read(_CHUNK):
            try:
                sink.write(decoder.decode(chunk))
            except UnicodeDecodeError as exc:
                raise FerryError(_decode_error(source, path, chunk, exc.start, line_offset=line - 1)) from None
            line += chunk.count(b"\n")
        sink.write(decoder.decode(b"", final=True))
    return out


def all_columns(source: Source, readable: Path) -> tuple[str, ...]:
    """The header of a prepared file (transcoded files are UTF-8)."""
    transcoded = encodings.needs_transcoding(source.encoding)
    return _sniff(source, readable, readable, "utf-8" if transcoded else encodings.duckdb_reads(source.encoding))


def _sniff(source: Source, original: Path, readable: Path, encoding: str) -> tuple[str, ...]:
    o = _options(source)
    con = duckdb.connect()
    try:
        row = con.execute(
            "SELECT Columns FROM sniff_csv(?, delim = ?, quote = ?, escape = ?, header = ?, "
            "encoding = ?, all_varchar = true, sample_size = 2048)",
            [str(readable), o.delimiter, o.quote, o.escape, o.header, encoding],
        ).fetchall()[0]
    except duckdb.Error as exc:
        raise FerryError(Diagnostic("F306", f"cannot read {original} as CSV: {first_line(exc)}", source.path_span,
                                    "check `options` (delimiter, quote, encoding) against the file")) from None
    finally:
        con.close()
    return tuple(col["name"] for col in row[0])


def _decode_error(source: Source, path: Path, raw: bytes, offset: int, line_offset: int = 0) -> Diagnostic:
    line = line_offset + raw[:offset].count(b"\n") + 1
    return Diagnostic("F306", f"{path}:{line}: byte 0x{raw[offset]:02x} is not valid {source.encoding}",
                      source.path_span, "set the source's `options.encoding` to the file's real encoding "
                      "(Polish and Czech Windows exports are usually cp1250)")
