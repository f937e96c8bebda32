"""Reading source files: headers at validate time, prepared inputs at run time.

This is an I/O edge (like ``write`` and ``run``): it touches the file system
and DuckDB, and turns every failure into a located ``Diagnostic``. One module
per family of formats, each with the same two functions:

- ``header(source, path)``: the column names, from the head of the file only;
- ``prepare(source, path, workdir)``: the file as DuckDB will read it, streamed.

What DuckDB reads (``model.READS_AS``): CSV files as they are, unless their
code page needs transcoding to UTF-8; JSON and NDJSON as they are; xlsx
sheets converted to UTF-8 CSV; XML records flattened to NDJSON. The compiled
SQL is the same whichever file the runner hands it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from compiler import encodings
from compiler.errors import Diagnostic, FerryError
from compiler.model import Source
from compiler.sources import delimited, documents, spreadsheet, xmlrecords

_CHUNK = 1 << 20

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


def source_file(source: Source, base: Path) -> Path:
    return base / source.path


def read_header(source: Source, base: Path) -> tuple[str, ...]:
    """The source's column names, read from the head of the file with the spec's options."""
    path = source_file(source, base)
    _check_file(source, path, base)
    return _READERS[source.format].header(source, path)


def prepare_input(source: Source, base: Path, workdir: Path) -> PreparedInput:
    """Hash the file and, where DuckDB cannot read it as it is, convert it (streaming) into ``workdir``."""
    path = source_file(source, base)
    _check_file(source, path, base)
    digest, size = _sha256(path)
    readable = _READERS[source.format].prepare(source, path, workdir)
    return PreparedInput(source.name, path, readable, digest, size, readable != path)


def all_columns(source: Source, readable: Path) -> tuple[str, ...]:
    """Every column of a prepared input (the whole file, not just its head): for exports, not for runs."""
    return _READERS[source.format].all_columns(source, readable)


def _sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _check_file(source: Source, path: Path, base: Path) -> None:
    if encodings.canonical(source.encoding) is None:
        raise FerryError(Diagnostic("F305", f"unknown encoding '{source.encoding}' for source '{source.name}'",
                                    source.path_span, "use a Python codec name such as utf-8, cp1250, latin-1"))
    if not path.is_file():
        raise FerryError(Diagnostic("F301", f"source file not found: {path}", source.path_span,
                                    f"paths are relative to the spec file's folder ({base})"))
