"""Linkage between the sources of an entity: link-only rules and one-to-one links.

In:  an ``Entity`` with several sources and a ``Dedup`` saying ``link: only`` and/or ``one_to_one``.
Out: the pieces ``sqlgen.dedup`` and ``sqlgen.linkmodel`` add to their queries:

* ``cross``: the condition that a pair's two rows come from different sources (``link: only``:
  every rule, exact, fuzzy or the match model's blocking, compares only such pairs);
* ``key_pairs``: an exact key, link-only: each row paired with the first row of every other source
  that shares the key (a star per source, not all pairs);
* ``one_to_one``: of the pairs every rule found, a pair of rows from two sources is kept only when
  each is the other's best counterpart in that source (highest score over the rules; ties: the
  earlier row), so a record links to at most one record of each other source. The pairs left out
  are kept in ``_ferry_one_to_one_<entity>`` (flag ``kept``) for the statistics and the ledger
  ``_ferry.<entity>_unlinked``; pairs within one source and forced pairs (decisions) stay as found.

All in SQL over the pairs table: no loop over pairs.
"""

from __future__ import annotations

from sqlglot import exp

from compiler.model import Entity
from compiler.sqlgen import decisions, names
from compiler.sqlgen.conditions import not_null, valid_row

#: Label of the one-to-one step in ``_ferry.dedup_stats``.
RULE = "one_to_one"


def link_only(entity: Entity) -> bool:
    return entity.multi and entity.dedup is not None and entity.dedup.link == "only"


def cross(entity: Entity, left: str, right: str) -> list[exp.Expression]:
    """[the two rows' sources differ] under ``link: only``, else []."""
    if not link_only(entity):
        return []
    return [exp.NEQ(this=names.col(names.SOURCE, left), expression=names.col(names.SOURCE, right))]


def key_pairs(entity: Entity, parts: list[exp.Expression], label: str, on_key) -> exp.Select:
    """Link-only exact key: each valid row with a full key, paired with the first row of each other
    source with the same key; each pair once (``a`` < ``b``)."""
    checked, c = names.checked_table(entity), "c"
    firsts = (exp.select(*(exp.alias_(p, f"k{i}", quoted=True) for i, p in enumerate(parts)),
                         exp.alias_(names.col(names.SOURCE), "s", quoted=True),
                         exp.alias_(exp.Min(this=names.col(names.ROW)), "first", quoted=True))
              .from_(checked.copy())
              .where(exp.and_(valid_row(), *(not_null(p.copy()) for p in parts)))
              .group_by(*(p.copy() for p in parts), names.col(names.SOURCE)))
    row, first = names.col(names.ROW, c), names.col("first", "g")
    low = exp.Least(this=row.copy(), expressions=[first.copy()], ignore_nulls=True)
    high = exp.Greatest(this=row.copy(), expressions=[first.copy()], ignore_nulls=True)
    pairs = (exp.select(exp.alias_(low, "a", quoted=True), exp.alias_(high, "b", quoted=True)).distinct()
             .from_(checked.copy().as_(c, quoted=True))
             .join(firsts.subquery(names.ident("g"), copy=False),
                   on=exp.and_(on_key, exp.NEQ(this=names.col("s", "g"), expression=names.col(names.SOURCE, c))))
             .where(valid_row(c)))
    return exp.select(names.col("a"), names.col("b"), exp.alias_(exp.Literal.string(label), "rule", quoted=True),
                      exp.alias_(exp.cast(exp.Literal.number(1), "DOUBLE"), "score", quoted=True)
                      ).from_(pairs.subquery(names.ident("x"), copy=False))


def one_to_one_table(entity: Entity) -> exp.Table:
    return names.table(f"_ferry_one_to_one_{entity.name}")


def compile_ranked(entity: Entity, pairs: exp.Expression) -> exp.Create:
    """Every pair of rows from two sources that a rule found (forced pairs aside), with its best score
    and whether it is kept: the best counterpart of each of its rows in the other's source."""
    p, c = names.ident("p"), names.checked_table(entity)
    low = exp.Least(this=names.col("a"), expressions=[names.col("b")], ignore_nulls=True)
    high = exp.Greatest(this=names.col("a"), expressions=[names.col("b")], ignore_nulls=True)
    best = (exp.select(exp.alias_(low, "a", quoted=True), exp.alias_(high, "b", quoted=True),
                       exp.alias_(exp.Max(this=names.col("score")), "score", quoted=True))
            .from_(exp.Subquery(this=pairs, alias=exp.TableAlias(this=p)))
            .where(exp.NEQ(this=names.col("rule"), expression=exp.Literal.string(decisions.RULE)))
            .group_by(low.copy(), high.copy()))
    sided = (exp.select(names.col("a", "x"), names.col("b", "x"), names.col("score", "x"),
                        exp.alias_(names.col(names.SOURCE, "l"), "sa", quoted=True),
                        exp.alias_(names.col(names.SOURCE, "r"), "sb", quoted=True))
             .from_(best.subquery(names.ident("x"), copy=False))
             .join(c.copy().as_("l", quoted=True), on=exp.EQ(this=names.col(names.ROW, "l"), expression=names.col("a", "x")))
             .join(c.copy().as_("r", quoted=True), on=exp.EQ(this=names.col(names.ROW, "r"), expression=names.col("b", "x")))
             .where(exp.NEQ(this=names.col(names.SOURCE, "l"), expression=names.col(names.SOURCE, "r"))))

    def rank(row: str, other_source: str, other: str) -> exp.Window:
        return exp.Window(this=exp.RowNumber(), partition_by=[names.col(row), names.col(other_source)],
                          order=exp.Order(expressions=[exp.Ordered(this=names.col("score"), desc=True),
                                                       exp.Ordered(this=names.col(other))]))

    kept = exp.and_(exp.EQ(this=rank("a", "sb", "b"), expression=exp.Literal.number(1)),
                    exp.EQ(this=rank("b", "sa", "a"), expression=exp.Literal.number(1)))
    ranked = exp.select(exp.Star(), exp.alias_(kept, "kept", quoted=True)).from_(
        sided.subquery(names.ident("s"), copy=False))
    return exp.Create(this=one_to_one_table(entity), kind="TABLE", replace=True,
                      properties=exp.Properties(expressions=[exp.TemporaryProperty()]), expression=ranked)


def kept_only(entity: Entity, pairs: exp.Expression) -> exp.Select:
    """``pairs`` without the cross-source pairs one-to-one leaves out."""
    p = names.ident("p")
    low = exp.Least(this=names.col("a", "p"), expressions=[names.col("b", "p")], ignore_nulls=True)
    high = exp.Greatest(this=names.col("a", "p"), expressions=[names.col("b", "p")], ignore_nulls=True)
    dropped = (exp.select(exp.Literal.number(1)).from_(one_to_one_table(entity))
               .where(exp.and_(exp.EQ(this=names.col("a"), expression=low), exp.EQ(this=names.col("b"), expression=high),
                               exp.not_(names.col("kept")))))
    return (exp.select(exp.Star()).from_(exp.Subquery(this=pairs, alias=exp.TableAlias(this=p)))
            .where(exp.not_(exp.Exists(this=dropped))))


def stats_select(entity: Entity) -> exp.Select:
    """The one-to-one row of ``_ferry.dedup_stats``: cross-source pairs found, and kept."""
    kept = exp.Filter(this=exp.Count(this=exp.Star()), expression=exp.Where(this=names.col("kept")))
    return exp.select(exp.alias_(exp.Literal.string(entity.name), "entity", quoted=True),
                      exp.alias_(exp.Literal.string(RULE), "rule", quoted=True),
                      exp.alias_(exp.Count(this=exp.Star()), "pairs_compared", quoted=True),
                      exp.alias_(kept, "pairs_matched", quoted=True),
                      exp.alias_(exp.cast(exp.Literal.number(0), "BIGINT"), "rows_in_skipped_blocks", quoted=True)
                      ).from_(one_to_one_table(entity))


#: The ledger of pairs one-to-one left out: the two records (``source/id``) and their best score.
UNLINKED = (("left_key", "VARCHAR"), ("right_key", "VARCHAR"), ("score", "DOUBLE"))


def unlinked_table(entity: Entity) -> exp.Table:
    return names.table(f"{entity.name}_unlinked", names.INTERNAL_SCHEMA)


def unlinked(entity: Entity) -> exp.Select:
    c = names.checked_table(entity)
    select = (exp.select(exp.alias_(names.col(names.KEY, "l"), "left_key", quoted=True),
                         exp.alias_(names.col(names.KEY, "r"), "right_key", quoted=True), names.col("score", "o"))
              .from_(one_to_one_table(entity).as_("o", quoted=True))
              .join(c.copy().as_("l", quoted=True), on=exp.EQ(this=names.col(names.ROW, "l"), expression=names.col("a", "o")))
              .join(c.copy().as_("r", quoted=True), on=exp.EQ(this=names.col(names.ROW, "r"), expression=names.col("b", "o")))
              .where(exp.not_(names.col("kept", "o"))))
    select.set("order", exp.Order(expressions=[exp.Ordered(this=names.col("a", "o")), exp.Ordered(this=names.col("b", "o"))]))
    return select
