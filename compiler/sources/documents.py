"""JSON sources: one array of objects (``json``) or one object per line (``ndjson``).

DuckDB reads both as they are, streaming. Each top-level key is a column; a
nested object or array stays one column holding its JSON text. Keys come from
the head of the file at validate time and from the whole file for exports.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from compiler.errors import Diagnostic, FerryError, first_line
from compiler.model import JSON_READ_FORMAT, READS_AS, Source


_HEAD_RECORDS = 2048


def header(source: Source, path: Path) -> tuple[str, ...]:
    return _keys(source, path, path, _HEAD_RECORDS)


def prepare(source: Source, path: Path, workdir: Path) -> Path:
    return path


def all_columns(source: Source, readable: Path) -> tuple[str, ...]:
    return _keys(source, readable, readable, -1)


def _keys(source: Source, original: Path, readable: Path, sample: int) -> tuple[str, ...]:
    con = duckdb.connect()
    try:
        rows = con.execute(
            "SELECT column_name FROM (DESCRIBE SELECT * FROM read_json(?, format = ?, records = true, "
            "maximum_depth = 1, sample_size = ?))",
            [str(readable), JSON_READ_FORMAT[READS_AS[source.format]], sample],
        ).fetchall()
    except duckdb.Error as exc:
        hint = ("a .json source is one array of objects; use `format: ndjson` for one object per line"
                if source.format == "json" else "each line must be one JSON object")
        raise FerryError(Diagnostic("F306", f"cannot read {original} as {source.format}: {first_line(exc)}",
                                    source.path_span, hint)) from None
    finally:
        con.close()
    return tuple(name for (name,) in rows)
