"""A delta's scope for an entity that dedups: the I/O edge of ``sqlgen.scope_dedup`` (the closure's
argument is in that module's docstring).

In:  ``compiler.scope``'s connection, an entity with ``dedup``, its compiled step's text, and the row
hashes' classification. Out: the scope widened to every row whose cluster can change (``widen``), the
kept clusters' bookkeeping put back after the step (``restore``), and what each run stores for the next
one (``capture`` during the step, ``store`` after it).

The rows a seed brings into a key group or block are known only from its checked values, which the
compiled step computes: ``widen`` runs the step's statements up to its checked rows over the seeds alone
(temporary tables the step then replaces) to read them. ``capture`` runs inside the step, before it drops
its checked rows, blocks and pairs, and keeps each row's values and pairs held.
"""

from __future__ import annotations

from typing import Any, Callable

import duckdb
from sqlglot import exp

from compiler import delta
from compiler.model import Entity, Spec
from compiler.sqlgen import names
from compiler.sqlgen import scope as sql
from compiler.sqlgen import scope_dedup as dsql

_D = "duckdb"
ROUNDS = 12  # closure rounds before the entity is computed whole (each adds rows; chains are short)


def _run(con: duckdb.DuckDBPyConnection, tree: exp.Expression) -> duckdb.DuckDBPyConnection:
    return con.execute(tree.sql(dialect=_D))


def _t(name: str) -> exp.Table:
    return names.table(name)


def _count(con: duckdb.DuckDBPyConnection, table: exp.Table) -> int:
    return int(_run(con, exp.select(exp.Count(this=exp.Star())).from_(table.copy())).fetchone()[0])


def unsupported(entity: Entity) -> str | None:
    """Why a dedup entity's scope cannot be trusted (None: it can)."""
    d = entity.dedup
    assert d is not None
    if d.model is not None:
        return "dedup: a match model's weights come from every row"
    if d.decisions is not None:
        return "dedup: a decisions file forces or forbids pairs by row"
    if any(r.deferred and r.entity != entity.name for r in entity.references):
        return "deferred references"
    return None


def self_references(entity: Entity) -> list[int]:
    return [i for i, r in enumerate(entity.references) if r.entity == entity.name]


def tables(entity: str) -> dict[str, exp.Table]:
    return {k: _t(f"_ferry_scope_d{k}_{entity}") for k in (
        "cap", "new", "old", "gone", "cur", "long", "chosen", "scope", "add", "dups", "kept", "final", "held", "big",
        "front", "fresh")}


def _statements(con: duckdb.DuckDBPyConnection, text: str) -> list[Any]:
    return list(con.extract_statements(text))


def _names_in(statement: Any, table: exp.Table) -> bool:
    return f'"{table.name}"' in statement.query.strip().splitlines()[-1 if statement.type == duckdb.StatementType.DROP
                                                                        else 0]


def with_capture(con: duckdb.DuckDBPyConnection, text: str, entity: Entity,
                 capture: Callable[[duckdb.DuckDBPyConnection], list]) -> tuple[Any, ...] | None:
    """The step's statements with ``capture`` before the one dropping its checked rows (None: not found)."""
    parts: list[Any] = []
    found = False
    for s in _statements(con, text):
        if not found and s.type == duckdb.StatementType.DROP and _names_in(s, names.checked_table(entity)):
            parts.append(capture)
            found = True
        parts.append(s.query)
    return tuple(parts) if found else None


def capture(con: duckdb.DuckDBPyConnection, entity: Entity) -> None:
    _run(con, sql.temporary(tables(entity.name)["cap"], dsql.captured(entity)))


def _checked_prefix(con: duckdb.DuckDBPyConnection, text: str, entity: Entity) -> list[str] | None:
    """The step's statements up to the one creating its checked rows, if they only set and create."""
    out = []
    for s in _statements(con, text):
        if s.type not in (duckdb.StatementType.SET, duckdb.StatementType.CREATE):
            return None
        out.append(s.query)
        if s.type == duckdb.StatementType.CREATE and _names_in(s, names.checked_table(entity)):
            return out
    return None


def widen(con: duckdb.DuckDBPyConnection, spec: Spec, entity: Entity, source: str, text: str, stage: exp.Table,
          all_rows: exp.Table, h: exp.Table, classes: exp.Table, crosswalk: exp.Table) -> str | None:
    """Every row whose cluster can change put in scope (``classes.scoped``). Returns why the entity must be
    computed whole instead (None: the scope stands)."""
    t, n = tables(entity.name), len(dsql.rules(entity))
    prefix = _checked_prefix(con, text, entity)
    if prefix is None:
        return "dedup: the step does not compute its checked rows first"
    # the step's checked rows over the seeds alone, for their values now
    seeds = _t(f"_ferry_scope_dseeds_{entity.name}")
    _run(con, sql.temporary(seeds, sql.scope_rows(classes)))
    _run(con, exp.Create(this=stage.copy(), kind="VIEW", replace=True, expression=sql.narrowed(all_rows, seeds),
                         properties=exp.Properties(expressions=[exp.TemporaryProperty()])))
    for query in prefix:
        con.execute(query)
    _run(con, sql.temporary(t["new"], dsql.new_values(entity, names.checked_table(entity))))
    view = " VIEW " in prefix[-1].strip().splitlines()[0]  # survivors set in place: a view of the working rows
    _run(con, exp.Drop(tables=[names.checked_table(entity)], kind="VIEW" if view else "TABLE", exists=True))
    _run(con, sql.temporary(t["old"], dsql.stored(spec.name, entity)))
    _run(con, sql.temporary(t["gone"], exp.select(names.col("source_key")).from_(t["old"]).where(exp.not_(sql._in(
        names.col("source_key"), exp.select(names.col(names.KEY)).from_(h).where(
            exp.not_(exp.Is(this=names.col(names.KEY), expression=exp.null()))))))))
    _run(con, sql.temporary(t["cur"], dsql.current(classes, t["new"], t["old"], n)))
    _run(con, sql.temporary(t["long"], dsql.long(t["cur"], n)))
    _run(con, sql.temporary(t["chosen"], dsql.seed_values(t["new"], t["old"], classes, t["gone"], n)))
    _run(con, sql.temporary(t["scope"], exp.select(exp.alias_(names.col(names.ROW), "r", quoted=True)).from_(seeds)))
    fuzzy = [(i, m) for i, (_, m) in enumerate(dsql.rules(entity)) if m is not None]
    if fuzzy:  # block sizes: this export's values, which no round changes
        _run(con, sql.temporary(t["big"], dsql.big_blocks(t["long"], fuzzy)))
    refs = self_references(entity)
    # Semi-naive rounds: each step of the closure is a union over rows (or values), so a round needs only
    # what the last one added: the rows (``front``) and the values (``fresh``).
    _run(con, sql.temporary(t["front"], exp.select(exp.Star()).from_(t["scope"])))
    _run(con, sql.temporary(t["fresh"], exp.select(exp.Star()).from_(t["chosen"])))
    for _ in range(ROUNDS):
        adds = [dsql.sharing(t["long"], t["fresh"]),
                dsql.cluster_mates(classes, crosswalk, t["front"], t["gone"], source)]
        adds += [dsql.referrers(h, classes, t["front"], t["gone"], i) for i in refs]
        union: exp.Expression = adds[0]
        for a in adds[1:]:
            union = exp.union(union, a, distinct=False)
        _run(con, sql.temporary(t["add"], exp.select(exp.alias_(names.col("r"), "r", quoted=True)).from_(
            union.subquery(names.ident("u"))).where(exp.not_(sql._in(names.col("r"), exp.select(names.col("r")).from_(
                t["scope"])))).distinct()))
        _run(con, exp.insert(exp.select(exp.Star()).from_(t["add"]), t["scope"]))
        _run(con, sql.temporary(t["front"], exp.select(exp.Star()).from_(t["add"])))
        fresh = 0
        if fuzzy:  # blocks over the bound the scope now cuts: wholly in, next round
            _run(con, sql.temporary(t["fresh"], dsql.oversized(t["long"], t["front"], t["chosen"], t["big"])))
            _run(con, exp.insert(exp.select(exp.Star()).from_(t["fresh"]), t["chosen"]))
            fresh = _count(con, t["fresh"])
        if not fresh and not _count(con, t["front"]):
            break
        if not fuzzy:
            _run(con, sql.temporary(t["fresh"], exp.select(exp.Star()).from_(t["chosen"]).where(exp.false())))
    else:
        return f"dedup: the scope's closure did not settle in {ROUNDS} rounds"
    dups = names.duplicates_table(entity)
    if _exists(con, dups):
        kept = _kept_keys(classes, t["scope"])
        _run(con, sql.temporary(t["dups"], dsql.kept_duplicates(spec.name, dups, kept)))
        if int(_run(con, dsql.order_changed(classes, t["dups"])).fetchone()[0]):
            return "dedup: the export's row order changed within a migrated cluster (a survivor tie could fall otherwise)"
    _run(con, exp.update(classes, {"scoped": exp.true()}, where=sql._in(names.col(names.ROW), exp.select(
        names.col("r")).from_(t["scope"]))))
    return None


def _kept_keys(classes: exp.Table, scope: exp.Table) -> exp.Select:
    return exp.select(names.col(names.KEY)).from_(classes).where(exp.not_(sql._in(names.col(names.ROW), exp.select(
        names.col("r")).from_(scope))))


def _exists(con: duckdb.DuckDBPyConnection, table: exp.Table) -> bool:
    """A table of the target (schema-qualified), or a temporary one of this run."""
    return delta._exists(con, table, database=None if table.db else "temp")


def with_status(unchanged: exp.Table, crosswalk: exp.Table, source: str) -> exp.Select:
    """The unchanged rows with their crosswalk status last run (loaded or merged) and record id."""
    x = "x"
    return (exp.select(names.col(names.ROW, "u"), names.col(names.KEY, "u"), names.col(names.ID, x),
                       exp.alias_(names.col("status", x), "status", quoted=True))
            .from_(unchanged.copy().as_("u", quoted=True))
            .join(crosswalk.copy().as_(x, quoted=True), on=exp.and_(
                names.col("source_key", x).eq(names.col(names.KEY, "u")),
                names.col("source", x).eq(exp.Literal.string(source)))))


def restore(con: duckdb.DuckDBPyConnection, spec: Spec, entity: Entity, h: exp.Table, unchanged: exp.Table) -> None:
    """After the scoped step: the kept clusters' duplicates rows and the whole export's dedup statistics."""
    t = tables(entity.name)
    dups = names.duplicates_table(entity)
    if _exists(con, t["dups"]) and _exists(con, dups):
        columns = [r[0] for r in _run(con, exp.Describe(this=t["dups"].copy())).fetchall()]
        _run(con, dsql.restore_duplicates(dups, t["dups"], h, columns))
    n = len(dsql.rules(entity))
    out_keys = exp.select(names.col(names.KEY)).from_(unchanged)
    _run(con, sql.temporary(t["held"], exp.select(exp.Star()).from_(t["old"]).where(sql._in(
        names.col("source_key"), out_keys))))
    vs = [names.col(f"v_{i}") for i in range(n)]
    _run(con, sql.temporary(t["final"], exp.union(exp.select(*vs).from_(t["cap"]), exp.select(
        *(v.copy() for v in vs)).from_(t["held"]), distinct=False)))
    for update in dsql.fixed_stats(spec.name, entity, t["final"], t["held"]):
        _run(con, update)


def store(con: duckdb.DuckDBPyConnection, spec: Spec, entity: Entity, h: exp.Table, scoped: exp.Table | None,
          run: str, duplicated: exp.Table | None = None) -> None:
    """Each row's values and pairs held, for the next delta (``scoped``: the scope's rows; None: every row;
    ``duplicated``: the old ids several rows share, as ``sql.duplicated_keys`` computed them for the row hashes)."""
    t, table = tables(entity.name), dsql.store_table(entity.name)
    if not _exists(con, t["cap"]):
        return
    _run(con, sql.create(table, dsql.store_columns(entity)))
    if scoped is not None:
        gone = exp.select(names.col("source_key")).from_(table).where(exp.and_(
            names.col("spec").eq(exp.Literal.string(spec.name)),
            exp.not_(sql._in(names.col("source_key"), exp.select(names.col(names.KEY)).from_(h)))))
        keys = exp.union(exp.select(names.col(names.KEY)).from_(scoped), gone, distinct=False)
        _run(con, sql.store_delete(spec.name, table, keys))
    else:
        _run(con, sql.store_delete(spec.name, table, None))
    n = len(dsql.rules(entity))
    cols = [c for c, _ in dsql.store_columns(entity)]
    unique = sql.unique_key(h, duplicated)
    query = exp.select(exp.Literal.string(spec.name), names.col(names.KEY),
                       *(names.col(f"v_{i}") for i in range(n)), *(names.col(f"n_{i}") for i in range(n))
                       ).from_(t["cap"]).where(unique).order_by(names.col(names.KEY))
    _run(con, exp.insert(query, table, columns=[names.ident(c) for c in cols]))
    runs = sql.runs_table()
    label = exp.Literal.string(f"{entity.name}#dedup")
    _run(con, exp.delete(runs, where=exp.and_(names.col("spec").eq(exp.Literal.string(spec.name)),
                                              names.col("entity").eq(label))))
    _run(con, exp.insert(exp.select(exp.Literal.string(spec.name), label.copy(), exp.Literal.string(run)), runs))
