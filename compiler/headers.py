"""Column names of a source file: repeated header names, and how a spec says which one it means.

In:  header cells as a file names them; column names as a spec writes them.
Out: ``Columns`` (what validation checks a spec against), ``selector`` and
``read_name`` (what the compiled SQL selects), ``duckdb_names`` (the names
DuckDB gives a header with repeated names).

A header may repeat a name (``phone;...;phone``). DuckDB then renames the
second ``phone_1`` (ignoring ASCII case, and renaming again if that name is
taken), so a spec reading ``phone`` would silently get the first. In a spec,
``phone#2`` names the second column called ``phone`` and ``phone#1`` the
first; plain ``phone`` is an error while the name repeats. A trailing
``#<n>`` is always such a selector in CSV and xlsx sources: a column whose own
name ends in ``#2`` is written ``name#2#1``. JSON keys and XML paths are
taken as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SELECTOR = re.compile(r"^(.+)#([1-9][0-9]*)$", re.DOTALL)
_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

#: Formats whose columns come from a header row, where a name can repeat.
HEADER_FORMATS = ("csv", "xlsx")


@dataclass(frozen=True, slots=True)
class Columns:
    """A source's columns as its file names them, in order (repeats kept), and what else its head showed."""

    names: tuple[str, ...]  # trimmed; an empty CSV header cell by the name DuckDB gives it (column2)
    read_as: tuple[str, ...] = ()  # the names DuckDB reads them by, in the same order (repeats renamed)
    repeated_keys: tuple[tuple[str, int], ...] = ()  # JSON: (key, line of the first object repeating it)
    #: the file has no records (empty NDJSON, ``[]``, XML whose record element never occurs under
    #: its parent): it names no columns, and every column a spec reads is empty in zero rows
    empty: bool = False

    @property
    def physical(self) -> tuple[str, ...]:
        return self.read_as or self.names


def fold(name: str) -> str:
    """Names as SQL compares them: DuckDB ignores ASCII case only (``Phone`` = ``phone``, ``Łódź`` != ``łódź``)."""
    return name.translate(_LOWER)


def selector(name: str) -> tuple[str, int | None]:
    """``phone#2`` -> ``('phone', 2)``; a name without a selector -> ``(name, None)``.

    >>> selector("phone#2"), selector("phone"), selector("Nr#"), selector("a#2#1")
    (('phone', 2), ('phone', None), ('Nr#', None), ('a#2', 1))
    """
    found = _SELECTOR.match(name)
    return (found.group(1), int(found.group(2))) if found else (name, None)


def read_name(name: str, fmt: str) -> str:
    """The column the compiled SQL selects for a spec's column name (DuckDB's name for that occurrence).

    >>> read_name("phone#1", "csv"), read_name("phone#3", "xlsx"), read_name("a#2", "json")
    ('phone', 'phone_2', 'a#2')
    """
    if fmt not in HEADER_FORMATS:
        return name
    base, n = selector(name)
    if n is None or n == 1:
        return base
    return f"{base}_{n - 1}"


def duckdb_names(names: tuple[str, ...]) -> tuple[str, ...]:
    """The names DuckDB's CSV reader gives header cells (already trimmed, empty ones already named).

    A name met before (ignoring ASCII case) gets ``_<count>`` appended, and again while the
    result is taken. tests/property/test_headers.py checks this against DuckDB.

    >>> duckdb_names(("phone", "Phone", "phone_1", "PHONE"))
    ('phone', 'Phone_1', 'phone_1_1', 'PHONE_2')
    """
    counts: dict[str, int] = {}
    out = []
    for name in names:
        while fold(name) in counts:
            counts[fold(name)] += 1
            name = f"{name}_{counts[fold(name)]}"
        counts[fold(name)] = 0
        out.append(name)
    return tuple(out)
