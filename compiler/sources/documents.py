"""JSON sources: one array of objects (``json``) or one object per line (``ndjson``).

DuckDB reads both as they are, streaming. Each top-level key is a column; a
nested object or array stays one column holding its JSON text. Keys come from
the head of the file at validate time and from the whole file for exports.

An object that repeats a key (``{"a": 1, "a": 2}``) cannot be read for that
key: DuckDB stops with an error, and there is no telling which value is meant.
The head's objects are parsed in Python too, so ``validate`` reports a repeated
key the spec reads (F316), and ``run`` names the line if a later one does (F609).
Byte-order marks after the start of the file are removed (``sources.evidence``).
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path

import duckdb

from compiler import encodings, memdb
from compiler.errors import Diagnostic, FerryError, first_line
from compiler.headers import Columns
from compiler.model import JSON_READ_FORMAT, READS_AS, Source
from compiler.sources.evidence import MARK, Marks, strip_marks

_HEAD_RECORDS = 2048
_HEAD_BYTES = 256 * 1024
_PAIRS = json.JSONDecoder(object_pairs_hook=lambda pairs: pairs)  # objects as lists of (key, value)


def header(source: Source, path: Path) -> Columns:
    with path.open("rb") as fh:
        head = fh.read(_HEAD_BYTES)
    if _no_records(source, head, complete=len(head) < _HEAD_BYTES):
        return Columns((), empty=True)  # an empty export loads as zero rows
    repeated = _repeated_keys(source, path)
    if encodings.UTF8_BOM not in head[1:]:
        return Columns(_keys(source, path, path, _HEAD_RECORDS), repeated_keys=repeated)
    with tempfile.TemporaryDirectory(prefix="ferry-head-") as tmp:  # DuckDB refuses a mark at a line's start
        clean = Path(tmp) / f"clean.{source.format}"
        strip_marks(source, path, "utf-8", clean, header=False)
        return Columns(_keys(source, path, clean, _HEAD_RECORDS), repeated_keys=repeated)


def _no_records(source: Source, head: bytes, complete: bool) -> bool:
    """Nothing but whitespace (and a byte-order mark), or, for ``json``, an empty array."""
    text = head.replace(encodings.UTF8_BOM, b"").strip()
    return complete and (not text or (source.format == "json" and text.replace(b" ", b"") in (b"[]",)))


def prepare(source: Source, path: Path, workdir: Path, found: encodings.Evidence | None) -> tuple[Path, Marks]:
    if found is None or not found.mark_count:
        return path, Marks()
    out = workdir / f"{source.name}.nobom.{source.format}"
    return out, strip_marks(source, path, "utf-8", out, header=False)


def all_columns(source: Source, readable: Path) -> tuple[str, ...]:
    return _keys(source, readable, readable, -1)


def read_error_hint(message: str) -> tuple[str, str] | None:
    """F609 for DuckDB's error on an object that repeats a key the spec reads."""
    if "has duplicate key" in message:
        return "F609", ("an object repeats a key the spec reads, and nothing tells which value is meant: "
                        "re-export the file with one value per key")
    return None


def _keys(source: Source, original: Path, readable: Path, sample: int) -> tuple[str, ...]:
    try:
        rows = memdb.connection().execute(
            "SELECT column_name FROM (DESCRIBE SELECT * FROM read_json(?, format = ?, records = true, "
            "maximum_depth = 1, sample_size = ?))",
            [str(readable), JSON_READ_FORMAT[READS_AS[source.format]], sample],
        ).fetchall()
    except duckdb.Error as exc:
        hint = ("a .json source is one array of objects; use `format: ndjson` for one object per line"
                if source.format == "json" else "each line must be one JSON object")
        raise FerryError(Diagnostic("F306", f"cannot read {original} as {source.format}: {first_line(exc)}",
                                    source.path_span, hint)) from None
    return tuple(name for (name,) in rows)


def _repeated_keys(source: Source, path: Path) -> tuple[tuple[str, int], ...]:
    """Keys that an object in the head of the file repeats, each with the line of the first such object."""
    with path.open("rb") as fh:
        text = fh.read(_HEAD_BYTES).decode("utf-8", errors="replace")  # DuckDB reports bad bytes itself
    first: dict[str, int] = {}
    for line, record in _head_objects(source, text.replace(MARK, " ")):
        for key, n in Counter(key for key, _ in record).items():
            if n > 1:
                first.setdefault(key, line)
    return tuple(sorted(first.items()))


def _head_objects(source: Source, text: str):
    """(line, [(key, value), ...]) for each whole top-level object in the head."""
    if source.format == "ndjson":
        for line, part in enumerate(text.split("\n")[:_HEAD_RECORDS], start=1):
            try:
                record = _PAIRS.decode(part)
            except ValueError:
                continue  # blank, or cut off at the end of the head
            if _is_object(record):
                yield line, record
        return
    at = len(text) - len(text.lstrip())
    if not text.startswith("[", at):
        return
    line, counted = 1, 0
    at += 1
    for _ in range(_HEAD_RECORDS):
        while at < len(text) and text[at] in " \t\r\n,":
            at += 1
        try:
            record, end = _PAIRS.raw_decode(text, at)
        except ValueError:
            return  # the end of the array, or of the head
        line += text.count("\n", counted, at)
        counted = at
        if _is_object(record):
            yield line, record
        at = end


def _is_object(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(p, tuple) and len(p) == 2 for p in value)
