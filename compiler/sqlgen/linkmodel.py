"""A match model (``dedup.model``): blocked pairs, m and u estimated without labels, a probability per pair.

In:  an ``Entity`` whose ``Dedup`` has a ``MatchModel``; its checked rows (``names.checked_table``).
Out: ``compile_model``: the statements, in order, that leave each blocked pair scored in
``names.model_scores_table``; ``edges``: the pairs at or above the threshold, as ``sqlgen.dedup``
pairs (rule ``model``); ``stats_selects``: rows of ``_ferry.dedup_stats`` per blocking rule;
``explained``: links and possible matches with each comparison's level and weight, for review.

1. **rows**: each valid row once, with what each comparison compares (``sqlgen.comparisons``),
   its blocking keys, the size of its block per rule, and its values' frequencies.
2. **pairs**: for each blocking rule, the pairs of rows equal on its keys (a hash join, rows in
   blocks above ``max_block`` left out and counted) that meet its other conditions and that no
   earlier rule found: so a pair is compared once, counted for the first rule that finds it.
   Each pair gets its level per comparison (a number: 0 null, 1.. the declared levels, last else).
3. **u** per level, from random pairs: the rows in the order of the md5 of ``seed:old id`` (the
   same order on every machine and every run), each paired with the next ``J`` rows in that order
   (``J`` = the sample size / rows, rounded down, at least 1). A first ``exact`` level's u is exact instead: the share of all
   pairs of rows that share a value, from value counts. Add-one smoothing: no u is 0.
4. **m and lambda** by expectation-maximisation over the blocked pairs, grouped by their pattern of
   levels (a few hundred rows, whatever the data size), in one recursive CTE: each round computes
   each pattern's match probability from the current m, u and lambda, then m per level as the
   probability-weighted share of pairs at that level (add-one smoothed) and lambda as the expected
   matches over all n(n-1)/2 pairs (blocking is assumed to find the matches). It stops after
   ``iterations`` rounds or when no m (and lambda, relatively) changes by more than ``tolerance``.
   Pairs found only by ``train: false`` rules take no part; lambda is then refitted over every
   blocked pair with m as estimated. Sums are decimal, so exact: every run gives the same model.
5. **scores**: per pair and comparison the weight log2(m/u) of its level (0 for null); with
   ``frequency``, an exact agreement weighs log2(m / share of rows with that value) instead; with
   ``frequency: all`` a similarity level's log2(m/u) gains log2(u of exact / the larger of the two
   values' shares) (a typo of a common name is as weak as the name). The
   match weight is log2(lambda / (1 - lambda)) plus the comparisons' weights; the probability
   is 1 / (1 + 2^-weight).
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from compiler.matchmodel import Comparison, MatchModel, blocking_parts, mirrored, side
from compiler.model import Entity
from compiler.sqlgen import comparisons, estimate, ledgers, linkage, names
from compiler.sqlgen.conditions import not_null, valid_row

L, R = "l", "r"
RULE = "model"  # the rule label of the model's pairs in ``sqlgen.dedup``


def _model(entity: Entity) -> MatchModel:
    assert entity.dedup is not None and entity.dedup.model is not None
    return entity.dedup.model


def _lit(value: str | int | float) -> exp.Literal:
    return exp.Literal.string(value) if isinstance(value, str) else exp.Literal.number(value)


def _double(value: float) -> exp.Expression:
    return exp.cast(exp.Literal.number(repr(float(value))), "DOUBLE")


def _temporary(table: exp.Table, query: exp.Expression) -> exp.Create:
    return exp.Create(this=table, kind="TABLE", replace=True,
                      properties=exp.Properties(expressions=[exp.TemporaryProperty()]), expression=query)


def block_label(entity: Entity, index: int) -> str:
    """How reports name a blocking rule: ``model:block1: l.phone = r.phone``."""
    return f"{RULE}:block{index + 1}: " + " ".join(_model(entity).block[index].condition.split())


# -- 1. rows ---------------------------------------------------------------------------------------

def _on_side(tree: exp.Expression, alias: str | None) -> exp.Expression:
    """A blocking expression with its ``l.``/``r.`` columns read from ``alias`` (None: unqualified)."""
    def move(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and side(node):
            return names.col(node.name, alias)
        return node
    return tree.copy().transform(move)


def _block_fields(entity: Entity) -> list[str]:
    """The fields blocking conditions read, in the entity's order."""
    read = {c.name for b in _model(entity).block
            for c in sqlglot.parse_one(b.condition, read="duckdb").find_all(exp.Column) if side(c)}
    return [f.name for f in entity.fields if f.name in read]


def _key_column(rule: int, key: int) -> str:
    return f"_ferry_b{rule + 1}_{key + 1}"


def _size_column(rule: int) -> str:
    return f"_ferry_n{rule + 1}"


def compile_rows(entity: Entity) -> exp.Create:
    model = _model(entity)
    values = [exp.alias_(e, c, quoted=True) for cmp in model.compare for c, e in comparisons.row_columns(entity, cmp)]
    own = (exp.select(names.col(names.ROW), names.col(names.KEY), *([names.col(names.SOURCE)] if entity.multi else []),
                      *(names.col(f) for f in _block_fields(entity)),
                      *values)
           .from_(names.checked_table(entity)).where(valid_row()))
    derived = [exp.alias_(e, c, quoted=True) for cmp in model.compare for c, e in comparisons.derived_columns(entity, cmp)]
    for i, rule in enumerate(model.block):
        keys, _ = blocking_parts(rule.condition)
        derived += [exp.alias_(_on_side(k, None), _key_column(i, j), quoted=True) for j, k in enumerate(keys)]
    keyed = exp.select(exp.Star(), *derived).from_(own.subquery(names.ident("v"), copy=False))
    # Value shares and block sizes as grouped counts joined back (a window per column partitions
    # every row again: at 1M rows seven windows cost four times the rest of the statement).
    counts: list[tuple[str, exp.Select, list[str]]] = []
    columns: list[exp.Expression] = []
    for cmp in (c for c in model.compare if c.frequency):
        value = comparisons.value_column(cmp)
        share = exp.Div(this=exp.cast(exp.Count(this=exp.Star()), "DOUBLE"),
                        expression=exp.Window(this=exp.Sum(this=exp.Count(this=exp.Star()))))
        counts.append((f"_ferry_f_{cmp.name}", exp.select(names.col(value), exp.alias_(share, "n", quoted=True)), [value]))
        columns.append(exp.alias_(names.col("n", f"_ferry_f_{cmp.name}"), comparisons.tf_column(cmp), quoted=True))
    for i, rule in enumerate(model.block):  # a row with a null key is in no block: its size is null
        keys = [_key_column(i, j) for j in range(len(blocking_parts(rule.condition)[0]))]
        counts.append((f"_ferry_c{i + 1}", exp.select(*(names.col(k) for k in keys),
                                                      exp.alias_(exp.Count(this=exp.Star()), "n", quoted=True)), keys))
        columns.append(exp.alias_(names.col("n", f"_ferry_c{i + 1}"), _size_column(i), quoted=True))
    rows = exp.select(exp.Column(this=exp.Star(), table=names.ident("k")), *columns).with_(
        names.ident("k"), as_=keyed, materialized=bool(counts)).from_(names.table("k"))
    for alias, select, keys in counts:
        grouped = select.from_(names.table("k")).where(exp.and_(*(not_null(names.col(k)) for k in keys))).group_by(
            *(names.col(k) for k in keys))
        rows = rows.with_(names.ident(alias), as_=grouped).join(names.table(alias), join_type="LEFT", on=exp.and_(*(
            exp.EQ(this=names.col(k, alias), expression=names.col(k, "k")) for k in keys)))
    return _temporary(names.model_rows_table(entity), rows)


# -- 2. pairs --------------------------------------------------------------------------------------

def _found(entity: Entity, index: int) -> exp.Expression:
    """Rule ``index`` finds the pair (``l``, ``r``): equal keys in a block not too large, and its other
    conditions, on the pair either way round."""
    model = _model(entity)
    keys, rest = blocking_parts(model.block[index].condition)
    same = [exp.EQ(this=names.col(_key_column(index, j), L), expression=names.col(_key_column(index, j), R))
            for j in range(len(keys))]
    # Both sides' blocks of 2..max_block rows (equal keys: the same block): a condition on each
    # side alone, which DuckDB applies to each side's scan, so singletons never enter the hash join.
    small = exp.and_(*(exp.Between(this=names.col(_size_column(index), s), low=_lit(2), high=_lit(model.max_block))
                       for s in (L, R)))
    same += linkage.cross(entity, L, R)  # link: only
    if not rest:
        return exp.and_(*same, small)
    forward = exp.and_(*(_qualified(c) for c in rest))
    backward = exp.and_(*(_qualified(mirrored(c)) for c in rest))
    either = forward if _symmetric(rest) else exp.or_(exp.paren(forward), exp.paren(backward))
    return exp.and_(*same, small, exp.paren(either))


def _qualified(tree: exp.Expression) -> exp.Expression:
    """``l.x``/``r.x`` as ferry writes columns (quoted, the alias lower-case)."""
    def move(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and side(node):
            return names.col(node.name, side(node))
        return node
    return tree.copy().transform(move)


def _symmetric(rest: tuple[exp.Expression, ...]) -> bool:
    """The conditions hold for (l, r) exactly when they hold for (r, l)."""
    def text(parts: tuple[exp.Expression, ...]) -> list[str]:
        return sorted(_qualified(p).sql(dialect="duckdb") for p in parts)
    return text(rest) == text(tuple(mirrored(p) for p in rest))


def _blocked(entity: Entity) -> exp.Expression:
    rows = names.model_rows_table(entity)
    selects: list[exp.Expression] = []
    for i in range(len(_model(entity).block)):
        earlier = [exp.not_(exp.func("coalesce", exp.paren(_found(entity, j)), exp.false())) for j in range(i)]
        on = exp.and_(_found(entity, i), exp.LT(this=names.col(names.ROW, L), expression=names.col(names.ROW, R)))
        select = (exp.select(exp.alias_(names.col(names.ROW, L), "a", quoted=True),
                             exp.alias_(names.col(names.ROW, R), "b", quoted=True),
                             exp.alias_(_lit(i + 1), "block", quoted=True))
                  .from_(rows.copy().as_(L, quoted=True))
                  .join(rows.copy().as_(R, quoted=True), on=on))
        selects.append(select.where(exp.and_(*earlier)) if earlier else select)
    union = selects[0]
    for s in selects[1:]:
        union = exp.union(union, s, distinct=False)
    return union


def _levels(entity: Entity) -> list[exp.Expression]:
    """Each comparison's level of the pair (``l``, ``r``), as ``g_<comparison>``."""
    return [exp.alias_(comparisons.level(entity, c, L, R), f"g_{c.name}", quoted=True) for c in _model(entity).compare]


def _pair_frequency(c: Comparison) -> exp.Expression:
    """The share of rows with the pair's value, when the two agree (``frequency: true``); with
    ``frequency: all``, when they differ, the larger of the two values' shares (a typo of a common
    name is as weak as the name)."""
    same = exp.Case().when(exp.EQ(this=names.col(comparisons.value_column(c), L),
                                  expression=names.col(comparisons.value_column(c), R)),
                           names.col(comparisons.tf_column(c), L))
    if not c.frequency_similar:
        return same
    return same.else_(exp.Greatest(this=names.col(comparisons.tf_column(c), L),
                                   expressions=[names.col(comparisons.tf_column(c), R)]))


def compile_pairs(entity: Entity) -> exp.Create:
    rows = names.model_rows_table(entity)
    frequencies = [exp.alias_(_pair_frequency(c), f"tf_{c.name}", quoted=True) for c in _model(entity).compare if c.frequency]
    model = _model(entity)
    training = [] if all(b.train for b in model.block) else [exp.alias_(exp.or_(*(
        exp.func("coalesce", exp.paren(_found(entity, i)), exp.false()) for i, b in enumerate(model.block) if b.train)),
        "train", quoted=True)]
    pairs = (exp.select(names.col("a", "p"), names.col("b", "p"), names.col("block", "p"), *_levels(entity), *frequencies,
                        *training)
             .from_(_blocked(entity).subquery(names.ident("p"), copy=False))
             .join(rows.copy().as_(L, quoted=True), on=exp.EQ(this=names.col(names.ROW, L), expression=names.col("a", "p")))
             .join(rows.copy().as_(R, quoted=True), on=exp.EQ(this=names.col(names.ROW, R), expression=names.col("b", "p"))))
    return _temporary(names.model_pairs_table(entity), pairs)


def compile_model(spec: str, entity: Entity) -> tuple[exp.Expression, ...]:
    """Every statement of the model, in order, up to each pair's probability and the ledger of m and u."""
    return (compile_rows(entity), compile_pairs(entity), estimate.compile_u(entity), estimate.compile_estimate(entity),
            estimate.compile_scores(entity), compile_ledger(spec, entity))


# -- what the model gives to dedup, to the statistics and to review --------------------------------

def edges(entity: Entity) -> exp.Select:
    """Pairs at or above the threshold, as duplicate pairs (``a``, ``b``, ``rule``, ``score``)."""
    return (exp.select(names.col("a"), names.col("b"), exp.alias_(_lit(RULE), "rule", quoted=True),
                       exp.alias_(names.col("probability"), "score", quoted=True))
            .from_(names.model_scores_table(entity))
            .where(exp.GTE(this=names.col("probability"), expression=_double(_model(entity).threshold))))


def stats_selects(entity: Entity) -> list[exp.Select]:
    """Rows of ``_ferry.dedup_stats``: the model as a whole, then each blocking rule with the pairs it
    found first, those at or above the threshold, and the rows its oversized blocks left out."""
    model, scores = _model(entity), names.model_scores_table(entity)
    matched = exp.GTE(this=names.col("probability"), expression=_double(model.threshold))

    def row(label: str, where: exp.Expression | None, skipped: exp.Expression) -> exp.Select:
        counts = exp.select(exp.alias_(exp.Count(this=exp.Star()), "compared", quoted=True),
                            exp.alias_(exp.Filter(this=exp.Count(this=exp.Star()), expression=exp.Where(this=matched.copy())),
                                       "matched", quoted=True)).from_(scores.copy())
        counts = counts.where(where) if where is not None else counts
        return exp.select(exp.alias_(_lit(entity.name), "entity", quoted=True), exp.alias_(_lit(label), "rule", quoted=True),
                          exp.alias_(names.col("compared"), "pairs_compared", quoted=True),
                          exp.alias_(names.col("matched"), "pairs_matched", quoted=True),
                          exp.alias_(exp.cast(skipped, "BIGINT"), "rows_in_skipped_blocks", quoted=True)
                          ).from_(counts.subquery(names.ident("c"), copy=False))

    def oversized(i: int) -> exp.Expression:
        keys, _ = blocking_parts(model.block[i].condition)
        big = exp.and_(exp.GT(this=names.col(_size_column(i)), expression=_lit(model.max_block)),
                       *(not_null(names.col(_key_column(i, j))) for j in range(len(keys))))
        return exp.Subquery(this=exp.select(exp.Count(this=exp.Star())).from_(names.model_rows_table(entity)).where(big))

    out = [row(RULE, None, _lit(0))]
    out += [row(block_label(entity, i), exp.EQ(this=names.col("block"), expression=_lit(i + 1)), oversized(i))
            for i in range(len(model.block))]
    return out


def compile_ledger(spec: str, entity: Entity) -> exp.Expression:
    """``_ferry.dedup_model``: per comparison level its number, m, u, weight and blocked pairs; then a
    ``(prior)`` row: lambda as m, its log-odds as weight, the blocked pairs, the EM rounds run, the
    matching pairs expected and the records (``accounting`` refuses a model expecting over ten per record)."""
    model = _model(entity)
    grid = exp.values([(c.name, k, comparisons.labels(c)[k], offset + k if k else 0)
                       for c, offset, count in estimate.layout(model) for k in range(0, count + 1)],
                      alias="grid", columns=["comparison", "number", "level", "position"])
    counted = estimate.union([
        exp.select(exp.alias_(_lit(c.name), "comparison", quoted=True), exp.alias_(names.col(f"g_{c.name}"), "number", quoted=True),
                   exp.alias_(exp.Count(this=exp.Star()), "pairs", quoted=True))
        .from_(names.model_pairs_table(entity)).group_by(names.col(f"g_{c.name}")) for c in model.compare])
    present = exp.GT(this=names.col("number", "grid"), expression=_lit(0))
    m = exp.Case().when(present, exp.Bracket(this=names.col("m", "model"), expressions=[names.col("position", "grid")]))
    u = exp.Case().when(present.copy(), exp.Bracket(this=names.col("u", "model"), expressions=[names.col("position", "grid")]))
    weight = exp.Case().when(present.copy(), exp.func("log2", exp.Div(this=m.copy(), expression=u.copy()))).else_(_double(0))
    levels = (exp.select(_lit(entity.name), names.col("comparison", "grid"), names.col("number", "grid"),
                         names.col("level", "grid"), m, u, weight,
                         exp.func("coalesce", names.col("pairs", "c"), _lit(0)), exp.cast(exp.null(), "BIGINT"),
                        exp.cast(exp.null(), "DOUBLE"), exp.cast(exp.null(), "BIGINT"))
              .from_(grid).join(names.model_table(entity).as_("model", quoted=True))
              .join(counted.subquery(names.ident("c"), copy=False), join_type="LEFT", on=exp.and_(
                  exp.EQ(this=names.col("comparison", "c"), expression=names.col("comparison", "grid")),
                  exp.EQ(this=names.col("number", "c"), expression=names.col("number", "grid")))))
    lam = names.col("lambda", "model")
    prior = (exp.select(_lit(entity.name), _lit("(prior)"), _lit(-1), _lit("lambda"), lam, exp.cast(exp.null(), "DOUBLE"),
                        estimate.prior_weight(lam.copy()),
                        exp.Subquery(this=exp.select(exp.Count(this=exp.Star())).from_(names.model_pairs_table(entity))),
                        exp.cast(names.col("iterations", "model"), "BIGINT"), names.col("expected", "model"),
                        names.col("rows", "model"))
             .from_(names.model_table(entity).as_("model", quoted=True)))
    return ledgers.insert(names.dedup_model_table(), exp.union(levels, prior, distinct=False), spec)


#: The columns of ``_ferry.<entity>_model_pairs`` (``explained``), in order (the spec's name comes last).
EXPLAINED: tuple[tuple[str, exp.DataType], ...] = tuple((n, exp.DataType.build(t)) for n, t in (
    ("left_key", "VARCHAR"), ("right_key", "VARCHAR"), ("status", "VARCHAR"), ("probability", "DOUBLE"),
    ("match_weight", "DOUBLE"), ("why", "VARCHAR"), ("left_row", "BIGINT"), ("right_row", "BIGINT")))


def explained(entity: Entity) -> exp.Select:
    """Links and possible matches (and every decided pair), each with both old ids, the probability
    and match weight, its status, and per comparison its level and weight: what review shows."""
    model, s = _model(entity), "s"
    rows = names.model_rows_table(entity)
    parts = []
    for c in model.compare:  # first_name anna / ana: jaro_winkler>=0.92 +8.1
        label = exp.Bracket(this=exp.Array(expressions=[_lit(x) for x in comparisons.labels(c)]),
                            expressions=[exp.Add(this=names.col(f"g_{c.name}", s), expression=_lit(1))])
        shown = exp.func("printf", _lit("%+.1f"), names.col(f"w_{c.name}", s))
        value = [exp.func("coalesce", exp.cast(names.col(comparisons.value_column(c), side), "VARCHAR"), _lit("-"))
                 for side in (L, R)]
        parts.append(exp.func("concat", _lit(f"{c.name} "), value[0], _lit(" / "), value[1], _lit(": "), label,
                              _lit(" "), shown))
    why = exp.func("concat_ws", _lit("; "), *parts)
    decided = entity.dedup is not None and entity.dedup.decisions is not None
    decision = names.col("decision", "d")
    status = exp.Case()
    if decided:
        status = status.when(exp.EQ(this=decision, expression=_lit("forbid")), _lit("forbidden")).when(
            exp.EQ(this=decision.copy(), expression=_lit("force")), _lit("forced"))
    status = status.when(exp.GTE(this=names.col("probability", s), expression=_double(model.threshold)), _lit("link")
                         ).else_(_lit("possible"))
    floor = model.review if model.review is not None else model.threshold
    shown_pairs = exp.GTE(this=names.col("probability", s), expression=_double(floor))
    select = (exp.select(exp.alias_(names.col(names.KEY, L), "left_key", quoted=True),
                         exp.alias_(names.col(names.KEY, R), "right_key", quoted=True),
                         exp.alias_(status, "status", quoted=True), names.col("probability", s), names.col("match_weight", s),
                         exp.alias_(why, "why", quoted=True),
                         exp.alias_(names.col("a", s), "left_row", quoted=True), exp.alias_(names.col("b", s), "right_row", quoted=True))
              .from_(names.model_scores_table(entity).as_(s, quoted=True))
              .join(rows.copy().as_(L, quoted=True), on=exp.EQ(this=names.col(names.ROW, L), expression=names.col("a", s)))
              .join(rows.copy().as_(R, quoted=True), on=exp.EQ(this=names.col(names.ROW, R), expression=names.col("b", s))))
    if decided:
        select = select.join(names.decisions_table(entity).as_("d", quoted=True), join_type="LEFT", on=exp.and_(
            exp.EQ(this=names.col("a", "d"), expression=names.col("a", s)),
            exp.EQ(this=names.col("b", "d"), expression=names.col("b", s))))
        shown_pairs = exp.or_(shown_pairs, not_null(decision.copy()))
    select = select.where(shown_pairs)
    select.set("order", exp.Order(expressions=[exp.Ordered(this=names.col("probability", s), desc=True),
                                               exp.Ordered(this=names.col("a", s)), exp.Ordered(this=names.col("b", s))]))
    return select


__all__ = ["EXPLAINED", "RULE", "block_label", "compile_ledger", "compile_model", "compile_pairs", "compile_rows", "edges",
           "explained", "stats_selects"]
