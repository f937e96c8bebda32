"""Reading source files: headers at validate time, prepared inputs at run time.

This is an I/O edge (like ``write`` and ``run``): it touches the file system
and DuckDB, and turns every failure into a located ``Diagnostic``.

In:  ``Source`` values and the directory they are relative to.
Out: column names (``read_header``) or ``PreparedInput`` (a path DuckDB can
read, the sha256 and size of the original bytes).
"""

from __future__ import annotations

import codecs
import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from compiler import encodings
from compiler.errors import Diagnostic, FerryError
from compiler.model import Source

_HEAD_BYTES = 256 * 1024
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class PreparedInput:
    source: str
    original: Path
    readable: Path  # what DuckDB reads: the original, or a UTF-8 transcoding of it
    sha256: str
    bytes: int
    transcoded: bool


def source_file(source: Source, base: Path) -> Path:
    return base / source.path


def read_header(source: Source, base: Path) -> tuple[str, ...]:
    """The source's column names, read with DuckDB's CSV sniffer and the spec's options.

    The head of the file is decoded in Python first, so a wrong ``encoding``
    is reported with the line and byte that give it away.
    """
    path = source_file(source, base)
    _check_file(source, path, base)
    with path.open("rb") as fh:
        raw = fh.read(_HEAD_BYTES)
    complete = len(raw) < _HEAD_BYTES
    decoder = codecs.getincrementaldecoder(source.options.encoding)(errors="strict")
    try:
        text = decoder.decode(raw, final=complete)  # a character split at the end is not an error
    except UnicodeDecodeError as exc:
        raise FerryError(_decode_error(source, path, raw, exc.start)) from None
    if not complete and "\n" in text:
        text = text[: text.rfind("\n") + 1]  # whole lines only
    if not encodings.needs_transcoding(source.options.encoding):
        return _sniff(source, path, path)
    with tempfile.TemporaryDirectory(prefix="ferry-head-") as tmp:
        sample = Path(tmp) / "head.csv"
        sample.write_text(text, encoding="utf-8")
        return _sniff(source, path, sample)


def prepare_input(source: Source, base: Path, workdir: Path) -> PreparedInput:
    """Hash the file and, for code pages DuckDB cannot read, transcode it to UTF-8 (streaming)."""
    path = source_file(source, base)
    _check_file(source, path, base)
    digest = hashlib.sha256()
    size = 0
    if not encodings.needs_transcoding(source.options.encoding):
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
        return PreparedInput(source.name, path, path, digest.hexdigest(), size, False)
    out = workdir / f"{source.name}.utf8.csv"
    decoder = codecs.getincrementaldecoder(source.options.encoding)(errors="strict")
    line = 1
    with path.open("rb") as fh, out.open("w", encoding="utf-8", newline="") as sink:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            try:
                sink.write(decoder.decode(chunk))
            except UnicodeDecodeError as exc:
                raise FerryError(_decode_error(source, path, chunk, exc.start, line_offset=line - 1)) from None
            line += chunk.count(b"\n")
            size += len(chunk)
        sink.write(decoder.decode(b"", final=True))
    return PreparedInput(source.name, path, out, digest.hexdigest(), size, True)


def _check_file(source: Source, path: Path, base: Path) -> None:
    if encodings.canonical(source.options.encoding) is None:
        raise FerryError(Diagnostic("F305", f"unknown encoding '{source.options.encoding}' for source '{source.name}'",
                                    source.path_span, "use a Python codec name such as utf-8, cp1250, latin-1"))
    if not path.is_file():
        raise FerryError(Diagnostic("F301", f"source file not found: {path}", source.path_span,
                                    f"paths are relative to the spec file's folder ({base})"))


def _sniff(source: Source, original: Path, readable: Path) -> tuple[str, ...]:
    o = source.options
    con = duckdb.connect()
    try:
        row = con.execute(
            "SELECT Columns FROM sniff_csv(?, delim = ?, quote = ?, escape = ?, header = ?, "
            "encoding = ?, all_varchar = true, sample_size = 2048)",
            [str(readable), o.delimiter, o.quote, o.escape, o.header, encodings.duckdb_reads(o.encoding)],
        ).fetchall()[0]
    except duckdb.Error as exc:
        raise FerryError(Diagnostic("F306", f"cannot read {original} as CSV: {_first_line(exc)}", source.path_span,
                                    "check `options` (delimiter, quote, encoding) against the file")) from None
    finally:
        con.close()
    return tuple(col["name"] for col in row[0])


def _decode_error(source: Source, path: Path, raw: bytes, offset: int, line_offset: int = 0) -> Diagnostic:
    line = line_offset + raw[:offset].count(b"\n") + 1
    return Diagnostic("F306", f"{path}:{line}: byte 0x{raw[offset]:02x} is not valid {source.options.encoding}",
                      source.path_span, "set the source's `options.encoding` to the file's real encoding "
                      "(Polish and Czech Windows exports are usually cp1250)")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
