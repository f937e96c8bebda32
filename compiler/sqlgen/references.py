"""Why a reference resolves to nothing: the cause of every unresolved old id.

In:  the ``Spec`` and one ``Reference`` (its referenced entity is loaded, or is loading in this
step for a second pass).
Out: ``parent_outcomes``, a query over ferry's bookkeeping tables giving, per old id of the
referenced entity that did not become a record, its ``cause`` and a readable ``detail``; and
``cause``/``detail`` expressions for a reference given that query's row.

An old id that resolves to nothing is one of:

* ``rejected``: the parent row is in its source but was rejected (its reasons are in the detail);
* ``archived``: the parent row is in its source but its entity's filter archived it;
* ``missing``: no row of the parent's source has that id.

So one rejected company does not make its 62 contacts look like orphans: each says which
company row was rejected, and why.
"""

from __future__ import annotations

from sqlglot import exp

from compiler.model import Reference, Spec
from compiler.sqlgen import ledgers, names
from compiler.sqlgen.conditions import reasons_text

MISSING, REJECTED, ARCHIVED = "missing", "rejected", "archived"


def _text(value: str) -> exp.Literal:
    return exp.Literal.string(value)


def _concat(*parts: exp.Expression) -> exp.Expression:
    out = parts[0]
    for part in parts[1:]:
        out = exp.DPipe(this=out, expression=part, safe=True)
    return out


def _row_text(entity: str) -> exp.Expression:
    """'company row 4': the parent's entity and its row in the source file."""
    return _concat(_text(f"{entity} row "), exp.cast(names.col("source_row"), "VARCHAR"))


def parent_outcomes(spec: Spec, ref: Reference, by_source: bool = False) -> exp.Select:
    """One row per old id of ``ref.entity`` that was rejected (this spec's rejects) or archived in this run: the first such
    row in file order, with ``cause`` and ``detail``."""
    parent = spec.entity(ref.entity)
    lead = [names.col("source")] if by_source else []
    rejected = (exp.select(*lead, names.col("source_key"), names.col("source_row"),
                           exp.alias_(_text(REJECTED), "cause", quoted=True),
                           exp.alias_(_concat(_row_text(ref.entity), _text(" was rejected: "),
                                              reasons_text(names.col("reasons"))), "detail", quoted=True))
                .from_(names.rejects_table())
                .where(exp.and_(exp.EQ(this=names.col("entity"), expression=_text(ref.entity)),
                                ledgers.of_spec(spec.name))))
    outcomes: exp.Expression = rejected
    if parent is not None and parent.filter is not None:
        archived = (exp.select(*(c.copy() for c in lead), names.col("source_key"), names.col("source_row"),
                               exp.alias_(_text(ARCHIVED), "cause", quoted=True),
                               exp.alias_(_concat(_row_text(ref.entity), _text(" was archived by its filter")),
                                          "detail", quoted=True))
                    .from_(names.archive_table(ref.entity)).where(ledgers.of_owner(spec.name)))
        outcomes = exp.union(rejected, archived, distinct=False)
    first = names.col("source_row")
    return (exp.select(*(c.copy() for c in lead), names.col("source_key"),
                       exp.alias_(exp.func("arg_min", names.col("cause"), first.copy(), dialect="duckdb"), "cause",
                                  quoted=True),
                       exp.alias_(exp.func("arg_min", names.col("detail"), first.copy(), dialect="duckdb"), "detail",
                                  quoted=True))
            .from_(outcomes.subquery(names.ident("o"), copy=False), copy=False)
            .where(exp.not_(exp.Is(this=names.col("source_key"), expression=exp.null())), copy=False)
            .group_by(*(c.copy() for c in lead), names.col("source_key"), copy=False))


def cause(outcome: str) -> exp.Expression:
    """The cause for a reference whose parent-outcome row (alias ``outcome``) may be absent."""
    return exp.func("coalesce", names.col("cause", outcome), _text(MISSING))


def detail(spec: Spec, ref: Reference, outcome: str, source: exp.Expression | None = None) -> exp.Expression:
    """Why the old id resolved to nothing; ``source``: which source of a referenced entity with several
    (``origin.referenced_source``)."""
    parent = spec.entity(ref.entity)
    if source is not None and not isinstance(source, exp.Literal):
        missing = _concat(_text(f"no {ref.entity} has this id in source '"), source.copy(), _text("'"))
    else:
        name = source.name if source is not None else parent.source if parent is not None else ref.entity
        missing = _text(f"no {ref.entity} has this id in source '{name}'")
    return exp.func("coalesce", names.col("detail", outcome), missing)


def _on(alias: str, raw: exp.Expression, source: exp.Expression | None) -> exp.Expression:
    same = exp.EQ(this=names.col("source_key", alias), expression=raw.copy())
    return same if source is None else exp.and_(same, exp.EQ(this=names.col("source", alias),
                                                             expression=source.copy()))


def join_outcomes(select: exp.Select, spec: Spec, ref: Reference, outcome: str, raw: exp.Expression,
                  source: exp.Expression | None = None) -> exp.Select:
    """``select`` LEFT JOINed with the parent outcomes of ``ref`` (alias ``outcome``) on the raw old id
    (and, for a referenced entity with several sources, on ``source``)."""
    outcomes = parent_outcomes(spec, ref, by_source=source is not None)
    return select.join(outcomes.subquery(names.ident(outcome), copy=False), join_type="LEFT",
                       on=_on(outcome, raw, source))


def join_crosswalk(select: exp.Select, spec: Spec, ref: Reference, alias: str, raw: exp.Expression,
                   source: exp.Expression | None = None) -> exp.Select:
    """``select`` LEFT JOINed with this spec's crosswalk of the referenced entity (alias ``alias``) on
    the raw old id (and ``source``, as ``join_outcomes``)."""
    crosswalk = ledgers.own_crosswalk(spec.name, ref.entity, alias, by_source=source is not None)
    return select.join(crosswalk, on=_on(alias, raw, source), join_type="LEFT")
