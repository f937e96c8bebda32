"""Fuzzy rules' blocks: each valid row's compared texts, blocking keys and block sizes, built once.

In:  an ``Entity`` whose dedup has fuzzy rules.
Out: ``compile_blocks``: the statement that builds ``_ferry_blocks_<entity>`` (``names.blocks_table``)
from the checked rows; ``compared_rows(entity, rule)``: a rule's rows in the blocks it compares, with
the value each row carries into a pair (``similarity.prepared``); ``block_sizes(entity, rule)``: the
size of each of its blocks (for ``dedup_stats``).

The table has one row per valid row (not rejected, not archived) and these columns:

* ``t<j>``: the compared text (``similarity.compared``) of each distinct field list the rules
  compare: two rules on ``first_name+last_name`` share one text, so the accent folding, the most
  expensive part, runs once per row, not once per rule and again for the statistics;
* ``b<r>_<i>``: rule ``r``'s blocking keys;
* ``_ferry_source``, when the entity has several sources (``link: only`` compares across them).

A row is in a block of rule ``r`` when it has the rule's text and every key; the pairs and the
statistics count the blocks' sizes from this table by grouping on the keys.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from compiler.model import Dedup, Entity, FuzzyRule
from compiler.sqlgen import linkage, names, similarity
from compiler.sqlgen.conditions import not_null, valid_row


def _dedup(entity: Entity) -> Dedup:
    assert entity.dedup is not None
    return entity.dedup


def _texts(d: Dedup) -> list[tuple[str, ...]]:
    """The distinct field lists the fuzzy rules compare, in rule order."""
    seen: list[tuple[str, ...]] = []
    for rule in d.fuzzy:
        if rule.fields not in seen:
            seen.append(rule.fields)
    return seen


def _text_column(d: Dedup, rule: FuzzyRule) -> str:
    return f"t{_texts(d).index(rule.fields)}"


def _key_columns(d: Dedup, rule: FuzzyRule) -> list[str]:
    return [f"b{d.fuzzy.index(rule)}_{i}" for i in range(len(rule.block))]


def _compared_text(fields: tuple[str, ...]) -> exp.Expression:
    """The fields of a fuzzy rule as one text, as ``similarity.compared`` compares it."""
    parts = [exp.cast(names.col(f), "VARCHAR") for f in fields]
    joined = parts[0] if len(parts) == 1 else exp.func("concat_ws", exp.Literal.string(" "), *parts, dialect="duckdb")
    return similarity.compared(joined)


def _block_values(rule: FuzzyRule) -> list[exp.Expression]:
    """Blocking keys are SQL expressions over the entity's fields (validated like checks)."""
    out = []
    for text in rule.block:
        tree = sqlglot.parse_one(text, read="duckdb")
        out.append(tree.transform(lambda node: names.col(node.name) if isinstance(node, exp.Column) else node))
    return out


def compile_blocks(entity: Entity) -> exp.Create:
    d = _dedup(entity)
    origin = [names.col(names.SOURCE)] if entity.multi else []
    query = (exp.select(names.col(names.ROW), *origin,
                        *(exp.alias_(_compared_text(f), f"t{j}", quoted=True) for j, f in enumerate(_texts(d))),
                        *(exp.alias_(b, k, quoted=True) for rule in d.fuzzy
                          for k, b in zip(_key_columns(d, rule), _block_values(rule))))
             .from_(names.checked_table(entity)).where(valid_row()))
    return exp.Create(this=names.blocks_table(entity), kind="TABLE", replace=True,
                      properties=exp.Properties(expressions=[exp.TemporaryProperty()]), expression=query)


def _blocked(d: Dedup, rule: FuzzyRule, table: str | None = None) -> exp.Expression:
    """The row is in one of the rule's blocks: it has the rule's text and every blocking key."""
    return exp.and_(not_null(names.col(_text_column(d, rule), table)),
                    *(not_null(names.col(k, table)) for k in _key_columns(d, rule)))


def block_sizes(entity: Entity, rule: FuzzyRule) -> exp.Select:
    """One row per block of the rule: its keys (``b<r>_<i>``) and its size ``n``."""
    d = _dedup(entity)
    keys = [names.col(k) for k in _key_columns(d, rule)]
    return (exp.select(*keys, exp.alias_(exp.Count(this=exp.Star()), "n", quoted=True))
            .from_(names.blocks_table(entity)).where(_blocked(d, rule))
            .group_by(*(k.copy() for k in keys)))


def block_source_sizes(entity: Entity, rule: FuzzyRule) -> exp.Select:
    """One row per block of the rule: its size ``n`` and the number of pairs in it from different
    sources ``cross`` ((n^2 - sum of each source's count squared) / 2), for ``link: only``."""
    d = _dedup(entity)
    keys = [names.col(k) for k in _key_columns(d, rule)]
    per_source = (exp.select(*keys, exp.alias_(exp.Count(this=exp.Star()), "ns", quoted=True))
                  .from_(names.blocks_table(entity)).where(_blocked(d, rule))
                  .group_by(*(k.copy() for k in keys), names.col(names.SOURCE)))
    ns = names.col("ns")
    n = exp.Sum(this=ns.copy())
    squares = exp.Sum(this=exp.Mul(this=ns.copy(), expression=ns.copy()))
    cross = exp.Div(this=exp.paren(exp.Sub(this=exp.Mul(this=n.copy(), expression=n.copy()), expression=squares)),
                    expression=exp.Literal.number(2), typed=True)
    return (exp.select(exp.alias_(n, "n", quoted=True), exp.alias_(cross, "cross", quoted=True))
            .from_(per_source.subquery(names.ident("s"), copy=False))
            .group_by(*(names.col(k.name) for k in keys)))


def compared_rows(entity: Entity, rule: FuzzyRule) -> exp.Select:
    """The rule's rows in blocks of 2 to ``max_block`` rows: row, prepared value ``v``, keys ``b0``...
    (block sizes by grouping: a hash aggregate, several times cheaper than a window over the rows)."""
    d = _dedup(entity)
    keys = _key_columns(d, rule)
    small = (block_sizes(entity, rule)
             .having(exp.Between(this=exp.Count(this=exp.Star()), low=exp.Literal.number(2),
                                 high=exp.Literal.number(rule.max_block))))
    x = "x"
    origin = [names.col(names.SOURCE, x)] if linkage.link_only(entity) else []
    return (exp.select(names.col(names.ROW, x), *origin,
                       exp.alias_(similarity.prepared(rule, names.col(_text_column(d, rule), x)), "v", quoted=True),
                       *(exp.alias_(names.col(k, x), f"b{i}", quoted=True) for i, k in enumerate(keys)))
            .from_(names.blocks_table(entity).as_(x, quoted=True))
            .join(small.subquery(names.ident("z"), copy=False),
                  on=exp.and_(*(exp.EQ(this=names.col(k, "z"), expression=names.col(k, x)) for k in keys)))
            .where(_blocked(d, rule, x)))


__all__ = ["block_sizes", "block_source_sizes", "compared_rows", "compile_blocks"]
