"""CSV rows: the header as ferry reads it, and the first row DuckDB cannot read, located in the file.

In:  a CSV source's head text (its header), or its prepared file and a DuckDB connection bound to it.
Out: the header's columns (``header_columns``); a located ``Diagnostic`` for the first malformed
row (``check``, ``locate``).

ferry reads the header itself (Python's csv module, the spec's delimiter, quote and
escape) and hands DuckDB the columns, so nothing is sniffed: DuckDB's sniffer gives up
on a file with one bad row without saying where. The compiled SQL reads strictly
(``sqlgen.stage``), and a row that does not fit stops the whole source; nothing is
padded, cut or skipped:

- F317 a row with fewer fields than the header, F318 with more;
- F319 a quoted value never closed, or text after its closing quote;
- F323 a row longer than DuckDB reads at once (``stage.MAX_LINE_BYTES``);
- F324 no header row: a file of 0 bytes, or a blank first line;
- F325 (before any of it) a quote or escape that is also the delimiter, which DuckDB refuses.

When DuckDB stops, the file is read once more keeping its rejects (``store_rejects``),
the first in the file is taken, and its byte offset becomes the line in the file
(``lines.line_at``): DuckDB's own "Line" counts records, not lines.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import duckdb
from sqlglot import exp

from compiler.errors import Diagnostic, FerryError, first_line
from compiler.headers import Columns, duckdb_names, read_name
from compiler.model import CsvOptions, Source
from compiler.sources import lines
from compiler.sqlgen import names
from compiler.sqlgen.stage import MAX_LINE_BYTES, read_source

_MARK = "\ufeff"
_FIELDS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
_SIZE = re.compile(r"Actual Size:\s*(\d+)")


def header_columns(source: Source, path: Path, text: str, options: CsvOptions, size: int) -> Columns:
    """The columns the first record of ``text`` (the head of the file) names: cells trimmed of spaces,
    an empty one named as DuckDB would (``column<i>``), repeats renamed as DuckDB would
    (``compiler.headers``). Without a header row, ``column0``, ``column1``... as many as it has fields."""
    for key in ("quote", "escape"):
        if getattr(options, key) == options.delimiter:
            raise FerryError(Diagnostic("F325", f"source '{source.name}': its {key} is its delimiter "
                                                f"({options.delimiter!r}), and DuckDB reads no such file",
                                        source.option_span(key if key in dict(source.option_spans) else "delimiter"),
                                        f"set `options.{key}` or `options.delimiter` to the file's"))
    cells = _first_record(source, path, text.removeprefix(_MARK), options, size)
    if not options.header:
        named = tuple(f"column{i}" for i in range(len(cells)))
        return Columns(named)
    named = tuple(cell.strip(" ") or f"column{i}" for i, cell in enumerate(cells))
    return Columns(named, duckdb_names(named))


def _first_record(source: Source, path: Path, text: str, o: CsvOptions, size: int) -> list[str]:
    if not size:
        what = "no header row" if o.header else "no row to count its columns in"
        raise FerryError(Diagnostic("F324", f"{path} is empty (0 bytes): {what}", source.path_span,
                                    "export the file again with its header line (a file with only a header "
                                    "loads as zero rows)" if o.header else "export the file again"))
    try:
        cells = next(_reader(text, o, strict=True), [])
    except csv.Error as exc:
        if _cut_short(exc):
            raise FerryError(Diagnostic("F319", f"{path}:1: a quoted value in the header row is never closed",
                                        source.path_span, _QUOTE_HINT.format(quote=o.quote))) from None
        cells = next(_reader(text, o, strict=False), [])  # DuckDB allows spaces after a closing quote
    except (TypeError, ValueError) as exc:  # options Python's reader refuses: DuckDB would too
        raise FerryError(Diagnostic("F306", f"cannot read {path} as CSV: {exc}", source.path_span,
                                    "check `options` (delimiter, quote, escape) against the file")) from None
    if not cells:
        raise FerryError(Diagnostic("F324", f"{path}:1: line 1 is empty, and the header must be the first line",
                                    source.path_span, "remove the blank lines above the header"))
    return cells


_QUOTE_HINT = ("a quote inside a quoted value is written twice ({quote}{quote}); if the file quotes with "
               "another character or none, set `options.quote`")


def rows_query(source: Source, columns: tuple[str, ...], *, keep_rejects: bool = False) -> str:
    """Count the values of the spec's ``columns`` (what the compiled SQL reads: DuckDB decodes only those)."""
    counts = [exp.func("count", names.col(read_name(c, source.format))) for c in columns]
    return exp.select(*counts).from_(exp.Table(this=read_source(source, columns, keep_rejects=keep_rejects))) \
        .sql(dialect="duckdb")


def check(con: duckdb.DuckDBPyConnection, source: Source, original: Path, readable: Path, encoding: str,
          columns: tuple[str, ...]) -> Diagnostic | None:
    """Read every row of the bound file as a run does; the first malformed one, located, or None."""
    try:
        con.execute(rows_query(source, columns)).fetchall()
    except (duckdb.InvalidInputException, duckdb.ConversionException) as exc:
        return locate(con, source, original, readable, encoding, columns) or _unlocated(source, original, exc)
    except duckdb.Error as exc:  # options DuckDB refuses, a file that went away
        return _unlocated(source, original, exc)
    return None


def locate(con: duckdb.DuckDBPyConnection, source: Source, original: Path, readable: Path, encoding: str,
           columns: tuple[str, ...]) -> Diagnostic | None:
    """The first row DuckDB cannot read, from a second read keeping its rejects, at its line in
    ``original``; None when the file reads (a run's error was not the file's)."""
    try:
        con.execute(rows_query(source, columns, keep_rejects=True)).fetchall()
    except duckdb.Error as exc:  # not a row DuckDB can set aside (its parser gave up on the file)
        return _unlocated(source, original, exc)
    first = con.execute("SELECT error_type, line_byte_position, csv_line, error_message FROM reject_errors "
                        "ORDER BY line_byte_position, column_idx LIMIT 1").fetchone()
    if first is None:
        return None
    kind, offset, text, message = first
    line = lines.line_at(readable, encoding, offset)
    return _diagnostic(source, f"{original}:{line}", kind, text or "", message or "", line)


def _unlocated(source: Source, original: Path, exc: duckdb.Error) -> Diagnostic:
    text = first_line(exc)
    hint = ("the file mixes line breaks (\\r\\n, \\n, \\r) in an encoding ferry reads in place (UTF-16): "
            "re-export it with one kind" if "invalid state" in text
            else "check `options` (delimiter, quote, escape, encoding) against the file")
    return Diagnostic("F306", f"cannot read {original} as CSV: {text}", source.path_span, hint)


def _diagnostic(source: Source, where: str, kind: str, text: str, message: str, line: int) -> Diagnostic:
    o = source.options if isinstance(source.options, CsvOptions) else CsvOptions()
    span = source.path_span
    fields = _FIELDS.search(message)
    expected, found = (int(fields.group(1)), int(fields.group(2))) if fields else (0, 0)
    if kind == "MISSING COLUMNS":
        return Diagnostic("F317", f"{where}: a row with {_fields(found)}, but the header has {expected}", span,
                          f"a line break inside a value that is not quoted splits a row in two, and a cut row "
                          f"loses its last fields; fix line {line} of the file (no row is padded)")
    if kind == "TOO MANY COLUMNS":
        return Diagnostic("F318", f"{where}: a row with {_fields(found)}, but the header has {expected}", span,
                          f"a value holding the delimiter '{o.delimiter}' must be quoted; if every row splits "
                          "like this, set `options.delimiter` to the file's")
    if kind == "UNQUOTED VALUE":
        cause = ("a quoted value opened on this line is never closed" if _unclosed(text, o)
                 else "text follows the closing quote of a value")
        return Diagnostic("F319", f"{where}: {cause}", span, _QUOTE_HINT.format(quote=o.quote))
    if kind == "LINE SIZE OVER MAXIMUM":
        size = _SIZE.search(message)
        megabytes = f"{int(size.group(1)) / 2**20:.1f} MiB" if size else "a row"
        return Diagnostic("F323", f"{where}: a row of {megabytes}, over the {MAX_LINE_BYTES // 2**20} MiB "
                                  "ferry reads in one row", span,
                          "most often a quote opened on this line is never closed, and the rest of the file "
                          "reads as one value; a value really this long must be shortened in the export")
    if kind == "INVALID ENCODING":
        return Diagnostic("F306", f"{where}: the bytes are not valid {o.encoding}", span,
                          "set the source's `options.encoding` to the file's real encoding "
                          "(Polish and Czech Windows exports are usually cp1250)")
    return Diagnostic("F306", f"{where}: cannot read the row: {first_line(message)}", span,
                      "check `options` (delimiter, quote, escape, encoding) against the file")


def _fields(n: int) -> str:
    return f"{n} field" + ("" if n == 1 else "s")


def _reader(text: str, o: CsvOptions, strict: bool):
    doubled = o.escape == o.quote
    return csv.reader(io.StringIO(text, newline=""), delimiter=o.delimiter, quotechar=o.quote,
                      escapechar=None if doubled else o.escape, doublequote=doubled, strict=strict)


def _cut_short(exc: csv.Error) -> bool:
    """The reader met the end of the text (or its field limit, 128 KiB) inside a quoted value."""
    return "end of data" in str(exc) or "field limit" in str(exc)


def _unclosed(record: str, o: CsvOptions) -> bool:
    """DuckDB says "unterminated quote" for both; Python's strict reader tells them apart."""
    try:
        list(_reader(record, o, strict=True))
    except csv.Error as exc:
        return _cut_short(exc)
    return True
