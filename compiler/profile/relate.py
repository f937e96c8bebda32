"""Keys within and between files: candidate ids, likely duplicate keys, references.

In:  the loaded sources (``measure.Loaded``) with their columns (``model.Column``).
Out: exact distinct counts for the columns that could be keys (``exact_keys``), candidate ids
per source, ``Duplicate`` counts, ``Reference`` pairs — all counted in DuckDB over every row.

- **Candidate id**: a column with a value in (nearly) every row, (nearly) all distinct: at least
  ``ID_SHARE`` of the rows each way. Exact ones (every row, all distinct) rank first, then names
  that say id, then the leftmost.
- **Likely duplicate key**: an e-mail, phone, NIP, id number or VAT number column, counted as a
  dedup key would compare it (e-mail lower-cased; phone, NIP and id number by their digits, the
  last 9 of a phone; VAT number upper-cased without separators), or a column whose
  values are almost all distinct, as written, that still repeats values.
- **Reference**: a column (not the file's id) whose distinct values are mostly (``REF_SHARE``)
  found in another file's first candidate id, or in another column of its own file's (a
  parent). Integer columns are compared only where their ranges overlap. Each pair is first
  compared on the distinct values whose hash falls in one of ``BUCKETS`` buckets, on both sides
  (a value and its match hash alike, so the share found is estimated without bias); a pair is
  then counted exactly unless its estimate, on at least ``SURE`` sampled values, is below
  ``REF_SHARE`` less ``MARGIN`` (six standard errors), or the hits it could have are fewer than
  the best exact pair's so far. The counts shown are always the exact ones.
"""

from __future__ import annotations

import duckdb
from sqlglot import exp

import dataclasses
import math

from compiler.profile.measure import Loaded, key, sql
from compiler.profile.model import Column, Duplicate, Reference

ID_SHARE = 0.99
REF_SHARE = 0.5
#: An approximate distinct count at least this share of a column's values is counted exactly
#: (a candidate id needs 99%, a likely duplicate key 90%; HyperLogLog is within about 2%).
EXACT_SHARE = 0.85
BUCKETS = 16
SURE = 1000
MARGIN = 0.1
#: Integers and codes (integers kept as text) are compared with each other, as text.
_DIGITS = {"integer": "digits", "code": "digits"}
_KEY_KINDS = ("email", "phone", "nip", "id_number", "vat_id")

#: Duplicates of a column as written, found while counting its distinct values exactly:
#: (rows beyond the first, values repeated, an example), or None when no value repeats.
Written = dict[str, tuple[int, int, str] | None]


def exact_keys(con: duckdb.DuckDBPyConnection, loaded: Loaded, columns: tuple[Column, ...]
               ) -> tuple[tuple[Column, ...], Written]:
    """Columns whose approximate distinct count makes them a possible id or key, counted exactly
    (one grouped pass each, which also yields their duplicates as written)."""
    out, written = [], {}
    for c in columns:
        if (not c.distinct_approximate or c.kind not in ("integer", "text", "nip", "code", "id_number")
                or c.distinct < EXACT_SHARE * c.non_empty):
            out.append(c)
            continue
        distinct, repeated = _groups(con, loaded, exp.Nullif(this=exp.column(c.name, quoted=True),
                                                             expression=exp.Literal.string("")))
        if c.name not in loaded.padded:  # as written = trimmed: the duplicates as ``duplicates`` counts them
            written[c.name] = repeated
        out.append(dataclasses.replace(c, distinct=distinct, distinct_approximate=False))
    return tuple(out), written


def candidate_ids(loaded: Loaded, columns: tuple[Column, ...]) -> tuple[str, ...]:
    rows = max(loaded.rows, 1)
    found = [(c.non_empty == loaded.rows and c.distinct == c.non_empty, "id" in c.name.lower(), -i, c.name)
             for i, c in enumerate(columns)
             if c.non_empty >= ID_SHARE * rows and c.distinct >= ID_SHARE * rows
             and c.kind in ("integer", "text", "nip", "code", "id_number")]
    return tuple(name for *_, name in sorted(found, reverse=True))


def _normalized(loaded: Loaded, c: Column) -> tuple[str, exp.Expression] | None:
    v = key(loaded, c.name)
    if c.kind == "email":
        return "lower-case", exp.Lower(this=v)
    digits = exp.func("regexp_replace", v, exp.Literal.string("[^0-9]"), exp.Literal.string(""),
                      exp.Literal.string("g"), dialect="duckdb")
    if c.kind == "phone":
        return "last 9 digits", exp.func("right", digits, exp.Literal.number(9), dialect="duckdb")
    if c.kind in ("nip", "id_number"):
        return "digits only", digits
    if c.kind == "vat_id":
        return "upper-case, no separators", exp.func("regexp_replace", exp.Upper(this=key(loaded, c.name)),
                                                     exp.Literal.string("[ .\\-]"), exp.Literal.string(""),
                                                     exp.Literal.string("g"), dialect="duckdb")
    return None


def duplicates(con: duckdb.DuckDBPyConnection, loaded: Loaded, columns: tuple[Column, ...],
               written: Written | None = None) -> tuple[Duplicate, ...]:
    found = []
    for c in columns:
        keyish = c.kind in _KEY_KINDS or (c.kind in ("integer", "text", "code") and c.distinct >= 0.9 * c.non_empty)
        if not keyish or not c.non_empty:
            continue
        # An e-mail, phone or NIP column is counted as a dedup key compares it (one pass less at 1M rows).
        normalized = _normalized(loaded, c)
        ways = [normalized] if normalized is not None else [("as written", key(loaded, c.name))]
        for how, k in ways:
            if how == "as written" and written and c.name in written:
                duplicate = written[c.name]
            else:
                duplicate = _groups(con, loaded, k)[1]
            if duplicate is not None:
                found.append(Duplicate(c.name, how, *duplicate))
    return tuple(found)


def _groups(con: duckdb.DuckDBPyConnection, loaded: Loaded, k: exp.Expression) -> tuple[int, tuple[int, int, str] | None]:
    """The distinct non-empty values of ``k``, and its duplicates: (rows beyond the first of
    each value, values repeated, the most repeated, ties by value), None when no value repeats.
    Empty keys are left out after grouping: a filter on ``k`` before it would compute ``k`` again per row."""
    kc, n = exp.column("k", quoted=True), exp.column("n", quoted=True)
    groups = (exp.select(exp.alias_(k, "k", quoted=True), exp.alias_(exp.Count(this=exp.Star()), "n", quoted=True))
              .from_(loaded.table).group_by(exp.Literal.number(1)))
    filled = exp.and_(exp.not_(exp.Is(this=kc.copy(), expression=exp.null())),
                      exp.NEQ(this=kc.copy(), expression=exp.Literal.string("")))
    many = exp.Where(this=exp.and_(filled.copy(), exp.GT(this=n.copy(), expression=exp.Literal.number(1))))
    # the example: the most repeated value, ties by value (arg_max over n alone took whichever
    # tied group DuckDB's threads met first: two runs could name different examples)
    rank = exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier("n"), expression=exp.Neg(this=n.copy())),
                                   exp.PropertyEQ(this=exp.to_identifier("k"), expression=kc.copy())])
    query = exp.select(exp.Filter(this=exp.Count(this=exp.Star()), expression=exp.Where(this=filled)),
                       exp.Filter(this=exp.Sum(this=exp.Sub(this=n.copy(), expression=exp.Literal.number(1))), expression=many),
                       exp.Filter(this=exp.Count(this=exp.Star()), expression=many.copy()),
                       exp.Filter(this=exp.func("arg_min", kc.copy(), rank, dialect="duckdb"), expression=many.copy())
                       ).from_(groups.subquery("g"))
    distinct, rows, values, example = con.execute(sql(query)).fetchone()
    return int(distinct), ((int(rows), int(values), example or "") if values else None)


def _ranges(con: duckdb.DuckDBPyConnection, loaded: Loaded, columns: tuple[Column, ...]) -> dict[str, tuple[int, int]]:
    integers = [c.name for c in columns if c.kind == "integer"]
    if not integers:
        return {}
    aggregates = []
    for name in integers:
        number = exp.TryCast(this=key(loaded, name), to=exp.DataType.build("HUGEINT"))
        aggregates += [exp.Min(this=number), exp.Max(this=number.copy())]
    row = con.execute(sql(exp.select(*aggregates).from_(loaded.table))).fetchone()
    return {name: (row[2 * i], row[2 * i + 1]) for i, name in enumerate(integers) if row[2 * i] is not None}


def references(con: duckdb.DuckDBPyConnection, profiled: list[tuple[Loaded, tuple[Column, ...], tuple[str, ...]]]
               ) -> tuple[Reference, ...]:
    """For each column that is not its file's id, the candidate id its values are best found in."""
    ranges = {loaded.found.name: _ranges(con, loaded, columns) for loaded, columns, _ in profiled}
    kinds = {(loaded.found.name, c.name): c.kind for loaded, columns, _ in profiled for c in columns}
    targets = [(loaded, ids[0]) for loaded, _, ids in profiled if ids]
    sampled: dict[tuple[str, str], str] = {}
    found = []
    for loaded, columns, ids in profiled:
        own = ids[0] if ids else None
        for c in columns:
            if c.name == own or c.kind not in ("integer", "text", "code") or not c.non_empty:
                continue
            estimates = []
            for order, (target, id_column) in enumerate(targets):
                if (target.found.name, id_column) == (loaded.found.name, c.name):
                    continue
                target_kind = kinds[(target.found.name, id_column)]
                if _DIGITS.get(target_kind, target_kind) != _DIGITS.get(c.kind, c.kind):
                    continue
                a, b = ranges[loaded.found.name].get(c.name), ranges[target.found.name].get(id_column)
                if c.kind == target_kind == "integer" and (a is None or b is None or a[1] < b[0] or b[1] < a[0]):
                    continue
                hit, miss = _overlap(con, _sample(con, sampled, loaded, c.name), _sample(con, sampled, target, id_column))
                n = hit + miss
                if n >= SURE and hit < (REF_SHARE - MARGIN) * n:
                    continue
                estimates.append((hit, order, target, id_column))
            best, rank = None, None
            for hit, order, target, id_column in sorted(estimates, key=lambda e: (-e[0], e[1])):
                most = (hit + 6 * math.sqrt(hit) + 6) * BUCKETS  # six standard errors above the estimate
                if best is not None and most < best.found:
                    break
                exact = _overlap(con, _distinct(loaded, c.name), _values(target, id_column))
                if exact[0] and exact[0] >= REF_SHARE * sum(exact) and (rank is None or (exact[0], -order) > rank):
                    best, rank = Reference(loaded.found.name, c.name, target.found.name, id_column, *exact), (exact[0], -order)
            if best is not None:
                found.append(best)
    return tuple(found)


def _values(loaded: Loaded, name: str) -> exp.Select:
    k = key(loaded, name)
    return (exp.select(exp.alias_(k, "v", quoted=True)).from_(loaded.table)
            .where(exp.not_(exp.Is(this=k.copy(), expression=exp.null()))))


def _distinct(loaded: Loaded, name: str, where: exp.Expression | None = None) -> exp.Select:
    query = _values(loaded, name).distinct()
    return query.where(where) if where is not None else query


def _sample(con: duckdb.DuckDBPyConnection, made: dict[tuple[str, str], str], loaded: Loaded, name: str) -> exp.Select:
    """The distinct values of a column whose hash is in bucket 0 of ``BUCKETS``, kept as a temp table."""
    if (loaded.table, name) not in made:
        table = f"{loaded.table}_h{loaded.columns.index(name)}"
        bucket = exp.EQ(this=exp.Mod(this=exp.Anonymous(this="hash", expressions=[key(loaded, name)]),
                                     expression=exp.Literal.number(BUCKETS)), expression=exp.Literal.number(0))
        con.execute(sql(exp.Create(this=exp.to_table(table), kind="TABLE", properties=exp.Properties(
            expressions=[exp.TemporaryProperty()]), expression=_distinct(loaded, name, bucket))))
        made[(loaded.table, name)] = table
    return exp.select(exp.column("v", quoted=True)).from_(made[(loaded.table, name)])


def _overlap(con: duckdb.DuckDBPyConnection, values: exp.Select, targets: exp.Select) -> tuple[int, int]:
    """Of the distinct ``values``, how many are among ``targets``' values, and how many are not."""
    v = exp.column("v", quoted=True)
    hit = exp.In(this=v.copy(), query=exp.select(exp.alias_(v.copy(), "w", quoted=True)).from_(targets.subquery("y")).subquery())
    query = exp.select(exp.func("count_if", hit, dialect="duckdb"), exp.Count(this=exp.Star())).from_(values.subquery("x"))
    hits, total = con.execute(sql(query)).fetchone()
    return int(hits or 0), int(total) - int(hits or 0)
