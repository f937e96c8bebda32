"""Counting a source in DuckDB: rows, non-empty and distinct values, top values, value shapes.

In:  a detected ``Format``, a DuckDB connection, a scratch folder.
Out: ``Loaded`` (the source's table and its columns) and ``Measured`` (per-column counts and
shape counts) — a few queries per source, never Python per value.

The file is converted as a run converts it (``compiler.sources``: cp1250 transcoded, XML to
NDJSON, xlsx to CSV) and read, every column as text, into one table (``sqlgen.stage.read_source``,
the run's own reader). Then, over the table (``count``):

1. one pass over every row: non-empty count, distinct count, shortest and longest value. The
   distinct count is exact in a file up to
   ``EXACT_ROWS`` rows, else HyperLogLog's estimate (``approx_count_distinct``, within about
   2%; ``Column.distinct_approximate``): an exact count hashes every value of every column,
   the largest cost of a profile at 1M rows;
2. columns with at most ``FEW`` distinct values (most of them) are grouped by value in one
   query: their distinct count becomes exact, and their top values are the most frequent
   (ties by value). For the others, the most frequent values of a systematic sample (every
   k-th row, at most ``TOP_SAMPLE_ROWS``) are the candidates, counted exactly over the rows
   holding one (``IN``; trimmed, as before, where values have blanks). A column that could be
   a key gets its exact distinct count from ``relate.exact_keys``. Whether a column has values
   with blanks to trim is read from a grouped column's distinct values, else in one more pass
   over the other columns (``TRIM`` of every value is most of a pass's cost);
3. one pass over a smaller systematic sample (at most ``SAMPLE_ROWS``; every row of a smaller
   file): each value's shape (``profile.shapes``), grouped, each distinct value classified
   once. ``refine``'s checks read the same sample.

Where no value of a column has blanks trimming would remove (``Loaded.padded``), the full-row
queries here and in ``relate`` compare the column as it is (``key``), not ``TRIM`` of it.
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

#: Shapes, and the checks ``refine`` runs (transforms, phone groups, check digits), are counted
#: over a systematic sample of at most this many rows: a share from 20,000 values is within
#: about 0.7% (two standard errors), and a regular expression or a phone transform costs per value.
SAMPLE_ROWS = 20_000
#: A many-valued column's top value candidates come from a larger sample (every k-th row, at most
#: this many): the candidates, not their counts, depend on it; the counts are over every row.
TOP_SAMPLE_ROWS = 100_000
#: Files up to this many rows get an exact distinct count in every column.
EXACT_ROWS = 100_000
#: Columns with at most this many distinct values (estimated) have every value counted: their
#: distinct count and top values are exact. Above it, the sample's most frequent values are
#: the candidates, counted over every row.
FEW = 50_000
TOP = 5


@dataclass(frozen=True, slots=True)
class Loaded:
    found: Format
    table: str  # the full table
    sample: str  # the rows shapes are counted over (the same table when every row is sampled)
    columns: tuple[str, ...]
    rows: int
    sampled: int
    padded: frozenset[str] = frozenset()  # columns with values that TRIM changes (set after ``count``)
    top_every: int = 1  # top value candidates come from every k-th row (at most ``TOP_SAMPLE_ROWS``)


@dataclass(frozen=True, slots=True)
class Counts:
    non_empty: int
    distinct: int
    approximate: bool  # ``distinct`` is HyperLogLog's estimate
    padded: bool  # some value has leading or trailing blanks
    min_length: int
    max_length: int
    top: tuple[TopValue, ...]
    shapes: tuple[tuple[str, int, str], ...]  # (shape key, sampled values, an example), most first


#: The temporary macro naming a value's shape (``shapes.classify``), defined once per connection
#: (``define``): its ``CASE`` of 30 regular expressions is built and sent once, not per column.
SHAPE = "ferry_profile_shape"


def define(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE OR REPLACE TEMP MACRO {SHAPE}(v) AS {sql(shapes.classify(exp.column('v')))}")


def shape_of(v: exp.Expression) -> exp.Expression:
    """``shapes.classify(v)``, through the macro ``define`` made."""
    return exp.Anonymous(this=SHAPE, expressions=[v])


def sql(expression: exp.Expression) -> str:
    return expression.sql(dialect="duckdb")


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def value(name: str) -> exp.Expression:
    """A column's value, NULL when empty or blank (as a run's ``blank_as_null`` sees it)."""
    return exp.Nullif(this=exp.Trim(this=col(name)), expression=exp.Literal.string(""))


def key(loaded: Loaded, name: str) -> exp.Expression:
    """``value(name)``, without the ``TRIM`` where no value of the column has blanks to trim."""
    if name in loaded.padded:
        return value(name)
    return exp.Nullif(this=col(name), expression=exp.Literal.string(""))


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
    top_every = max(1, math.ceil(rows / TOP_SAMPLE_ROWS))  # read in place: one column at a time
    step = max(1, math.ceil(rows / SAMPLE_ROWS))
    if step == 1:
        return Loaded(found, table, table, columns, rows, rows, top_every=top_every)
    con.execute(sql(exp.Create(this=exp.to_table(sample), kind="TABLE",
                               expression=exp.select(exp.Star()).from_(table).where(_every(step)))))
    sampled = con.execute(sql(exp.select(exp.Count(this=exp.Star())).from_(sample))).fetchone()[0]
    return Loaded(found, table, sample, columns, rows, sampled, top_every=top_every)


def _every(step: int) -> exp.Expression:
    """Every ``step``-th row (a systematic sample)."""
    return exp.EQ(this=exp.Mod(this=exp.column("rowid"), expression=exp.Literal.number(step)),
                  expression=exp.Literal.number(0))


def count(con: duckdb.DuckDBPyConnection, loaded: Loaded) -> tuple[Counts, ...]:
    """Counts over every row, shapes over the sample, one ``Counts`` per column in file order."""
    if not loaded.columns:
        return ()
    exact = loaded.rows <= EXACT_ROWS
    aggregates = []
    for name in loaded.columns:
        v = exp.Nullif(this=col(name), expression=exp.Literal.string(""))  # untrimmed: trim doubles the pass
        length = exp.Length(this=v.copy())
        distinct = (exp.Count(this=exp.Distinct(expressions=[v.copy()])) if exact
                    else exp.Anonymous(this="approx_count_distinct", expressions=[v.copy()]))
        aggregates += [exp.Count(this=v.copy()), distinct, exp.Min(this=length), exp.Max(this=length.copy())]
    row = con.execute(sql(exp.select(*aggregates).from_(loaded.table))).fetchone()
    width = 4
    cells = [tuple(x or 0 for x in row[i * width:(i + 1) * width]) for i in range(len(loaded.columns))]
    grouped = _grouped(con, loaded, [i for i, cell in enumerate(cells) if cell[1] <= FEW])
    # Whether some value has blanks TRIM removes: a grouped column's distinct values tell; the
    # others are tested row by row (TRIM is most of a pass's cost: only where it must).
    padded = {i: g[2] for i, g in grouped.items()}
    padded |= _padded(con, loaded, [i for i in range(len(cells)) if i not in grouped])
    # Top candidates: a grouped column's own, else the sample's; recounted where the top values
    # are not yet counted as they are compared (a padded column's values are counted trimmed).
    recount = [i for i in range(len(cells)) if i not in grouped or padded[i]]
    picked = _grouped(con, loaded, [i for i in recount if i not in grouped], loaded.top_every)
    tops = _top_values(con, loaded, recount, {i: (grouped.get(i) or picked[i])[1] for i in recount},
                       [padded[i] for i in range(len(cells))])
    found = _shapes(con, loaded)
    result = []
    for i, (non_empty, distinct, shortest, longest) in enumerate(cells):
        approximate = not exact and i not in grouped
        if i in grouped:
            distinct = grouped[i][0]
        top = tops[i] if i in tops else grouped[i][1]
        result.append(Counts(non_empty, distinct, approximate, padded[i], shortest, longest, top, found.get(i, ())))
    return tuple(result)


def _padded(con: duckdb.DuckDBPyConnection, loaded: Loaded, columns: list[int]) -> dict[int, bool]:
    """Whether some value of each column has leading or trailing blanks (one pass over every row)."""
    if not columns:
        return {}
    tests = [exp.func("bool_or", exp.NEQ(this=exp.Trim(this=col(loaded.columns[i])), expression=col(loaded.columns[i])),
                      dialect="duckdb") for i in columns]
    row = con.execute(sql(exp.select(*tests).from_(loaded.table))).fetchone()
    return {i: bool(found) for i, found in zip(columns, row)}


def _union(parts: list[exp.Select]) -> exp.Expression:
    union = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=False, copy=False)  # copying would be quadratic
    return union


def _grouped(con: duckdb.DuckDBPyConnection, loaded: Loaded, few: list[int], every: int = 1,
             ) -> dict[int, tuple[int, tuple[TopValue, ...], bool]]:
    """Columns with few distinct values, each value as written counted: the exact distinct count,
    top values, the most frequent first, then by value, and whether some value has blanks TRIM
    removes (of every row, or every ``every``-th)."""
    if not few:
        return {}
    c, v, n = (exp.column(x, quoted=True) for x in ("c", "v", "n"))
    parts = []
    for i in few:
        k = exp.Nullif(this=col(loaded.columns[i]), expression=exp.Literal.string(""))
        parts.append(exp.select(exp.alias_(exp.Literal.number(i), "c", quoted=True), exp.alias_(k, "v", quoted=True),
                                exp.alias_(exp.Count(this=exp.Star()), "n", quoted=True))
                     .from_(loaded.table).where(exp.not_(exp.Is(this=k.copy(), expression=exp.null())))
                     .where(_every(every) if every > 1 else None)
                     .group_by(exp.Literal.number(1), exp.Literal.number(2)))
    # min_by over (-n, v): the TOP most frequent, ties by value, without sorting every group
    rank = exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier("k"), expression=exp.Neg(this=n.copy())),
                                   exp.PropertyEQ(this=exp.to_identifier("v"), expression=v.copy())])
    pair = exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier("v"), expression=v.copy()),
                                   exp.PropertyEQ(this=exp.to_identifier("n"), expression=n.copy())])
    padded = exp.func("bool_or", exp.NEQ(this=exp.Trim(this=v.copy()), expression=v.copy()), dialect="duckdb")
    query = (exp.select(c.copy(), exp.Count(this=exp.Star()),
                        exp.func("min_by", pair, rank, exp.Literal.number(TOP), dialect="duckdb"), padded)
             .from_(_union(parts).subquery("g")).group_by(c.copy()))
    found: dict[int, tuple[int, tuple[TopValue, ...], bool]] = {i: (0, (), False) for i in few}
    for i, d, top, blanks in con.execute(sql(query)).fetchall():
        found[i] = (d, tuple(sorted((TopValue(t["v"], t["n"]) for t in top), key=lambda t: (-t.count, t.value))),
                    bool(blanks))
    return found


def _top_values(con: duckdb.DuckDBPyConnection, loaded: Loaded, recount: list[int],
                candidates: dict[int, tuple[TopValue, ...]], padded: list[int]) -> dict[int, tuple[TopValue, ...]]:
    """The candidates counted exactly over every row (for a many-valued column they come from the
    sample: a value frequent in every row is frequent in every k-th)."""
    if not recount:
        return {}
    tops = [[t.value for t in candidates[i]] for i in recount]
    counted = _top_counts(con, loaded, [loaded.columns[i] for i in recount], tops, [bool(padded[i]) for i in recount])
    return {i: tuple(sorted((TopValue(t, n) for t, n in zip(values, counts) if n), key=lambda t: (-t.count, t.value)))
            for i, values, counts in zip(recount, tops, counted)}


def _top_counts(con: duckdb.DuckDBPyConnection, loaded: Loaded, names: list[str], tops: list[list[str]],
                padded: list[bool]) -> list[list[int]]:
    """Each top value's exact count: one grouped scan per column over the rows holding one of them."""
    parts = []
    for i, (name, values, blanks) in enumerate(zip(names, tops, padded)):
        if not values:
            continue
        k = value(name) if blanks else col(name)
        parts.append(exp.select(exp.alias_(exp.Literal.number(i), "c"), exp.alias_(k, "v", quoted=True),
                                exp.alias_(exp.Count(this=exp.Star()), "n"))
                     .from_(loaded.table).where(exp.In(this=k.copy(), expressions=[exp.Literal.string(t) for t in values]))
                     .group_by(exp.Literal.number(1), exp.Literal.number(2)))
    if not parts:
        return [[] for _ in tops]
    counts = {(i, v): n for i, v, n in con.execute(sql(_union(parts))).fetchall()}
    return [[counts.get((i, t), 0) for t in values] for i, values in enumerate(tops)]


def _shapes(con: duckdb.DuckDBPyConnection, loaded: Loaded) -> dict[int, tuple[tuple[str, int, str], ...]]:
    """Shape counts over the sample; each distinct value is classified once (a status column holds three)."""
    parts = []
    v, n = exp.column("v", quoted=True), exp.column("n", quoted=True)
    for i, name in enumerate(loaded.columns):
        inner = (exp.select(exp.alias_(value(name), "v", quoted=True), exp.alias_(exp.Count(this=exp.Star()), "n", quoted=True))
                 .from_(loaded.sample).group_by(exp.Literal.number(1)))
        parts.append(exp.select(exp.alias_(exp.Literal.number(i), "c"), exp.alias_(shape_of(v.copy()), "shape"),
                                exp.alias_(exp.Sum(this=n.copy()), "n"), exp.alias_(exp.Min(this=v.copy()), "example"))
                     .from_(inner.subquery("vals")).where(exp.not_(exp.Is(this=v.copy(), expression=exp.null())))
                     .group_by(exp.Literal.number(1), exp.Literal.number(2)))
    found: dict[int, list[tuple[str, int, str]]] = {}
    for i, shape, count, example in con.execute(sql(_union(parts))).fetchall():
        found.setdefault(i, []).append((shape, int(count), example))
    return {i: tuple(sorted(v, key=lambda s: (-s[1], s[0]))) for i, v in found.items()}
