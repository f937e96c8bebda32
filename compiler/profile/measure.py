"""Counting a source in DuckDB: rows, non-empty and distinct values, top values, value shapes.

In:  a detected ``Format``, a DuckDB connection, a scratch folder.
Out: ``Loaded`` (the source's table and its columns) and ``Measured`` (per-column counts and
shape counts) — a few queries per source, never Python per value.

The file is converted as a run converts it (``compiler.sources``: cp1250 transcoded, XML to
NDJSON, xlsx to CSV) and read, every column as text, into one table (``sqlgen.stage.read_source``,
the run's own reader). Then:

1. one pass over every row: non-empty count, exact distinct count (of the values as written), shortest and longest value,
   and DuckDB's ``approx_top_k``; a second pass counts those top values exactly;
2. one pass over a systematic sample (every k-th row, at most ``SAMPLE_ROWS``; every row of a
   smaller file): each value's shape (``profile.shapes``), grouped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import duckdb
from sqlglot import exp

from compiler import sources
from compiler.model import READS_AS
from compiler.profile import shapes
from compiler.profile.detect import to_source
from compiler.profile.model import Format, TopValue
from compiler.sqlgen.stage import read_source

SAMPLE_ROWS = 100_000
TOP = 5


@dataclass(frozen=True, slots=True)
class Loaded:
    found: Format
    table: str  # the full table
    sample: str  # the sampled rows (the same table when every row is sampled)
    columns: tuple[str, ...]
    rows: int
    sampled: int


@dataclass(frozen=True, slots=True)
class Counts:
    non_empty: int
    distinct: int
    min_length: int
    max_length: int
    top: tuple[TopValue, ...]
    shapes: tuple[tuple[str, int, str], ...]  # (shape key, sampled values, an example), most first


def sql(expression: exp.Expression) -> str:
    return expression.sql(dialect="duckdb")


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def value(name: str) -> exp.Expression:
    """A column's value, NULL when empty or blank (as a run's ``blank_as_null`` sees it)."""
    return exp.Nullif(this=exp.Trim(this=col(name)), expression=exp.Literal.string(""))


def load(con: duckdb.DuckDBPyConnection, found: Format, index: int, workdir: Path) -> Loaded:
    """Convert and read one file into table ``t<index>`` (and its sample ``s<index>``)."""
    path = Path(found.path)
    source = to_source(found)
    prepared = sources.prepare_input(source, path.parent, workdir)
    columns = prepared.columns if READS_AS[found.format] == "csv" else sources.all_columns(source, prepared.readable)
    sources.bind(con, source, prepared)
    table, sample = f"t{index}", f"s{index}"
    select = exp.select(*(col(c) for c in columns)).from_(exp.Table(this=read_source(source, columns)))
    con.execute(sql(exp.Create(this=exp.to_table(table), kind="TABLE", expression=select)))
    rows = con.execute(sql(exp.select(exp.Count(this=exp.Star())).from_(table))).fetchone()[0]
    step = max(1, math.ceil(rows / SAMPLE_ROWS))
    if step == 1:
        return Loaded(found, table, table, columns, rows, rows)
    every = exp.EQ(this=exp.Mod(this=exp.column("rowid"), expression=exp.Literal.number(step)),
                   expression=exp.Literal.number(0))
    con.execute(sql(exp.Create(this=exp.to_table(sample), kind="TABLE",
                               expression=exp.select(exp.Star()).from_(table).where(every))))
    sampled = con.execute(sql(exp.select(exp.Count(this=exp.Star())).from_(sample))).fetchone()[0]
    return Loaded(found, table, sample, columns, rows, sampled)


def count(con: duckdb.DuckDBPyConnection, loaded: Loaded) -> tuple[Counts, ...]:
    """Counts over every row, shapes over the sample, one ``Counts`` per column in file order."""
    if not loaded.columns:
        return ()
    aggregates = []
    for name in loaded.columns:
        v = exp.Nullif(this=col(name), expression=exp.Literal.string(""))  # untrimmed: trim doubles the pass
        length = exp.Length(this=v.copy())
        aggregates += [exp.Count(this=v.copy()), exp.Count(this=exp.Distinct(expressions=[v.copy()])),
                       exp.Min(this=length), exp.Max(this=length.copy()),
                       exp.Anonymous(this="approx_top_k", expressions=[v.copy(), exp.Literal.number(TOP)])]
    row = con.execute(sql(exp.select(*aggregates).from_(loaded.table))).fetchone()
    width = 5
    tops = [[t for t in (row[i * width + 4] or []) if t is not None] for i in range(len(loaded.columns))]
    exact = _top_counts(con, loaded, tops)
    found = _shapes(con, loaded)
    return tuple(
        Counts(row[i * width] or 0, row[i * width + 1] or 0, row[i * width + 2] or 0, row[i * width + 3] or 0,
               tuple(sorted((TopValue(t, n) for t, n in zip(tops[i], exact[i]) if n), key=lambda t: (-t.count, t.value))),
               found.get(i, ()))
        for i in range(len(loaded.columns)))


def _top_counts(con: duckdb.DuckDBPyConnection, loaded: Loaded, tops: list[list[str]]) -> list[list[int]]:
    checks = [exp.func("count_if", exp.EQ(this=value(name), expression=exp.Literal.string(t)), dialect="duckdb")
              for name, values in zip(loaded.columns, tops) for t in values]
    if not checks:
        return [[] for _ in tops]
    counts = iter(con.execute(sql(exp.select(*checks).from_(loaded.table))).fetchone())
    return [[next(counts) for _ in values] for values in tops]


def _shapes(con: duckdb.DuckDBPyConnection, loaded: Loaded) -> dict[int, tuple[tuple[str, int, str], ...]]:
    parts = []
    for i, name in enumerate(loaded.columns):
        inner = exp.select(exp.alias_(value(name), "v", quoted=True)).from_(loaded.sample)
        v = exp.column("v", quoted=True)
        parts.append(exp.select(exp.alias_(exp.Literal.number(i), "c"), exp.alias_(shapes.classify(v), "shape"),
                                exp.alias_(exp.Count(this=exp.Star()), "n"), exp.alias_(exp.Min(this=v.copy()), "example"))
                     .from_(inner.subquery("vals")).where(exp.not_(exp.Is(this=v.copy(), expression=exp.null())))
                     .group_by(exp.Literal.number(1), exp.Literal.number(2)))
    union = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=False)
    found: dict[int, list[tuple[str, int, str]]] = {}
    for i, shape, n, example in con.execute(sql(union)).fetchall():
        found.setdefault(i, []).append((shape, n, example))
    return {i: tuple(sorted(v, key=lambda s: (-s[1], s[0]))) for i, v in found.items()}
