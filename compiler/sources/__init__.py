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
and byte-order marks after the start are removed (``sources.evidence``). A CSV
file that mixes kinds of line breaks is read from a copy with one kind
(``sources.lines``). What DuckDB is told to read is bound by ``bind``: the
readable file and, for CSV reads, the columns of its header; the first row it
cannot read is located by ``sources.csvrows``.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
from sqlglot import exp

from compiler import encodings, memdb
from compiler.errors import Diagnostic, FerryError
from compiler.headers import Columns
from compiler.model import READS_AS, CsvOptions, Source
from compiler.sources import csvrows, delimited, documents, evidence as evidence_module, lines, spreadsheet, xmlrecords
from compiler.sqlgen import names
from compiler.sqlgen.stage import CONVERTED_CSV

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
    transcoded: bool  # True when ``readable`` is a converted copy (not when only its line breaks were made one kind)
    marks_removed: int = 0  # byte-order marks (U+FEFF) after the start of the file, removed
    notes: tuple[str, ...] = ()  # for the run manifest: marks removed, encoding_check: warn findings
    columns: tuple[str, ...] = ()  # read as CSV: the header's columns, by the names DuckDB reads them by


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
    endings = lines.Endings() if source.format == "csv" and lines.single_byte_breaks(source.encoding) else None
    digest, size = _sha256(path, scan, endings)
    found = scan.result() if scan else None
    notes = []
    if found is not None and encoding is not None:
        for check, code in ((evidence_module.check_utf8, "F607"), (evidence_module.check_garbled, "F612")):
            note = check(source, path, encoding, found, code)
            notes += [note] if note else []
    readable, marks = _READERS[source.format].prepare(source, path, workdir, found)
    notes += [marks.note()] if marks.count else []
    converted, columns = readable != path, ()
    if READS_AS[source.format] == "csv":
        o = source.options if isinstance(source.options, CsvOptions) else CONVERTED_CSV
        if endings is not None and endings.mixed:
            readable = lines.normalize(readable, workdir / f"{source.name}.lines.csv", _reads_in(source),
                                       o.quote, o.escape, o.delimiter)
            notes.append("the file mixes line breaks (\\r\\n, \\n, \\r): read from a copy with \\n between rows")
        columns = delimited.all_columns(source, readable, None if source.format == "csv" else CONVERTED_CSV)
    return PreparedInput(source.name, path, readable, digest, size, converted, marks.count, tuple(notes), columns)


def bind(con: duckdb.DuckDBPyConnection, source: Source, prepared: PreparedInput) -> None:
    """Set the DuckDB variables the compiled SQL reads a source through: its readable file and,
    read as CSV, its columns (``{name: 'VARCHAR'}``, in the header's order)."""
    con.execute(f"SET VARIABLE {_variable(names.source_variable(source))} = ?", [str(prepared.readable)])
    if READS_AS[source.format] == "csv":
        con.execute(f"SET VARIABLE {_variable(names.columns_variable(source))} = ?",
                    [{c: "VARCHAR" for c in prepared.columns}])


def check_rows(source: Source, base: Path, columns: tuple[str, ...]) -> Diagnostic | None:
    """Read every row of a CSV source as a run reads it (prepared, the same ``columns``): the
    first malformed one, located, or None. Other formats are read whole only by runs."""
    if source.format != "csv":
        return None
    with tempfile.TemporaryDirectory(prefix="ferry-rows-") as tmp:
        try:
            prepared = prepare_input(source, base, Path(tmp))
        except FerryError as exc:
            return exc.diagnostics[0]
        con = memdb.connection().cursor()  # its own variables and reject tables; no new database
        try:
            bind(con, source, prepared)
            return csvrows.check(con, source, prepared.original, prepared.readable, _reads_in(source), columns)
        finally:
            con.close()


def read_error(source: Source, prepared: PreparedInput, columns: tuple[str, ...]) -> Diagnostic | None:
    """After a run's DuckDB error in a step reading a source as CSV: the first row of the file DuckDB
    cannot read, at its line in the file; None when the file reads (or is not read as CSV)."""
    if READS_AS[source.format] != "csv":
        return None
    con = duckdb.connect()
    try:
        bind(con, source, prepared)
        return csvrows.locate(con, source, prepared.original, prepared.readable, _reads_in(source), columns)
    finally:
        con.close()


def _reads_in(source: Source) -> str:
    """The encoding DuckDB reads a source's readable file in."""
    return encodings.duckdb_reads(source.encoding) if source.format == "csv" else "utf-8"


def _variable(name: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(dialect="duckdb")


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


def _sha256(path: Path, scan: encodings.Scan | None, endings: lines.Endings | None) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            if scan is not None:
                scan.feed(chunk)
            if endings is not None:
                endings.feed(chunk)
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
