"""Records already in the target that a run meets: those this spec inserted (its own), and those a ``match`` links to.

In:  the ``Spec`` and an ``Entity``.
Out: ``owned`` (ids of the spec's own records), ``existing`` (records of others by match key) and ``links``
(which survivors link to them), read by ``sqlgen.entity`` and ``sqlgen.load``.
"""

from __future__ import annotations

from sqlglot import exp

from compiler.model import Entity, Spec
from compiler.sqlgen import ledgers, names
from compiler.sqlgen.conditions import is_null, not_null


def owned(spec: Spec, entity: Entity) -> exp.Union:
    """Ids of the records this spec inserted last time (its rows of the previous crosswalk, and the records
    its written ledger still lists: ``compiler.delta``): its own, which a run may replace or delete. Linked records (``match``) belong to whoever loaded them, and
    records another spec inserted (its crosswalk rows) belong to that spec."""
    not_linked = exp.not_(exp.func("coalesce", names.col("linked"), exp.false()))
    return exp.union(exp.select(names.col(names.ID)).from_(names.crosswalk_table(entity))
                     .where(exp.and_(names.col("status").isin(exp.Literal.string(names.LOADED),
                                                                             exp.Literal.string(names.KEPT)),
                                     not_linked, ledgers.of_spec(spec.name))),
                     ledgers.written_ids(spec.name, entity), distinct=False)


def existing(spec: Spec, entity: Entity) -> exp.Select:
    """Records in the target that this spec did not insert (another tool's, or another spec's), by match
    key (the smallest id when several agree)."""
    m = entity.match
    assert m is not None
    table = names.entity_table(spec.target, entity).as_("t", quoted=True)
    return (exp.select(*(exp.alias_(names.col(f, "t"), f"k{i}", quoted=True) for i, f in enumerate(m.on)),
                       exp.alias_(exp.Min(this=names.col(names.ID, "t")), "existing_id", quoted=True))
            .from_(table)
            .join(owned(spec, entity).subquery(names.ident("o"), copy=False), join_type="LEFT",
                  on=exp.EQ(this=names.col(names.ID, "o"), expression=names.col(names.ID, "t")))
            .where(exp.and_(is_null(names.col(names.ID, "o")), *(not_null(names.col(f, "t")) for f in m.on)))
            .group_by(*(names.col(f, "t") for f in m.on)))


def links(entity: Entity) -> exp.Select:
    """Survivors that match an existing record; the first in file order links, later ones merge into it."""
    m = entity.match
    assert m is not None
    nth = exp.Window(this=exp.RowNumber(), partition_by=[names.col("existing_id", "e")],
                     order=exp.Order(expressions=[exp.Ordered(this=names.col(names.ROW, "m"))]))
    on = exp.and_(*(exp.EQ(this=names.col(f"k{i}", "e"), expression=names.col(f, "m")) for i, f in enumerate(m.on)))
    return (exp.select(exp.alias_(names.col(names.KEY, "m"), "survivor_key", quoted=True),
                       names.col("existing_id", "e"), exp.alias_(nth, "nth", quoted=True))
            .from_(names.table("merged", alias="m"))
            .join(names.table("existing", alias="e"), on=on)
            .where(exp.EQ(this=names.col(names.SURVIVOR, "m"), expression=names.col(names.KEY, "m"))))
