"""Duplicates: rules find pairs, connected components make clusters, survivorship makes one record.

In:  an ``Entity`` with a ``Dedup`` (its natural key is the first exact key).
Out: statements that read the entity's checked rows (``names.checked_table``):

0. ``blocks`` (with fuzzy rules): each valid row's compared texts and blocking keys,
   computed once for the pairs and the statistics (``sqlgen.blocks``).
1. ``pairs``: one row per duplicate pair, from every rule. An exact key links
   each row to the first row with the same key (a star, not all pairs); a fuzzy
   rule compares rows only within a block (the compared texts and the scores are
   ``sqlgen.similarity``'s), and blocks above ``max_block`` rows are skipped and
   reported.
2. ``dedup_stats``: per rule, the pairs compared and matched, and the rows left
   out by oversized blocks; the compared count comes from block sizes, so
   nothing is compared twice.
3. ``clusters``: connected components of the pair graph, computed by label
   propagation in one recursive CTE (``USING KEY`` keeps one label per row),
   so rows that share any key, directly or through others, are one cluster.
   Each member gets its rank in survivor order; rank 1 survives.
4. ``merged`` (a query for the working table): every checked row with the old
   id it becomes, and, on survivors, field values chosen across the cluster.

Only valid rows (not rejected, not archived) take part.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from compiler.model import Dedup, Entity, FuzzyRule, SurvivorRule
from compiler.sqlgen import blocks, decisions, ledgers, linkage, linkmodel, names, origin, similarity
from compiler.sqlgen.conditions import not_null, valid_row

C = "c"  # alias of the checked rows


def _dedup(entity: Entity) -> Dedup:
    assert entity.dedup is not None
    return entity.dedup


def _lit(value: str | int | float) -> exp.Literal:
    return exp.Literal.string(value) if isinstance(value, str) else exp.Literal.number(value)


def _key_part(entity: Entity, field: str, table: str | None) -> exp.Expression:
    """A key part as compared: empty text is no value (and so matches nothing)."""
    value = names.col(field, table)
    return exp.Nullif(this=value, expression=_lit("")) if entity.field(field).type == "string" else value


def rule_label(entity: Entity, index: int) -> str:
    """How reports name a rule, unique within the entity: ``key1:email``, ``key2:phone+last_name``,
    ``fuzzy1:first_name+last_name`` (the natural key, if any, is ``key1``)."""
    d = _dedup(entity)
    if index < len(d.keys):
        return f"key{index + 1}:" + "+".join(d.keys[index])
    number = index - len(d.keys)
    return f"fuzzy{number + 1}:" + "+".join(d.fuzzy[number].fields)


def _key_pairs(entity: Entity, index: int) -> exp.Select:
    """Each row sharing this key with an earlier row, paired with the first row that has it."""
    key = _dedup(entity).keys[index]
    parts = [_key_part(entity, f, None) for f in key]
    if linkage.link_only(entity):  # the first row of each other source instead of the first row
        on_key = exp.and_(*(exp.EQ(this=names.col(f"k{i}", "g"), expression=_key_part(entity, f, C))
                            for i, f in enumerate(key)))
        return linkage.key_pairs(entity, parts, rule_label(entity, index), on_key)
    groups = (exp.select(*(exp.alias_(p, f"k{i}", quoted=True) for i, p in enumerate(parts)),
                         exp.alias_(exp.Min(this=names.col(names.ROW)), "anchor", quoted=True))
              .from_(names.checked_table(entity), copy=False)
              .where(exp.and_(valid_row(), *(not_null(p.copy()) for p in parts)), copy=False)
              .group_by(*(p.copy() for p in parts), copy=False)
              .having(exp.GT(this=exp.Count(this=exp.Star()), expression=_lit(1)), copy=False))
    on = exp.and_(*(exp.EQ(this=names.col(f"k{i}", "g"), expression=_key_part(entity, f, C)) for i, f in enumerate(key)))
    return (exp.select(exp.alias_(names.col(names.ROW, C), "a", quoted=True),
                       exp.alias_(names.col("anchor", "g"), "b", quoted=True),
                       exp.alias_(_lit(rule_label(entity, index)), "rule", quoted=True),
                       exp.alias_(exp.cast(_lit(1), "DOUBLE"), "score", quoted=True))
            .from_(names.checked_table(entity).as_(C, quoted=True))
            .join(groups.subquery(names.ident("g"), copy=False), on=on)
            .where(exp.and_(valid_row(C), exp.NEQ(this=names.col(names.ROW, C), expression=names.col("anchor", "g")))))


def _fuzzy_pairs(entity: Entity, index: int) -> exp.Select:
    rule = _dedup(entity).fuzzy[index - len(_dedup(entity).keys)]
    rows = blocks.compared_rows(entity, rule)
    score = similarity.score(rule, names.col("v", "l"), names.col("v", "r"))
    same_block = [exp.EQ(this=names.col(f"b{i}", "l"), expression=names.col(f"b{i}", "r")) for i in range(len(rule.block))]
    # The rows are read twice (each side of the self-join): materialized once, so each row's prepared
    # value (q-grams) is computed once, not once per side or per pair.
    blocked = names.ident("_ferry_blocked")
    pairs = (exp.select(exp.alias_(names.col(names.ROW, "l"), "a", quoted=True),
                        exp.alias_(names.col(names.ROW, "r"), "b", quoted=True),
                        exp.alias_(_lit(rule_label(entity, index)), "rule", quoted=True),
                        exp.alias_(score, "score", quoted=True))
             .with_(blocked, as_=rows, materialized=True)
             .from_(exp.Table(this=blocked.copy(), alias=exp.TableAlias(this=names.ident("l"))))
             .join(exp.Table(this=blocked.copy(), alias=exp.TableAlias(this=names.ident("r"))),
                   on=exp.and_(*same_block, *linkage.cross(entity, "l", "r"),
                               exp.LT(this=names.col(names.ROW, "l"), expression=names.col(names.ROW, "r")))))
    return (exp.select(exp.Star()).from_(pairs.subquery(names.ident("p"), copy=False))
            .where(exp.GTE(this=names.col("score"), expression=_lit(rule.threshold))))


def _rules(entity: Entity) -> range:
    d = _dedup(entity)
    return range(len(d.keys) + len(d.fuzzy))


def _temporary(table: exp.Table, query: exp.Expression) -> exp.Create:
    return exp.Create(this=table, kind="TABLE", replace=True,
                      properties=exp.Properties(expressions=[exp.TemporaryProperty()]), expression=query)


def found_table(entity: Entity) -> exp.Table:
    """With ``one_to_one``: every rule's pairs, before the links one-to-one leaves out."""
    return names.table(f"_ferry_found_{entity.name}")


def compile_pairs(entity: Entity) -> tuple[exp.Expression, ...]:
    """Every rule's pairs (the match model's and the forced ones too), minus the forbidden ones (and,
    with ``one_to_one``, minus the cross-source pairs that are not each record's best: ``sqlgen.linkage``)."""
    selects = [_key_pairs(entity, i) if i < len(_dedup(entity).keys) else _fuzzy_pairs(entity, i)
               for i in _rules(entity)]
    selects += ([linkmodel.edges(entity)] if _dedup(entity).model else []) + decisions.edges(entity)
    union: exp.Expression = selects[0]
    for s in selects[1:]:
        union = exp.union(union, s, distinct=False)
    pairs = decisions.without_forbidden(entity, union)
    if not (entity.multi and _dedup(entity).one_to_one):
        return (_temporary(names.pairs_table(entity), pairs),)
    found = exp.select(exp.Star()).from_(found_table(entity))
    return (_temporary(found_table(entity), pairs), linkage.compile_ranked(entity, found),
            _temporary(names.pairs_table(entity), linkage.kept_only(entity, found.copy())))


def compile_stats(spec: str, entity: Entity) -> exp.Expression:
    """Per rule: pairs compared (fuzzy: from block sizes), pairs matched, rows in oversized blocks;
    written as ``spec``'s rows of ``_ferry.dedup_stats``."""
    d = _dedup(entity)
    selects = []
    for i in _rules(entity):
        label = _lit(rule_label(entity, i))
        matched = (exp.select(exp.Count(this=exp.Star())).from_(names.pairs_table(entity))
                   .where(exp.EQ(this=names.col("rule"), expression=label.copy()))).subquery()
        columns = [exp.alias_(_lit(entity.name), "entity", quoted=True), exp.alias_(label, "rule", quoted=True)]
        if i < len(d.keys):  # exact keys group rows; they compare no pairs
            selects.append(exp.select(*columns, exp.alias_(exp.cast(exp.null(), "BIGINT"), "pairs_compared", quoted=True),
                                      exp.alias_(matched, "pairs_matched", quoted=True),
                                      exp.alias_(exp.cast(_lit(0), "BIGINT"), "rows_in_skipped_blocks", quoted=True)))
            continue
        rule = d.fuzzy[i - len(d.keys)]
        n = names.col("n")
        if linkage.link_only(entity):
            selects.append(_link_only_stats(entity, rule, columns, matched))
            continue
        sizes = blocks.block_sizes(entity, rule)
        small = exp.Between(this=n.copy(), low=_lit(2), high=_lit(rule.max_block))
        pairs_in_block = exp.Div(this=exp.paren(exp.Mul(this=n.copy(), expression=exp.paren(
            exp.Sub(this=n.copy(), expression=_lit(1))))), expression=_lit(2), typed=True)
        big = exp.GT(this=n.copy(), expression=_lit(rule.max_block))

        def total(when: exp.Expression, value: exp.Expression) -> exp.Expression:
            summed = exp.Sum(this=exp.If(this=when, true=value, false=_lit(0)))
            return exp.cast(exp.func("coalesce", summed, _lit(0)), "BIGINT")

        selects.append(exp.select(*columns, exp.alias_(total(small, pairs_in_block), "pairs_compared", quoted=True),
                                  exp.alias_(matched, "pairs_matched", quoted=True),
                                  exp.alias_(total(big, n.copy()), "rows_in_skipped_blocks", quoted=True))
                       .from_(sizes.subquery(names.ident("z"), copy=False)))
    if d.model is not None:
        selects += linkmodel.stats_selects(entity)
    if entity.multi and d.one_to_one:
        selects.append(linkage.stats_select(entity))
    union: exp.Expression = selects[0]
    for s in selects[1:]:
        union = exp.union(union, s, distinct=False)
    return ledgers.insert(names.dedup_stats_table(), union, spec)


def _link_only_stats(entity: Entity, rule: FuzzyRule, columns: list[exp.Expression],
                     matched: exp.Expression) -> exp.Select:
    """A link-only fuzzy rule's row of the stats: in each block of 2..max_block rows, the pairs of
    rows from different sources (``blocks.block_source_sizes``)."""
    n = names.col("n")
    small = exp.Between(this=n.copy(), low=_lit(2), high=_lit(rule.max_block))
    compared = exp.Sum(this=exp.If(this=small, true=names.col("cross"), false=_lit(0)))
    big = exp.Sum(this=exp.If(this=exp.GT(this=n.copy(), expression=_lit(rule.max_block)), true=n.copy(), false=_lit(0)))
    return exp.select(*columns,
                      exp.alias_(exp.cast(exp.func("coalesce", compared, _lit(0)), "BIGINT"), "pairs_compared", quoted=True),
                      exp.alias_(matched, "pairs_matched", quoted=True),
                      exp.alias_(exp.cast(exp.func("coalesce", big, _lit(0)), "BIGINT"), "rows_in_skipped_blocks",
                                 quoted=True)).from_(blocks.block_source_sizes(entity, rule).subquery(names.ident("z"), copy=False))


#: Connected components by label propagation: a row's label is the smallest row number it
#: reaches. Each round only rows whose label dropped propagate (``USING KEY`` keeps the
#: current label per row in ``recurring.cc``). A fixed template: only ferry's own names.
_COMPONENTS = """
WITH RECURSIVE
  edges AS (SELECT a, b FROM pairs UNION ALL SELECT b, a FROM pairs),
  nodes AS (SELECT a AS node FROM edges GROUP BY a),
  cc(node, comp) USING KEY (node) AS (
    SELECT node, node FROM nodes
    UNION
    SELECT e.b, min(cc.comp)
    FROM cc JOIN edges AS e ON e.a = cc.node JOIN recurring.cc AS r ON r.node = e.b
    GROUP BY e.b
    HAVING min(cc.comp) < min(r.comp)
  )
SELECT node, comp FROM cc
"""


def _source_rank(entity: Entity, order: tuple[str, ...], table: str) -> exp.Expression:
    """A row's position in ``order`` by its source (the unlisted last)."""
    case = exp.Case(this=origin.source_of(entity, table))
    for position, source in enumerate(order):
        case = case.when(_lit(source), _lit(position))
    return case.else_(_lit(len(order)))


def _order_for(entity: Entity, rule: SurvivorRule) -> list[exp.Ordered]:
    if rule.kind == "source":
        return [exp.Ordered(this=_source_rank(entity, rule.order, C))]
    if rule.kind == "most_complete":
        filled = [exp.cast(not_null(names.col(f.name, C)), "INT") for f in entity.fields]
        total = filled[0]
        for f in filled[1:]:
            total = exp.Add(this=total, expression=f)
        return [exp.Ordered(this=exp.paren(total), desc=True)]
    if rule.kind == "priority":
        case = exp.Case(this=exp.cast(names.col(rule.field, C), "VARCHAR"))
        for position, value in enumerate(rule.order):
            case = case.when(_lit(value), _lit(position))
        return [exp.Ordered(this=case.else_(_lit(len(rule.order))))]
    return [exp.Ordered(this=names.col(rule.field, C), desc=rule.kind == "newest", nulls_first=False)]


def compile_clusters(entity: Entity) -> exp.Expression:
    """Rows in a cluster of two or more: cluster (smallest row), rank in survivor order, survivor's old id."""
    components = sqlglot.parse_one(_COMPONENTS, read="duckdb")
    components = components.transform(  # in place: parsed just now
        lambda n: names.pairs_table(entity) if isinstance(n, exp.Table) and n.name == "pairs" else n, copy=False)
    for identifier in components.find_all(exp.Identifier):
        identifier.set("quoted", True)  # quoted like every other name, so no spec name can collide
    components.meta[names.COMPONENTS] = entity.name  # Spark: computed by its runner (engines.spark)
    components = decisions.split(entity, components)  # forbidden pairs cut their clusters apart
    order = [o for rule in _dedup(entity).survivor for o in _order_for(entity, rule)]
    order.append(exp.Ordered(this=names.col(names.ROW, C)))
    rank = exp.Window(this=exp.RowNumber(), partition_by=[names.col("comp", "k")],
                      order=exp.Order(expressions=order))
    ranked = (exp.select(exp.alias_(names.col(names.ROW, C), names.ROW, quoted=True),
                         exp.alias_(names.col("comp", "k"), "cluster", quoted=True),
                         exp.alias_(rank, "rank", quoted=True), names.col(names.KEY, C))
              .from_(components.subquery(names.ident("k"), copy=False), copy=False)
              .join(names.checked_table(entity).as_(C, quoted=True),
                    on=exp.EQ(this=names.col(names.ROW, C), expression=names.col("node", "k")), copy=False))
    survivor = exp.Window(this=exp.func("arg_min", names.col(names.KEY), names.col("rank"), dialect="duckdb"),
                          partition_by=[names.col("cluster")])
    final = exp.select(names.col(names.ROW), names.col("cluster"), names.col("rank"),
                       exp.alias_(survivor, names.SURVIVOR, quoted=True)).from_(
        ranked.subquery(names.ident("ranked"), copy=False), copy=False)
    return exp.Create(this=names.clusters_table(entity), kind="TABLE", replace=True,
                      properties=exp.Properties(expressions=[exp.TemporaryProperty()]), expression=final)


def _chosen_value(entity: Entity, strategy: str, field: str) -> exp.Expression:
    """The aggregate over a cluster's members (alias ``m``) that gives the surviving value."""
    value, rank = names.col(field, "m"), names.col("rank", "k")
    present = not_null(value.copy())
    if strategy == "source":  # the first listed source with a value; within one source, survivor order
        by = exp.Array(expressions=[_source_rank(entity, _dedup(entity).source_order(field), "m"), rank])
        return exp.Filter(this=exp.func("arg_min", value, by, dialect="duckdb"), expression=exp.Where(this=present))
    if strategy in ("max", "min"):
        return (exp.Max if strategy == "max" else exp.Min)(this=value)
    if strategy == "union":
        in_order = exp.ArrayAgg(this=exp.Order(this=value, expressions=[exp.Ordered(this=rank, nulls_first=False)]))
        return exp.Filter(this=in_order, expression=exp.Where(this=present))
    if strategy in ("longest", "shortest"):
        length = exp.Length(this=value.copy())
        by = exp.Array(expressions=[exp.Neg(this=length) if strategy == "longest" else length, rank])
        return exp.Filter(this=exp.func("arg_min", value, by, dialect="duckdb"), expression=exp.Where(this=present))
    return exp.Filter(this=exp.func("arg_min", value, rank, dialect="duckdb"), expression=exp.Where(this=present))


def _surviving(strategy: str, field: str) -> exp.Expression:
    chosen = names.col(field, "v")
    if strategy != "union":
        return chosen
    x, i = names.ident("x"), names.ident("i")
    first_seen = exp.Lambda(this=exp.EQ(this=exp.func("list_position", chosen.copy(), exp.column(x.copy()),
                                                      dialect="duckdb"),
                                        expression=exp.column(i.copy())), expressions=[x, i])
    distinct = exp.func("list_filter", chosen, first_seen, dialect="duckdb")
    return exp.func("array_to_string", distinct, _lit(", "), dialect="duckdb")


def in_place(entity: Entity) -> bool:
    """Survivors are set in the working rows in place (``compile_survivors``) rather than the rows
    copied once more with them: when merging changes no value (no ``fields`` strategies) and no
    row links to an existing record (``match``, whose links depend on every row's survivor)."""
    return entity.dedup is not None and not entity.dedup.strategies and entity.match is None


def checked_view(entity: Entity) -> exp.Create:
    """The checked rows the rules read, as a view of the working rows (``in_place``): their columns
    without the status and id columns the working rows add."""
    added = [names.ident(c) for c in (names.SURVIVOR, names.STATUS, names.ID, names.LINKED)]
    return exp.Create(this=names.checked_table(entity), kind="VIEW", replace=True,
                      properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
                      expression=exp.select(exp.Star(except_=added)).from_(names.rows_table(entity)))


def compile_survivors(entity: Entity, record_id: exp.Expression) -> exp.Update:
    """``in_place``: each clustered row's survivor, status (loaded for the survivor, merged for the
    others) and the id of the record it becomes (``record_id``, over ``k``'s survivor); the working
    rows were written as if every row were alone, which every row outside a cluster is."""
    rows = names.rows_table(entity)
    own = exp.column(names.ROW, table=rows.name, quoted=True)
    survivor = names.col(names.SURVIVOR, "k")
    status = exp.Case().when(exp.EQ(this=survivor.copy(), expression=exp.column(names.KEY, table=rows.name, quoted=True)),
                             _lit(names.LOADED)).else_(_lit(names.MERGED))
    valid = exp.and_(exp.Is(this=exp.column(names.REASONS, table=rows.name, quoted=True), expression=exp.null()),
                     exp.not_(exp.column(names.ARCHIVED_FLAG, table=rows.name, quoted=True)))
    return exp.Update(
        this=rows,
        expressions=[exp.EQ(this=names.col(names.SURVIVOR), expression=survivor),
                     exp.EQ(this=names.col(names.STATUS), expression=status),
                     exp.EQ(this=names.col(names.ID), expression=record_id)],
        from_=exp.From(this=names.clusters_table(entity).as_("k", quoted=True)),
        where=exp.Where(this=exp.and_(exp.EQ(this=names.col(names.ROW, "k"), expression=own), valid)),
    )


def merged(entity: Entity) -> exp.Select:
    """Every checked row with its survivor's old id (NULL when invalid) and, on survivors, chosen values."""
    d = _dedup(entity)
    own = names.col(names.KEY, C)
    survivor = exp.Case().when(valid_row(C), exp.func("coalesce", names.col(names.SURVIVOR, "k"), own))
    select = (exp.select(exp.Column(this=exp.Star(), table=names.ident(C)),
                         exp.alias_(survivor, names.SURVIVOR, quoted=True))
              .from_(names.checked_table(entity).as_(C, quoted=True))
              .join(names.clusters_table(entity).as_("k", quoted=True), join_type="LEFT",
                    on=exp.EQ(this=names.col(names.ROW, "k"), expression=names.col(names.ROW, C))))
    if not d.strategies:
        return select
    members = (exp.select(names.col("cluster", "k"),
                          *(exp.alias_(_chosen_value(entity, s, f), f, quoted=True) for f, s, _ in d.strategies))
               .from_(names.clusters_table(entity).as_("k", quoted=True))
               .join(names.checked_table(entity).as_("m", quoted=True),
                     on=exp.EQ(this=names.col(names.ROW, "m"), expression=names.col(names.ROW, "k")))
               .group_by(names.col("cluster", "k")))
    replaced = [exp.alias_(names.mark_step(exp.Case().when(exp.EQ(this=names.col("rank", "k"), expression=_lit(1)),
                                                           _surviving(s, f)).else_(names.col(f, C)),
                                           names.MERGE_STEP, f"merge: {s}"), f, quoted=True)
                for f, s, _ in d.strategies]
    select.expressions[0] = exp.Column(this=exp.Star(replace=replaced), table=names.ident(C))
    return select.join(members.subquery(names.ident("v"), copy=False), join_type="LEFT",
                       on=exp.EQ(this=names.col("cluster", "v"), expression=names.col("cluster", "k")))


__all__ = ["checked_view", "compile_clusters", "compile_pairs", "compile_stats", "compile_survivors", "in_place",
           "merged", "rule_label"]
