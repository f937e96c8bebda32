"""The review ledger of duplicates: every member of every cluster, with what matched it.

In:  an ``Entity`` with a ``Dedup`` whose pairs, clusters and working rows are built (``sqlgen.dedup``).
Out: ``duplicates``, the query ``sqlgen.load`` writes to ``_ferry.<entity>_duplicates``, and its
leading columns (``DUPLICATE_COLUMNS``).
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from compiler.model import Entity
from compiler.sqlgen import names, origin

C = "c"  # alias of the checked rows


def _lit(value: str | int | float) -> exp.Literal:
    return exp.Literal.string(value) if isinstance(value, str) else exp.Literal.number(value)


#: The rules that matched a row, in a stable order. A fixed template over ferry's own column name.
_MATCHED_BY = sqlglot.parse_one("""string_agg(DISTINCT "rule", ', ' ORDER BY "rule")""", read="duckdb")


#: The columns of ``duplicates`` before the entity's fields, with their types.
DUPLICATE_COLUMNS = (("cluster", "BIGINT"), ("cluster_id", "UUID"), ("cluster_size", "BIGINT"), ("rank", "BIGINT"),
                     ("survivor", "BOOLEAN"), ("source_row", "BIGINT"), ("source_key", "VARCHAR"),
                     ("matched_by", "VARCHAR"), ("best_score", "DOUBLE"))


def duplicates(entity: Entity, in_place: bool = False) -> exp.Select:
    """Every member of every cluster, largest clusters first: its own values, the rules that matched it
    (and the best fuzzy score), and the id of the record it became. Kept for the review report.
    ``in_place``: the working rows hold the checked values too (``dedup.in_place``)."""
    pairs = names.pairs_table(entity)
    ends = exp.union(exp.select(exp.alias_(names.col("a"), "node", quoted=True), names.col("rule"), names.col("score"))
                     .from_(pairs.copy()),
                     exp.select(names.col("b"), names.col("rule"), names.col("score")).from_(pairs.copy()),
                     distinct=False)
    matched = (exp.select(names.col("node"),
                          exp.alias_(_MATCHED_BY.copy(), "matched_by", quoted=True),
                          exp.alias_(exp.Max(this=names.col("score")), "best_score", quoted=True))
               .from_(ends.subquery(names.ident("e"), copy=False)).group_by(names.col("node")))
    size = exp.Window(this=exp.Count(this=exp.Star()), partition_by=[names.col("cluster", "k")])
    # Rows set in place (``dedup.in_place``): the checked rows are the working rows, read once.
    rows = C if in_place else "r"
    select = (exp.select(names.col("cluster", "k"), exp.alias_(names.col(names.ID, rows), "cluster_id", quoted=True),
                         exp.alias_(size, "cluster_size", quoted=True),
                         names.col("rank", "k"),
                         exp.alias_(exp.EQ(this=names.col("rank", "k"), expression=_lit(1)), "survivor", quoted=True),
                         exp.alias_(origin.source_row(entity, C), "source_row", quoted=True),
                         exp.alias_(names.col(names.KEY, C), "source_key", quoted=True),
                         names.col("matched_by", "x"), names.col("best_score", "x"),
                         *(names.col(f.name, C) for f in entity.fields))
              .from_(names.clusters_table(entity).as_("k", quoted=True))
              .join((names.rows_table(entity) if in_place else names.checked_table(entity)).as_(C, quoted=True),
                    on=exp.EQ(this=names.col(names.ROW, C), expression=names.col(names.ROW, "k"))))
    if not in_place:
        select = select.join(names.rows_table(entity).as_("r", quoted=True),
                             on=exp.EQ(this=names.col(names.ROW, "r"), expression=names.col(names.ROW, "k")))
    select = (select
              .join(matched.subquery(names.ident("x"), copy=False), join_type="LEFT",
                    on=exp.EQ(this=names.col("node", "x"), expression=names.col(names.ROW, "k"))))
    select.set("order", exp.Order(expressions=[
        exp.Ordered(this=names.col("cluster_size"), desc=True), exp.Ordered(this=names.col("cluster")),
        exp.Ordered(this=names.col("rank"))]))
    return select
