"""Reading source files: headers at validate time, prepared inputs at run time.

This is an I/O edge (like ``write`` and ``run``): it touches the file system
and DuckDB, and turns every failure into a located ``Diagnostic``. One module
per family of formats, each with the same two functions:

- ``header(source, path)``: the columns (``headers.Columns``), from the head of the file only;
- ``prepare(source, path, workdir, evidence)``: the file as DuckDB will read it, streamed, and the
  byte-order marks removed on the way (``evidence.Marks``).

What DuckDB reads (``model.READS_AS``): CSV files as they are, unless their
code page needs transcoding to UTF-8; JSON and NDJSON as they are; xlsx
sheets converted to UTF-8 CSV; XML records flattened to NDJSON. The compiled
SQL is the same whichever file the runner hands it.

While a file is hashed, its bytes are scanned (``encodings.Scan``): a file
declared in a single-byte code page whose bytes are UTF-8 is an error (F607),
and byte-order marks after the start are removed (``sources.evidence``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from compiler import encodings
from compiler.errors import Diagnostic, FerryError
from compiler.headers import Columns
from compiler.model import Source
from compiler.sources import delimited, documents, evidence as evidence_module, spreadsheet, xmlrecords

_CHUNK = 1 << 20
_HEAD = 4096  # enough for an XML declaration or a UTF-16 byte-order mark

_READERS = {
    "csv": delimited,
    "xlsx": spreadsheet,
    "json": documents,
    "ndjson": documents,
    "xml": xmlrecords,
}


@dataclass(frozen=True, slots=True)
class PreparedInput:
    source: str
    original: Path
    readable: Path  # what DuckDB reads: the original, or a UTF-8 CSV / NDJSON made from it
    sha256: str
    bytes: int
    transcoded: bool  # True when ``readable`` is a converted copy
    marks_removed: int = 0  # byte-order marks (U+FEFF) after the start of the file, removed
    notes: tuple[str, ...] = ()  # for the run manifest: marks removed, encoding_check: warn findings


def source_file(source: Source, base: Path) -> Path:
    return base / source.path


def read_header(source: Source, base: Path) -> Columns:
    """The source's columns, read from the head of the file with the spec's options."""
    path = source_file(source, base)
    _check_file(source, path, base)
    return _READERS[source.format].header(source, path)


def prepare_input(source: Source, base: Path, workdir: Path) -> PreparedInput:
    """Hash and scan the file and, where DuckDB cannot read it as it is, convert it (streaming) into ``workdir``."""
    path = source_file(source, base)
    _check_file(source, path, base)
    with path.open("rb") as fh:
        head = fh.read(_HEAD)
    encoding = text_encoding(source, head)
    scan = encodings.Scan(encoding, head, marks=source.format != "xml") if encoding else None  # XML: per value
    digest, size = _sha256(path, scan)
    found = scan.result() if scan else None
    notes = []
    if found is not None and encoding is not None:
        note = evidence_module.check_utf8(source, path, encoding, found, "F607")
        notes += [note] if note else []
    readable, marks = _READERS[source.format].prepare(source, path, workdir, found)
    notes += [marks.note()] if marks.count else []
    return PreparedInput(source.name, path, readable, digest, size, readable != path, marks.count, tuple(notes))


def text_encoding(source: Source, head: bytes) -> str | None:
    """The encoding the file's text is in: the spec's (CSV), the declaration's (XML), UTF-8 (JSON); None for xlsx."""
    if source.format == "xml":
        return xmlrecords.declared_encoding(head)
    return None if source.format == "xlsx" else source.encoding


def read_error_hint(message: str) -> tuple[str, str] | None:
    """A code and hint for a DuckDB error reading a source that ferry can explain better than F603."""
    return documents.read_error_hint(message)


def all_columns(source: Source, readable: Path) -> tuple[str, ...]:
    """Every column of a prepared input (the whole file, not just its head): for exports, not for runs."""
    return _READERS[source.format].all_columns(source, readable)


def _sha256(path: Path, scan: encodings.Scan | None) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            if scan is not None:
                scan.feed(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _check_file(source: Source, path: Path, base: Path) -> None:
    if encodings.canonical(source.encoding) is None:
        raise FerryError(Diagnostic("F305", f"unknown encoding '{source.encoding}' for source '{source.name}'",
                                    source.path_span, "use a Python codec name such as utf-8, cp1250, latin-1"))
    try:
        is_file = path.is_file()
    except OSError as exc:  # a name too long for the file system, say
        raise FerryError(Diagnostic("F301", f"source '{source.name}': cannot read its path ({exc.strerror})",
                                    source.path_span, "check the source's `path`")) from None
    if not is_file:
        raise FerryError(Diagnostic("F301", f"source file not found: {path}", source.path_span,
                                    f"paths are relative to the spec file's folder ({base})"))
