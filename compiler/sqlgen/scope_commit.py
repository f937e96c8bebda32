"""A scoped delta's commit as sqlglot trees: the step's deletes narrowed to the scope, and the snapshot of the
records the run may need to restore.

In:  the ``Spec``, an ``Entity``, the compiled step's own ``forget`` deletes (``sqlgen.load``) and the table of
rows kept out of the scope (``sqlgen.scope``: ``unchanged``, with their old id and record id). Out: trees
``compiler.scope_commit`` executes. Pure: no connection here.

A whole delta's step deletes every record (and crosswalk row) of the spec's and inserts those it computes;
a scoped one used to put the unchanged rows' records back from a snapshot of the whole table, so the commit
rewrote every record. Narrowed, the step's deletes leave the unchanged rows' records and crosswalk rows where
they are: the delete and the insert touch only the scope's records (and gone ones), and the snapshot holds
only the records the step deletes, which are the ones ``delta.apply`` compares or restores.
"""

from __future__ import annotations

from sqlglot import exp

from compiler.model import Entity, Spec
from compiler.sqlgen import ledgers, names


def _lit(value: str) -> exp.Literal:
    return exp.Literal.string(value)


def _not_null(column: str) -> exp.Expression:
    return exp.not_(exp.Is(this=names.col(column), expression=exp.null()))


def _of(keep: exp.Table, column: str) -> exp.Select:
    """A column of the kept rows, without NULLs (a NULL would make ``NOT IN`` unknown for every row)."""
    return exp.select(names.col(column)).from_(keep.copy()).where(_not_null(column))


def _not_in(column: exp.Expression, query: exp.Select) -> exp.Expression:
    return exp.not_(exp.In(this=column, query=exp.Subquery(this=query)))


def owned_records(spec: Spec, entity: Entity, keep: exp.Table | None = None) -> exp.Select:
    """The spec's records of the entity as the target holds them now (what ``delta.decide`` snapshots);
    ``keep``: without the records of the rows kept out of the scope (the narrowed step leaves them alone)."""
    where: list[exp.Expression] = [names.col(names.ID).isin(query=ledgers.written_ids(spec.name, entity))]
    if keep is not None:
        where.append(_not_in(names.col(names.ID), _of(keep, names.ID)))
    return exp.select(exp.Star()).from_(names.entity_table(spec.target, entity)).where(exp.and_(*where))


def owned_ids(spec: Spec, entity: Entity) -> exp.Select:
    """Ids of the spec's records the target holds now (a stored id not among them: deleted in the target)."""
    return exp.select(names.col(names.ID)).from_(names.entity_table(spec.target, entity)).where(
        names.col(names.ID).isin(query=ledgers.written_ids(spec.name, entity)))


def narrow_forget(forget: exp.Delete, keep: exp.Table) -> exp.Delete:
    """The step's delete of the spec's records, but the kept rows' records."""
    where = forget.args["where"].this
    return exp.delete(forget.this.copy(), where=exp.and_(where.copy(), _not_in(names.col(names.ID), _of(
        keep, names.ID))))


def narrow_crosswalk(forget: exp.Delete, source: str, keep: exp.Table) -> exp.Delete:
    """The step's delete of the spec's crosswalk rows, but the kept rows' (their old ids in ``source``)."""
    where = forget.args["where"].this
    kept = exp.and_(exp.EQ(this=names.col("source"), expression=_lit(source)),
                    exp.In(this=names.col("source_key"), query=exp.Subquery(this=_of(keep, names.KEY))))
    return exp.delete(forget.this.copy(), where=exp.and_(where.copy(), exp.not_(exp.Paren(this=kept))))
