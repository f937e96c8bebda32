"""Which text encodings DuckDB reads itself, and which ferry transcodes first.

DuckDB's ``read_csv`` decodes only UTF-8, UTF-16 and Latin-1 without the
``encodings`` extension (which cannot be assumed to be installable). Every
other code page, cp1250 above all, is transcoded to UTF-8 in a streaming step
before DuckDB reads it. Both the compiler (which writes the ``encoding``
option into the SQL) and the runner (which transcodes) ask this module, so
they cannot disagree.
"""

from __future__ import annotations

import codecs

_NATIVE = {"utf-8": "utf-8", "utf-16": "utf-16", "iso8859-1": "latin-1"}


def canonical(encoding: str) -> str | None:
    """Python's canonical codec name, or None when the encoding is unknown.

    >>> canonical("windows-1250"), canonical("UTF8"), canonical("klingon")
    ('cp1250', 'utf-8', None)
    """
    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        return None
    return codec.name if getattr(codec, "_is_text_encoding", True) else None  # not hex, rot13, zlib...


def duckdb_reads(encoding: str) -> str:
    """The encoding name DuckDB is told: the file's own, or utf-8 once transcoded.

    >>> duckdb_reads("latin-1"), duckdb_reads("cp1250"), duckdb_reads("utf-8-sig")
    ('latin-1', 'utf-8', 'utf-8')
    """
    name = canonical(encoding) or encoding
    return _NATIVE.get(name, "utf-8")


def needs_transcoding(encoding: str) -> bool:
    name = canonical(encoding) or encoding
    return name not in _NATIVE and name != "utf-8-sig"
