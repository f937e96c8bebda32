"""Stable clusters: a record an earlier run loaded keeps its id when dedup runs on a later export.

In:  the ``Spec`` and an ``Entity`` with dedup rules, after its clusters are found (``sqlgen.dedup``).
Out: ``compile_kept``: a temporary table, survivor old id -> the id its cluster keeps; ``sqlgen.entity``
gives a cluster that id instead of the one its survivor's old id would give (``sqlgen.ids``), as it
writes the working rows or, when survivors are set in place (``sqlgen.dedup.in_place``), by
``compile_kept_in_place`` after them.

Which id: the spec's rows of the crosswalk, as the previous run left them (this step rewrites the
crosswalk only later), say which record each old id became. A cluster holding rows of an earlier
record keeps that record's id, even when a new row now survives. Each earlier record goes to one
cluster: the one holding the row that survived in it, else the cluster with the smallest survivor
old id. A cluster holding rows of two earlier records (a new row bridges them) keeps the smaller id;
the other record is no longer produced, and the delta run reports it as merged into this one and
re-points what referred to it (``compiler.delta``). A new row that matches an earlier cluster joins
it under its id; nothing already loaded is renumbered. On a first run the crosswalk is empty and
every id is the survivor's, as before; so it is after a pilot, whose records are not in the written ledger
(``compiler.delta``): the full run after it gives every record the id a clean run would.
"""

from __future__ import annotations

from sqlglot import exp

from compiler.model import Entity, Spec
from compiler.sqlgen import ledgers, names, origin
from compiler.sqlgen.conditions import valid_row

C, K, X = "c", "k", "x"


def kept_table(entity: Entity) -> exp.Table:
    return names.table(f"_ferry_kept_{entity.name}")


def compile_kept(spec: Spec, entity: Entity) -> exp.Create:
    survivor = exp.func("coalesce", names.col(names.SURVIVOR, K), names.col(names.KEY, C))
    members = (exp.select(exp.alias_(survivor, "survivor", quoted=True),
                          exp.alias_(origin.source_of(entity, C), "source", quoted=True),
                          exp.alias_(origin.source_key(entity, C), "source_key", quoted=True))
               .from_(names.checked_table(entity).as_(C, quoted=True))
               .join(names.clusters_table(entity).as_(K, quoted=True), join_type="LEFT",
                     on=exp.EQ(this=names.col(names.ROW, K), expression=names.col(names.ROW, C)))
               .where(valid_row(C)))
    was_survivor = exp.EQ(this=names.col("status", X), expression=exp.Literal.string(names.LOADED))
    prior = (exp.select(names.col("survivor", "m"), names.col(names.ID, X),
                        exp.alias_(was_survivor, "was_survivor", quoted=True))
             .from_(members.subquery(names.ident("m"), copy=False))
             .join(names.crosswalk_table(entity).as_(X, quoted=True), on=exp.and_(
                 exp.EQ(this=names.col("source", X), expression=names.col("source", "m")),
                 exp.EQ(this=names.col("source_key", X), expression=names.col("source_key", "m")),
                 ledgers.of_spec(spec.name, X),
                 names.col("status", X).isin(*(exp.Literal.string(s) for s in (names.LOADED, names.MERGED, names.KEPT))),
                 exp.not_(exp.func("coalesce", names.col("linked", X), exp.false())),
                 names.col(names.ID, X).isin(query=ledgers.written_ids(spec.name, entity)))))
    first = exp.Window(this=exp.RowNumber(), partition_by=[names.col(names.ID)], order=exp.Order(expressions=[
        exp.Ordered(this=names.col("was_survivor"), desc=True), exp.Ordered(this=names.col("survivor"))]))
    claimed = (exp.select(names.col("survivor"), names.col(names.ID))
               .from_(prior.subquery(names.ident("p"), copy=False))
               .qualify(exp.EQ(this=first, expression=exp.Literal.number(1))))
    kept = (exp.select(exp.alias_(names.col("survivor"), names.SURVIVOR, quoted=True),
                       exp.alias_(exp.Min(this=names.col(names.ID)), names.ID, quoted=True))
            .from_(claimed.subquery(names.ident("q"), copy=False)).group_by(names.col("survivor")))
    return exp.Create(this=kept_table(entity), kind="TABLE", replace=True,
                      properties=exp.Properties(expressions=[exp.TemporaryProperty()]), expression=kept)


def compile_kept_in_place(entity: Entity) -> exp.Update:
    """Working rows written before their clusters were known (``sqlgen.dedup.in_place``): every row
    whose survivor's cluster keeps an earlier id takes it (none on a first run)."""
    rows = names.rows_table(entity)
    return exp.Update(this=rows, expressions=[exp.EQ(this=names.col(names.ID), expression=names.col(names.ID, K))],
                      from_=exp.From(this=kept_table(entity).as_(K, quoted=True)),
                      where=exp.Where(this=exp.EQ(this=names.col(names.SURVIVOR, K), expression=exp.column(
                          names.SURVIVOR, table=rows.name, quoted=True))))
