"""Keys within and between files: candidate ids, likely duplicate keys, references.

In:  the loaded sources (``measure.Loaded``) with their columns (``model.Column``).
Out: candidate ids per source, ``Duplicate`` counts, ``Reference`` pairs — all counted in
DuckDB over every row.

- **Candidate id**: a column with a value in (nearly) every row, (nearly) all distinct: at least
  ``ID_SHARE`` of the rows each way. Exact ones (every row, all distinct) rank first, then names
  that say id, then the leftmost.
- **Likely duplicate key**: an e-mail, phone or NIP column, counted as a dedup key would compare
  it (e-mail lower-cased; phone and NIP by their digits, the last 9 of a phone), or a column whose
  values are almost all distinct, as written, that still repeats values.
- **Reference**: a column (not the file's id) whose distinct values are mostly (``REF_SHARE``)
  found in another file's first candidate id, or in another column of its own file's (a
  parent). Integer columns are compared only where their ranges overlap.
"""

from __future__ import annotations

import duckdb
from sqlglot import exp

from compiler.profile.measure import Loaded, col, sql, value
from compiler.profile.model import Column, Duplicate, Reference

ID_SHARE = 0.99
REF_SHARE = 0.5
_KEY_KINDS = ("email", "phone", "nip")


def candidate_ids(loaded: Loaded, columns: tuple[Column, ...]) -> tuple[str, ...]:
    rows = max(loaded.rows, 1)
    found = [(c.non_empty == loaded.rows and c.distinct == c.non_empty, "id" in c.name.lower(), -i, c.name)
             for i, c in enumerate(columns)
             if c.non_empty >= ID_SHARE * rows and c.distinct >= ID_SHARE * rows and c.kind in ("integer", "text", "nip")]
    return tuple(name for *_, name in sorted(found, reverse=True))


def _normalized(c: Column) -> tuple[str, exp.Expression] | None:
    v = value(c.name)
    if c.kind == "email":
        return "lower-case", exp.Lower(this=v)
    digits = exp.func("regexp_replace", v, exp.Literal.string("[^0-9]"), exp.Literal.string(""),
                      exp.Literal.string("g"), dialect="duckdb")
    if c.kind == "phone":
        return "last 9 digits", exp.func("right", digits, exp.Literal.number(9), dialect="duckdb")
    if c.kind == "nip":
        return "digits only", digits
    return None


def duplicates(con: duckdb.DuckDBPyConnection, loaded: Loaded, columns: tuple[Column, ...]) -> tuple[Duplicate, ...]:
    found = []
    for c in columns:
        keyish = c.kind in _KEY_KINDS or (c.kind in ("integer", "text") and c.distinct >= 0.9 * c.non_empty)
        if not keyish or not c.non_empty:
            continue
        # An e-mail, phone or NIP column is counted as a dedup key compares it (one pass less at 1M rows).
        normalized = _normalized(c)
        ways = [normalized] if normalized is not None else [("as written", value(c.name))]
        for how, key in ways:
            duplicate = _count(con, loaded, key)
            if duplicate is not None:
                found.append(Duplicate(c.name, how, *duplicate))
    return tuple(found)


def _count(con: duckdb.DuckDBPyConnection, loaded: Loaded, key: exp.Expression) -> tuple[int, int, str] | None:
    k, n = exp.column("k", quoted=True), exp.column("n", quoted=True)
    groups = (exp.select(exp.alias_(key, "k", quoted=True), exp.alias_(exp.Count(this=exp.Star()), "n", quoted=True))
              .from_(loaded.table).where(exp.not_(exp.Is(this=key.copy(), expression=exp.null())))
              .where(exp.NEQ(this=key.copy(), expression=exp.Literal.string(""))).group_by(exp.Literal.number(1))
              .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1))))
    query = exp.select(exp.Sum(this=exp.Sub(this=n.copy(), expression=exp.Literal.number(1))), exp.Count(this=exp.Star()),
                       exp.func("arg_max", k.copy(), n.copy(), dialect="duckdb")).from_(groups.subquery("g"))
    rows, values, example = con.execute(sql(query)).fetchone()
    return (int(rows), int(values), example or "") if values else None


def _ranges(con: duckdb.DuckDBPyConnection, loaded: Loaded, columns: tuple[Column, ...]) -> dict[str, tuple[int, int]]:
    integers = [c.name for c in columns if c.kind == "integer"]
    if not integers:
        return {}
    aggregates = []
    for name in integers:
        number = exp.TryCast(this=value(name), to=exp.DataType.build("HUGEINT"))
        aggregates += [exp.Min(this=number), exp.Max(this=number.copy())]
    row = con.execute(sql(exp.select(*aggregates).from_(loaded.table))).fetchone()
    return {name: (row[2 * i], row[2 * i + 1]) for i, name in enumerate(integers) if row[2 * i] is not None}


def references(con: duckdb.DuckDBPyConnection, profiled: list[tuple[Loaded, tuple[Column, ...], tuple[str, ...]]]
               ) -> tuple[Reference, ...]:
    """For each column that is not its file's id, the candidate id its values are best found in."""
    ranges = {loaded.found.name: _ranges(con, loaded, columns) for loaded, columns, _ in profiled}
    kinds = {(loaded.found.name, c.name): c.kind for loaded, columns, _ in profiled for c in columns}
    targets = [(loaded, ids[0]) for loaded, _, ids in profiled if ids]
    found = []
    for loaded, columns, ids in profiled:
        own = ids[0] if ids else None
        for c in columns:
            if c.name == own or c.kind not in ("integer", "text") or not c.non_empty:
                continue
            best = None
            for target, id_column in targets:
                if (target.found.name, id_column) == (loaded.found.name, c.name):
                    continue
                if kinds[(target.found.name, id_column)] != c.kind:
                    continue
                a, b = ranges[loaded.found.name].get(c.name), ranges[target.found.name].get(id_column)
                if c.kind == "integer" and (a is None or b is None or a[1] < b[0] or b[1] < a[0]):
                    continue
                hit, miss = _overlap(con, loaded, c.name, target, id_column)
                if hit and hit >= REF_SHARE * (hit + miss) and (best is None or hit > best.found):
                    best = Reference(loaded.found.name, c.name, target.found.name, id_column, hit, miss)
            if best is not None:
                found.append(best)
    return tuple(found)


def _overlap(con: duckdb.DuckDBPyConnection, loaded: Loaded, column: str, target: Loaded, id_column: str) -> tuple[int, int]:
    a = exp.select(exp.alias_(value(column), "a", quoted=True)).distinct().from_(loaded.table)
    b = exp.select(exp.alias_(value(id_column), "b", quoted=True)).distinct().from_(target.table)
    av, bv = col("a", "x"), col("b", "y")
    joined = (exp.select(exp.func("count_if", exp.not_(exp.Is(this=bv, expression=exp.null())), dialect="duckdb"),
                         exp.func("count_if", exp.Is(this=bv.copy(), expression=exp.null()), dialect="duckdb"))
              .from_(a.subquery("x"))
              .join(b.subquery("y"), on=exp.EQ(this=av, expression=bv.copy()), join_type="left")
              .where(exp.not_(exp.Is(this=av.copy(), expression=exp.null()))))
    hit, miss = con.execute(sql(joined)).fetchone()
    return int(hit or 0), int(miss or 0)
