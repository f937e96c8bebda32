"""Row accounting: every entity's working table and persisted tables -> ``EntityCounts``.

In:  an open DuckDB connection inside a run's transaction, and the compile manifest.
Out: per entity, how many source rows were read, loaded, merged, archived and rejected, and how
many values ``on_error: null`` emptied; per source, the rows read; the dedup statistics and the
unresolved references by cause. ``account`` refuses (F601) tables that do not add up, so a run
that lost or doubled a row rolls back instead of committing. Bookkeeping tables are shared by
every spec loading into the target: only this spec's rows (column ``spec``, ``_ferry_spec`` in an
entity's archive) are counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
from sqlglot import exp

from compiler.errors import Diagnostic, FerryError, Span
from compiler.sqlgen.ledgers import OWNER


def _fail(message: str, span: Span) -> FerryError:
    return FerryError(Diagnostic("F601", message, span, "this is a ferry bug: please report it with the spec"))


@dataclass(frozen=True, slots=True)
class EntityCounts:
    entity: str
    source: str
    read: int
    loaded: int
    merged: int
    archived: int
    rejected: int
    linked: int = 0  # of the loaded: records that already existed in the target (``match``)
    emptied: int = 0  # values loaded as NULL by ``on_error: null`` (in any row), each in _ferry.emptied_values
    #: an entity with several sources: the same counts for each source's rows (``source`` is then "a+b")
    by_source: tuple["EntityCounts", ...] = ()

    @property
    def balanced(self) -> bool:
        return self.read == self.loaded + self.merged + self.archived + self.rejected


def count(con: duckdb.DuckDBPyConnection, table: str, where: exp.Expression | None = None) -> int:
    query = exp.select(exp.Count(this=exp.Star())).from_(exp.to_table(table, quoted=True))
    if where is not None:
        query = query.where(where)
    return con.execute(query.sql(dialect="duckdb")).fetchall()[0][0]


def of_spec(manifest: dict[str, Any]) -> exp.Expression:
    """A bookkeeping row written by the run of the manifest's spec."""
    return exp.EQ(this=exp.column("spec", quoted=True), expression=exp.Literal.string(manifest["spec"]["name"]))


def of_owner(manifest: dict[str, Any]) -> exp.Expression:
    """An archive or duplicates row written by the run of the manifest's spec (``sqlgen.ledgers.OWNER``)."""
    return exp.EQ(this=exp.column(OWNER, quoted=True), expression=exp.Literal.string(manifest["spec"]["name"]))


def by_cause(con: duckdb.DuckDBPyConnection, table: str, where: exp.Expression) -> dict[str, int]:
    query = (exp.select(exp.column("cause"), exp.Count(this=exp.Star())).from_(exp.to_table(table, quoted=True))
             .where(where).group_by(exp.column("cause")).order_by(exp.column("cause")))
    return {cause: n for cause, n in con.execute(query.sql(dialect="duckdb")).fetchall()}


def _status(value: str) -> exp.Expression:
    return exp.EQ(this=exp.column("_ferry_status", quoted=True), expression=exp.Literal.string(value))


def account(con: duckdb.DuckDBPyConnection, manifest: dict[str, Any], sampled: bool = False,
            absent: dict[str, int] | None = None) -> tuple[dict[str, int], tuple[EntityCounts, ...]]:
    """Count every entity's rows, and cross-check the persisted tables against the working ones.

    ``read`` is the number of staged rows, taken from the entity's working table after checking
    that it holds each source row number 1..N exactly once (so no row was lost or doubled on
    the way); the stage itself may be a view, which counting would read a second time. A
    sample keeps its rows' numbers in the file, so there each number must appear once. ``absent``: per
    entity, loaded records a delta run left deleted because the target's users deleted them (``delta``).
    """
    read: dict[str, int] = {}
    counts = []
    for e in manifest["entities"]:
        rows = e["rows_table"]
        if e.get("sources"):
            parts = tuple(_source_counts(con, e, s, sampled) for s in e["sources"])
            read.update({p.source: p.read for p in parts})
            c = EntityCounts(e["name"], "+".join(e["sources"]), *(sum(getattr(p, k) for p in parts) for k in (
                "read", "loaded", "merged", "archived", "rejected", "linked", "emptied")), by_source=parts)
            counts.append(_persisted(con, manifest, e, c, (absent or {}).get(e["name"], 0)))
            continue
        row = exp.column("_ferry_row", quoted=True)
        tally = _tally(rows, row, None)
        # Aggregates over no rows are NULL: an empty source (a header-only CSV) counts as zeros.
        total, lowest, highest, loaded, merged, archived, rejected, linked, emptied = (
            int(n or 0) for n in con.execute(tally.sql(dialect="duckdb")).fetchall()[0])
        distinct = _distinct(con, rows, lowest, highest) if total else 0
        if not total == distinct or not (sampled or total == highest):
            raise _fail(f"row accounting failed for entity '{e['name']}': {total} working rows for "
                        f"{highest} source rows; nothing was written", Span(e["table"]))
        read[e["source"]] = total
        c = EntityCounts(e["name"], e["source"], total, loaded, merged, archived, rejected, linked, emptied)
        counts.append(_persisted(con, manifest, e, c, (absent or {}).get(e["name"], 0)))
    return read, tuple(counts)


def _tally(rows: str, row: exp.Expression, where: exp.Expression | None) -> exp.Select:
    tally = exp.select(
        exp.Count(this=exp.Star()),
        exp.func("coalesce", exp.Min(this=row.copy()), exp.Literal.number(0)),
        exp.func("coalesce", exp.Max(this=row.copy()), exp.Literal.number(0)),
        *(exp.func("count_if", _status(s), dialect="duckdb") for s in ("loaded", "merged", "archived", "rejected")),
        exp.func("count_if", exp.and_(_status("loaded"), exp.column("_ferry_linked", quoted=True)), dialect="duckdb"),
        exp.func("coalesce", exp.Sum(this=exp.func("len", exp.column("_ferry_emptied", quoted=True),
                                                    dialect="duckdb")), exp.Literal.number(0)),
    ).from_(exp.to_table(rows, quoted=True))
    return tally.where(where) if where is not None else tally


def _source_counts(con: duckdb.DuckDBPyConnection, e: dict[str, Any], source: str, sampled: bool) -> EntityCounts:
    """One source's rows of an entity with several (``sqlgen.origin``): each of its row numbers
    1..N once, as for an entity with one source."""
    rows = e["rows_table"]
    mine = exp.EQ(this=exp.column("_ferry_source", quoted=True), expression=exp.Literal.string(source))
    row = exp.column("_ferry_source_row", quoted=True)
    total, lowest, highest, loaded, merged, archived, rejected, linked, emptied = (
        int(n or 0) for n in con.execute(_tally(rows, row, mine).sql(dialect="duckdb")).fetchall()[0])
    distinct = _distinct(con, rows, lowest, highest, "_ferry_source_row", mine) if total else 0
    if not total == distinct or not (sampled or total == highest):
        raise _fail(f"row accounting failed for entity '{e['name']}', source '{source}': {total} working rows "
                    f"for {highest} source rows; nothing was written", Span(e["table"]))
    return EntityCounts(e["name"], source, total, loaded, merged, archived, rejected, linked, emptied)


def _persisted(con: duckdb.DuckDBPyConnection, manifest: dict[str, Any], e: dict[str, Any],
               c: EntityCounts, absent: int = 0) -> EntityCounts:
    """``c``, once the records, crosswalk, archive, rejects and emptied values agree with it (else F601)."""
    rejects = manifest["tables"]["rejects"]
    mine = of_spec(manifest)
    of_entity = exp.and_(exp.EQ(this=exp.column("entity"), expression=exp.Literal.string(c.entity)), mine.copy())
    archive = e.get("archive")
    persisted = (
        (count(con, archive["table"], of_owner(manifest)) if archive else 0) == c.archived
        # The table may hold other records too: each loaded row's record must be there, once.
        and count(con, e["table"], exp.column("id", quoted=True).isin(query=exp.select(
            exp.column("id", quoted=True)).from_(exp.to_table(e["crosswalk"], quoted=True)).where(exp.and_(
            exp.EQ(this=exp.column("status", quoted=True), expression=exp.Literal.string("loaded")),
            mine.copy())))) == c.loaded - absent
        # Rows a delta run kept for records gone from the export (status kept) are no source row's outcome.
        and count(con, e["crosswalk"], exp.and_(mine.copy(), exp.column("status", quoted=True).isin(
            exp.Literal.string("loaded"), exp.Literal.string("merged")))) == c.loaded + c.merged
        and count(con, rejects, of_entity.copy()) == c.rejected
        and count(con, manifest["tables"]["emptied_values"], of_entity.copy()) == c.emptied
    )
    if not c.balanced or not persisted:
        raise _fail(f"row accounting failed for entity '{c.entity}': read {c.read} != loaded {c.loaded}"
                    f" + merged {c.merged} + archived {c.archived} + rejected {c.rejected}, or the tables "
                    f"(records, crosswalk, archive, rejects, {c.emptied} emptied values) "
                    "disagree; nothing was written", Span(e["table"]))
    return c


def _distinct(con: duckdb.DuckDBPyConnection, table: str, lowest: int, highest: int, column: str = "_ferry_row",
              where: exp.Expression | None = None) -> int:
    """How many different source row numbers ``table`` holds: one bit per number between the lowest
    and the highest, counted (a tenth of the time of COUNT(DISTINCT ...), which hashes every one)."""
    bits = exp.func("bitstring_agg", exp.column(column, quoted=True), exp.Literal.number(lowest),
                    exp.Literal.number(highest), dialect="duckdb")
    query = exp.select(exp.func("bit_count", bits, dialect="duckdb")).from_(exp.to_table(table, quoted=True))
    query = query.where(where) if where is not None else query
    return int(con.execute(query.sql(dialect="duckdb")).fetchall()[0][0])


def dedup_stats(con: duckdb.DuckDBPyConnection, manifest: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """Per dedup rule (and blocking rule of a match model), its pairs; a match model's row (rule
    ``model``) also carries lambda, the EM rounds run and each comparison level's m, u and weight."""
    query = exp.select(exp.Star(except_=[exp.column("spec", quoted=True)])).from_(
        exp.to_table(manifest["tables"]["dedup_stats"], quoted=True)).where(of_spec(manifest)).order_by(
        exp.column("entity"), exp.column("rule"))
    cursor = con.execute(query.sql(dialect="duckdb"))
    columns = [d[0] for d in cursor.description]
    rows = [dict(zip(columns, row)) for row in cursor.fetchall()]
    if "dedup_model" not in manifest["tables"]:
        return tuple(rows)
    query = exp.select(*(exp.column(c, quoted=True) for c in ("entity", "comparison", "number", "level", "m", "u",
                                                              "weight", "pairs", "iterations", "expected",
                                                              "records"))).from_(
        exp.to_table(manifest["tables"]["dedup_model"], quoted=True)).where(of_spec(manifest)).order_by(
        exp.column("entity"), exp.column("comparison"), exp.column("number"))
    levels: dict[str, list[tuple[Any, ...]]] = {}
    for row in con.execute(query.sql(dialect="duckdb")).fetchall():
        levels.setdefault(row[0], []).append(row[1:])
    for row in rows:
        found = levels.get(row["entity"], [])
        prior = next((r for r in found if r[0] == "(prior)"), None)
        if row["rule"] == "model" and prior is not None:
            _plausible(manifest, row["entity"], prior[8], prior[9])
            row.update({"lambda": prior[3], "iterations": prior[7], "expected_pairs": round(prior[8], 1), "levels": [
                {"comparison": c, "level": lv, "m": m, "u": u, "weight": w, "pairs": p}
                for c, _, lv, m, u, w, p, *_ in found if c != "(prior)"]})
    return tuple(rows)


#: The most duplicate pairs per record a plausible match model expects (``_plausible``).
PAIRS_PER_RECORD = 10


def _plausible(manifest: dict[str, Any], entity: str, expected: float, records: int) -> None:
    """F461: a match model that expects more than ten duplicate pairs per record (clusters of twenty
    on average) has taken a crowd of look-alikes (found by a loose blocking rule) for duplicates: the
    run stops (it rolls back) rather than merge them. (FEBRL's third set, clusters of up to six,
    has 1.3 duplicate pairs per record.)"""
    if expected > PAIRS_PER_RECORD * max(records, 1):
        raise FerryError(Diagnostic(
            "F461", f"the match model of entity '{entity}' expects {expected:.0f} duplicate pairs among {records} "
            "records: it took look-alikes for duplicates", Span(manifest["spec"]["path"]),
            "a blocking rule compares many pairs that agree on a few fields (see pairs compared per rule): "
            "tighten it (add an equality) or drop it"))
