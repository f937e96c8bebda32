"""A person's decisions on pairs (``dedup.decisions``): forced pairs link, forbidden pairs never do.

In:  an ``Entity`` whose ``Dedup`` names a decisions file (read at run time through the DuckDB
variable ``names.decisions_variable``, which the runner sets; ``compiler.decisions`` checked it).
Out: ``compile_decisions``: the file's pairs of valid rows as row numbers; ``edges``: the forced
pairs, as ``sqlgen.dedup`` pairs (rule ``forced``, score 1); ``without_forbidden``: the pairs of
every rule minus the forbidden ones; ``split``: connected components cut apart at forbidden pairs.

What ``forbid`` means: the two records are never in one cluster. Their own pair is dropped from
every rule (keys, fuzzy, model). When other pairs still connect them (A-C-B, or a key both
share through a third record), their cluster is split: each record named in a forbidden pair of
that cluster stays apart, and every other member joins the one it is most strongly connected to,
where a path is as strong as its weakest pair (a pair's strength is its score: 1 for keys and
forced pairs, the similarity or the match probability otherwise); ties go to the record that
comes first in the file. Members left alone are not merged. ``force`` is stronger than every
rule but never overrides ``forbid`` (a file whose forced pairs connect a forbidden pair is
refused before the run: ``compiler.decisions``).
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from compiler.model import Entity
from compiler.sqlgen import names
from compiler.sqlgen.conditions import valid_row

FORCE, FORBID = "force", "forbid"
RULE = "forced"  # the rule label of forced pairs in ``sqlgen.dedup``


def _option(name: str, value: exp.Expression) -> exp.EQ:
    return exp.EQ(this=exp.column(name, quoted=True), expression=value)


def _read(entity: Entity) -> exp.Expression:
    path = exp.Anonymous(this="getvariable", expressions=[exp.Literal.string(names.decisions_variable(entity))])
    return exp.Anonymous(this="read_csv", expressions=[
        path, _option("delim", exp.Literal.string(",")), _option("quote", exp.Literal.string('"')),
        _option("escape", exp.Literal.string('"')), _option("header", exp.true()),
        _option("all_varchar", exp.true()), _option("strict_mode", exp.true())])


def compile_decisions(entity: Entity) -> tuple[exp.Expression, ...]:
    """The decided pairs of two valid rows, each once, smaller row first; pairs naming an id that is
    not a valid row of this run apply to nothing."""
    if entity.dedup is None or entity.dedup.decisions is None:
        return ()
    rows = {side: names.col(names.ROW, side) for side in ("l", "r")}
    select = (exp.select(exp.alias_(exp.Least(this=rows["l"], expressions=[rows["r"]], ignore_nulls=True), "a", quoted=True),
                         exp.alias_(exp.Greatest(this=rows["l"].copy(), expressions=[rows["r"].copy()], ignore_nulls=True),
                                    "b", quoted=True),
                         exp.alias_(exp.Trim(this=names.col("decision", "d")), "decision", quoted=True))
              .distinct()
              .from_(exp.Table(this=_read(entity), alias=exp.TableAlias(this=names.ident("d"))))
              .join(names.checked_table(entity).as_("l", quoted=True),
                    on=exp.EQ(this=names.col(names.KEY, "l"), expression=exp.Trim(this=names.col("left_id", "d"))))
              .join(names.checked_table(entity).as_("r", quoted=True),
                    on=exp.EQ(this=names.col(names.KEY, "r"), expression=exp.Trim(this=names.col("right_id", "d"))))
              .where(exp.and_(valid_row("l"), valid_row("r"),
                              exp.NEQ(this=rows["l"].copy(), expression=rows["r"].copy()))))
    return (exp.Create(this=names.decisions_table(entity), kind="TABLE", replace=True,
                       properties=exp.Properties(expressions=[exp.TemporaryProperty()]), expression=select),)


def _decided(entity: Entity, decision: str) -> exp.Select:
    return (exp.select(names.col("a"), names.col("b")).from_(names.decisions_table(entity))
            .where(exp.EQ(this=names.col("decision"), expression=exp.Literal.string(decision))))


def edges(entity: Entity) -> list[exp.Select]:
    """Forced pairs as duplicate pairs (``a``, ``b``, ``rule``, ``score``)."""
    if entity.dedup is None or entity.dedup.decisions is None:
        return []
    forced = _decided(entity, FORCE)
    forced.set("expressions", [names.col("a"), names.col("b"), exp.alias_(exp.Literal.string(RULE), "rule", quoted=True),
                               exp.alias_(exp.cast(exp.Literal.number(1), "DOUBLE"), "score", quoted=True)])
    return [forced]


def without_forbidden(entity: Entity, pairs: exp.Expression) -> exp.Expression:
    """``pairs`` (a query of ``a``, ``b``, ...) without the forbidden pairs, whichever way round."""
    if entity.dedup is None or entity.dedup.decisions is None:
        return pairs
    p = names.ident("p")
    low = exp.Least(this=names.col("a", "p"), expressions=[names.col("b", "p")], ignore_nulls=True)
    high = exp.Greatest(this=names.col("a", "p"), expressions=[names.col("b", "p")], ignore_nulls=True)
    forbidden = _decided(entity, FORBID).where(exp.and_(exp.EQ(this=names.col("a"), expression=low),
                                                         exp.EQ(this=names.col("b"), expression=high)))
    return (exp.select(exp.Star()).from_(exp.Subquery(this=pairs, alias=exp.TableAlias(this=p)))
            .where(exp.not_(exp.Exists(this=forbidden))))


#: Cutting components at forbidden pairs: each record of a forbidden pair whose two records ended in one
#: component is a seed; ``reach`` is the strongest path (its weakest pair) from each seed to each
#: member, by label propagation like the components; each member joins its strongest seed (ties:
#: the first seed in the file). A fixed template over ferry's own names.
_SPLIT = """
WITH RECURSIVE
  components AS MATERIALIZED (SELECT node, comp FROM components_query),
  torn AS (
    SELECT f.a, f.b, x.comp FROM decisions AS f
    JOIN components AS x ON x.node = f.a JOIN components AS y ON y.node = f.b
    WHERE f.decision = 'forbid' AND x.comp = y.comp
  ),
  seeds AS (SELECT a AS seed FROM torn UNION SELECT b FROM torn),
  members AS (SELECT node FROM components WHERE comp IN (SELECT comp FROM torn)),
  edges AS (
    SELECT a, b, score FROM pairs WHERE a IN (SELECT node FROM members)
    UNION ALL SELECT b, a, score FROM pairs WHERE a IN (SELECT node FROM members)
  ),
  reach(node, seed, strength) USING KEY (node, seed) AS (
    SELECT seed, seed, CAST(2 AS DOUBLE) FROM seeds
    UNION
    SELECT e.b, reach.seed, max(least(reach.strength, e.score))
    FROM reach JOIN edges AS e ON e.a = reach.node
    LEFT JOIN recurring.reach AS o ON o.node = e.b AND o.seed = reach.seed
    WHERE e.b NOT IN (SELECT seed FROM seeds)
    GROUP BY e.b, reach.seed
    HAVING max(least(reach.strength, e.score)) > coalesce(max(o.strength), 0)
  ),
  joined AS (
    SELECT node, seed FROM reach
    QUALIFY row_number() OVER (PARTITION BY node ORDER BY strength DESC, seed) = 1
  ),
  cut AS (
    SELECT c.node, coalesce(j.seed, c.comp) AS comp FROM components AS c LEFT JOIN joined AS j ON j.node = c.node
  )
SELECT node, comp FROM cut QUALIFY count(*) OVER (PARTITION BY comp) > 1
"""


def split(entity: Entity, components: exp.Expression) -> exp.Expression:
    """``components`` (a query of ``node``, ``comp``) with every component that holds both records of
    a forbidden pair cut apart (see the module's docstring); others are unchanged."""
    if entity.dedup is None or entity.dedup.decisions is None:
        return components
    tree = sqlglot.parse_one(_SPLIT, read="duckdb")

    def place(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and node.name == "components_query":
            return exp.Subquery(this=components.copy(), alias=node.args.get("alias"))
        if isinstance(node, exp.Table) and node.name in ("pairs", "decisions") and not node.db:
            table = names.pairs_table(entity) if node.name == "pairs" else names.decisions_table(entity)
            return table.as_(node.alias, quoted=True) if node.alias else table
        return node
    tree = tree.transform(place)
    for identifier in tree.find_all(exp.Identifier):
        identifier.set("quoted", True)
    return tree


__all__ = ["FORBID", "FORCE", "RULE", "compile_decisions", "edges", "split", "without_forbidden"]
