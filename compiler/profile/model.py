"""What `ferry profile` found: frozen values, no behaviour.

In:  nothing (built by ``profile.detect``, ``profile.measure`` and ``profile.relate``).
Out: ``Profile`` and its parts, which every renderer (terminal, Markdown, JSON, HTML)
and ``ferry init`` read. Shares are fractions of a column's non-empty values unless
named otherwise; counts are exact over every row, except a column's ``distinct`` where
``distinct_approximate`` says so (HyperLogLog, in files above ``measure.EXACT_ROWS`` rows);
shapes and checks are counted over ``sampled`` rows (every row of a file up to ``measure.SAMPLE_ROWS``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Format:
    """How a file is read, and why: each ``evidence`` line says what decided a choice."""

    path: str
    name: str  # the source name a spec would give it (the file's stem, as an identifier)
    format: str  # csv, xlsx, json, ndjson, xml
    encoding: str | None  # csv and xml; None for xlsx, utf-8 for JSON
    delimiter: str | None = None
    header_row: int | None = None  # xlsx: 1-based row of the column names
    sheet: str | None = None
    record: str | None = None  # xml: the repeating element's path
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Shape:
    """One shape of a column's values: ``kind`` (date, phone, decimal, ...), ``label`` as shown,
    ``share`` of the sampled non-empty values, ``detail`` what a transform needs (a strftime
    format, a separator, a region), and an example value."""

    kind: str
    label: str
    share: float
    count: int
    detail: str = ""
    example: str = ""


@dataclass(frozen=True, slots=True)
class TopValue:
    value: str
    count: int


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    non_empty: int
    distinct: int
    top: tuple[TopValue, ...]
    shapes: tuple[Shape, ...]  # largest share first
    kind: str  # the dominant kind: text, integer, decimal, date, timestamp, phone, email, nip, boolean, empty,
    #            code (digits kept as text), id_number (Luhn), vat_id, country
    checks: tuple[tuple[str, float], ...] = ()  # ("NIP checksum valid", 0.93), ("phone valid", ...)
    min_length: int = 0
    max_length: int = 0
    distinct_approximate: bool = False  # ``distinct`` is an estimate (within about 2%); never for a candidate id


@dataclass(frozen=True, slots=True)
class Duplicate:
    """Values of ``column`` held by more than one row: ``rows`` rows beyond the first of each
    value (what a dedup key on it would merge), ``values`` values repeated; ``normalized`` when
    compared after ``how`` (lower-cased, digits only)."""

    column: str
    how: str  # "as written", "lower-case, trimmed", "digits only"
    rows: int
    values: int
    example: str = ""


@dataclass(frozen=True, slots=True)
class SourceProfile:
    format: Format
    rows: int
    sampled: int
    columns: tuple[Column, ...]
    ids: tuple[str, ...]  # candidate ids: unique and non-empty in every row, best first
    duplicates: tuple[Duplicate, ...]


@dataclass(frozen=True, slots=True)
class Reference:
    """Values of ``source.column`` found in ``target.column`` (a candidate id of another, or the same, file)."""

    source: str
    column: str
    target: str
    target_column: str
    found: int  # distinct values found
    missing: int  # distinct values not found (orphans)

    @property
    def share(self) -> float:
        total = self.found + self.missing
        return self.found / total if total else 0.0


@dataclass(frozen=True, slots=True)
class Profile:
    sources: tuple[SourceProfile, ...]
    references: tuple[Reference, ...]
    seconds: float
