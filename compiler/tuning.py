"""DuckDB settings for a run: how much memory it may hold and where it spills the rest.

In:  an open connection and the run's scratch folder (beside the target, removed when the run ends).
Out: nothing; the connection is configured.

DuckDB's default memory limit is 80% of the machine's RAM, and a run's working tables (the source
rows with their mapped values, reasons and ids) stay in memory while they fit: a 5M-contact run held
nearly 5 GiB. With a limit, DuckDB spills what does not fit to its temporary directory, which is
put in the run's scratch folder so that it is removed with it (the default is beside the database).
The limit is ``FERRY_MEMORY_LIMIT`` (DuckDB's syntax: ``4GB``, ``500MB``, ``50%``), else
``DEFAULT_MEMORY_LIMIT``, never more than DuckDB's own default. Insertion order is kept
(``preserve_insertion_order``): source rows are numbered in file order, and every id, dedup survivor
and output order depends on that numbering.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
from sqlglot import exp

from compiler.errors import Diagnostic, FerryError, Span

MEMORY_ENV = "FERRY_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "1GB"


def configure(con: duckdb.DuckDBPyConnection, scratch: Path) -> None:
    spill = scratch / "spill"
    _set(con, "temp_directory", str(spill))
    wanted = os.environ.get(MEMORY_ENV, "").strip() or DEFAULT_MEMORY_LIMIT
    con.execute("RESET memory_limit")
    default = _bytes(con)
    try:
        _set(con, "memory_limit", wanted)
    except duckdb.Error as exc:
        raise FerryError(Diagnostic("F619", f"{MEMORY_ENV}={wanted!r} is not a memory size: "
                                    f"{str(exc).splitlines()[0]}", Span(MEMORY_ENV),
                                    "write it as DuckDB does, e.g. 2GB, 500MB or 50%")) from None
    if _bytes(con) > default:
        con.execute("RESET memory_limit")  # more than the machine has gains nothing


def _set(con: duckdb.DuckDBPyConnection, name: str, value: str) -> None:
    con.execute(exp.Set(expressions=[exp.SetItem(this=exp.EQ(
        this=exp.to_identifier(name), expression=exp.Literal.string(value)))]).sql(dialect="duckdb"))


def _bytes(con: duckdb.DuckDBPyConnection) -> int:
    """The memory limit in bytes (DuckDB shows it rounded: '953.6 MiB')."""
    number, unit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0].split()
    scale = {"bytes": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}[unit]
    return int(float(number) * scale)
