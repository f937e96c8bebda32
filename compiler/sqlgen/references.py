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


def parent_outcomes(spec: Spec, ref: Reference) -> exp.Select:
    """One row per old id of ``ref.entity`` that was rejected (this spec's rejects) or archived in this run: the first such
    row in file order, with ``cause`` and ``detail``."""
    parent = spec.entity(ref.entity)
    rejected = (exp.select(names.col("source_key"), names.col("source_row"),
                           exp.alias_(_text(REJECTED), "cause", quoted=True),
                           exp.alias_(_concat(_row_text(ref.entity), _text(" was rejected: "),
                                              reasons_text(names.col("reasons"))), "detail", quoted=True))
                .from_(names.rejects_table())
                .where(exp.and_(exp.EQ(this=names.col("entity"), expression=_text(ref.entity)),
                                ledgers.of_spec(spec.name))))
    outcomes: exp.Expression = rejected
    if parent is not None and parent.filter is not None:
        archived = (exp.select(names.col("source_key"), names.col("source_row"),
                               exp.alias_(_text(ARCHIVED), "cause", quoted=True),
                               exp.alias_(_concat(_row_text(ref.entity), _text(" was archived by its filter")),
                                          "detail", quoted=True))
                    .from_(names.archive_table(ref.entity)).where(ledgers.of_owner(spec.name)))
        outcomes = exp.union(rejected, archived, distinct=False)
    first = names.col("source_row")
    return (exp.select(names.col("source_key"),
                       exp.alias_(exp.func("arg_min", names.col("cause"), first.copy(), dialect="duckdb"), "cause",
                                  quoted=True),
                       exp.alias_(exp.func("arg_min", names.col("detail"), first.copy(), dialect="duckdb"), "detail",
                                  quoted=True))
            .from_(outcomes.subquery(names.ident("o"), copy=False))
            .where(exp.not_(exp.Is(this=names.col("source_key"), expression=exp.null())))
            .group_by(names.col("source_key")))


def cause(outcome: str) -> exp.Expression:
    """The cause for a reference whose parent-outcome row (alias ``outcome``) may be absent."""
    return exp.func("coalesce", names.col("cause", outcome), _text(MISSING))


def detail(spec: Spec, ref: Reference, outcome: str) -> exp.Expression:
    parent = spec.entity(ref.entity)
    source = parent.source if parent is not None else ref.entity
    return exp.func("coalesce", names.col("detail", outcome),
                    _text(f"no {ref.entity} has this id in source '{source}'"))


def join_outcomes(select: exp.Select, spec: Spec, ref: Reference, outcome: str, raw: exp.Expression) -> exp.Select:
    """``select`` LEFT JOINed with the parent outcomes of ``ref`` (alias ``outcome``) on the raw old id."""
    return select.join(parent_outcomes(spec, ref).subquery(names.ident(outcome), copy=False), join_type="LEFT",
                       on=exp.EQ(this=names.col("source_key", outcome), expression=raw.copy()))
