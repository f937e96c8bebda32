"""How each source format is read: its options and what DuckDB reads it as.

In:  nothing. Out: the option dataclasses of each format and the tables that say which options
a format takes and how its file reaches DuckDB (``compiler.model`` re-exports them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: Source formats. The reader for each lives in ``compiler.sources``.
SourceFormat = Literal["csv", "xlsx", "json", "ndjson", "xml"]
SOURCE_FORMATS: tuple[str, ...] = ("csv", "xlsx", "json", "ndjson", "xml")


@dataclass(frozen=True, slots=True)
class CsvOptions:
    delimiter: str = ","
    encoding: str = "utf-8"
    header: bool = True
    quote: str = '"'
    escape: str = '"'
    encoding_check: str = "error"  # a single-byte ``encoding`` on a UTF-8 file: error, or warn (compiler.encodings)


@dataclass(frozen=True, slots=True)
class XlsxOptions:
    sheet: str | int | None = None  # a name, or a 1-based position; None: the first sheet
    header_row: int = 1  # 1-based, as Excel numbers rows; data start on the next row


@dataclass(frozen=True, slots=True)
class JsonOptions:
    """JSON (one array of objects) and NDJSON (one object per line) take no options: UTF-8 by RFC 8259."""


@dataclass(frozen=True, slots=True)
class XmlOptions:
    record: str  # "/export/deals/deal" from the root, or "deal" at any depth
    encoding_check: str = "error"  # the declared code page is single-byte but the bytes are UTF-8: error, or warn


SourceOptions = CsvOptions | XlsxOptions | JsonOptions | XmlOptions

#: What DuckDB reads at run time for each format: the runner converts xlsx
#: sheets to UTF-8 CSV and XML records to NDJSON (``compiler.sources``), so the
#: compiled SQL depends on the format only through this table.
READS_AS: dict[str, str] = {"csv": "csv", "xlsx": "csv", "json": "json", "ndjson": "ndjson", "xml": "ndjson"}

#: DuckDB's ``read_json(format = ...)`` for what is read as JSON.
JSON_READ_FORMAT: dict[str, str] = {"json": "array", "ndjson": "newline_delimited"}

#: Which options each format takes, by the spec's key names (checked by ``validate``).
FORMAT_OPTIONS: dict[str, tuple[str, ...]] = {
    "csv": ("delimiter", "encoding", "header", "quote", "escape", "encoding_check"),
    "xlsx": ("sheet", "header_row"),
    "json": (),
    "ndjson": (),
    "xml": ("record", "encoding_check"),
}
