"""Estimating a match model without labels, and scoring its pairs (steps 3-5 of ``sqlgen.linkmodel``).

In:  an ``Entity`` with a ``MatchModel``, after ``linkmodel.compile_rows`` and ``compile_pairs``.
Out: ``compile_u`` (u per level from random pairs), ``compile_estimate`` (lambda and m by
expectation-maximisation, one row of lists), ``compile_scores`` (each pair's weights and
probability). All arithmetic is DuckDB's, over tables; nothing loops over pairs in Python.

Levels are addressed in lists by position: the comparisons in name order, each with its
declared levels then ``else`` (the null level has no m or u: its weight is 0).
"""

from __future__ import annotations

from sqlglot import exp

from compiler.matchmodel import SIMILAR_KINDS, Comparison, MatchModel
from compiler.model import Entity
from compiler.sqlgen import comparisons, names

L, R = "l", "r"
_FLOOR = 1e-12  # no m or u is taken below this, so every weight is finite


def _model(entity: Entity) -> MatchModel:
    assert entity.dedup is not None and entity.dedup.model is not None
    return entity.dedup.model


def _lit(value: str | int) -> exp.Literal:
    return exp.Literal.string(value) if isinstance(value, str) else exp.Literal.number(value)


def _double(value: float) -> exp.Expression:
    return exp.cast(exp.Literal.number(repr(float(value))), "DOUBLE")


def _temporary(table: exp.Table, query: exp.Expression) -> exp.Create:
    return exp.Create(this=table, kind="TABLE", replace=True,
                      properties=exp.Properties(expressions=[exp.TemporaryProperty()]), expression=query)


def _least(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return exp.Least(this=a, expressions=[b], ignore_nulls=True)


def _greatest(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return exp.Greatest(this=a, expressions=[b], ignore_nulls=True)


def union(selects: list[exp.Select]) -> exp.Expression:
    out: exp.Expression = selects[0]
    for s in selects[1:]:
        out = exp.union(out, s, distinct=False)
    return out


def _exact_sum(value: exp.Expression, where: exp.Expression | None = None) -> exp.Expression:
    """The sum of ``value`` (of rows meeting ``where``) in decimal arithmetic, which is exact: the same
    whatever order parallel threads add the rows in, so every run estimates the same model."""
    total: exp.Expression = exp.Sum(this=exp.cast(value, exp.DataType.build("DECIMAL(38, 12)")))
    if where is not None:
        total = exp.Filter(this=total, expression=exp.Where(this=where))
    return exp.cast(total, "DOUBLE")


def _sum(terms: list[exp.Expression]) -> exp.Expression:
    total = terms[0]
    for term in terms[1:]:
        total = exp.Add(this=total, expression=term)
    return total


def layout(model: MatchModel) -> list[tuple[Comparison, int, int]]:
    """(comparison, offset, levels): level k of a comparison is at list position offset + k."""
    out, offset = [], 0
    for c in model.compare:
        out.append((c, offset, len(c.levels) + 1))
        offset += len(c.levels) + 1
    return out


def _at(values: exp.Expression, position: exp.Expression) -> exp.Expression:
    return exp.Bracket(this=values, expressions=[position])


def _g(c: Comparison, table: str | None = None) -> exp.Column:
    return names.col(f"g_{c.name}", table)


def _levels(entity: Entity) -> list[exp.Expression]:
    return [exp.alias_(comparisons.level(entity, c, L, R), f"g_{c.name}", quoted=True) for c in _model(entity).compare]


# -- 3. u ------------------------------------------------------------------------------------------

def _sampled(entity: Entity) -> exp.Select:
    """Random pairs: rows in md5 order of ``seed:old id``, each paired with the next J rows (cyclically)."""
    model, rows = _model(entity), names.model_rows_table(entity)
    n = names.col("n", "size")
    order = exp.func("md5", exp.func("concat", _lit(f"{model.seed}:"), names.col(names.KEY)))
    position = exp.Sub(this=exp.Window(this=exp.RowNumber(), order=exp.Order(expressions=[
        exp.Ordered(this=order), exp.Ordered(this=names.col(names.ROW))])), expression=_lit(1))
    # Only row numbers are ranked and paired (sorting whole rows by the hash cost more than the
    # comparisons); the pairs then read their values from the rows, as the blocked pairs do.
    ranked = exp.select(names.col(names.ROW), exp.alias_(position, "_ferry_pos", quoted=True)).from_(rows.copy())
    size = exp.select(exp.alias_(exp.Count(this=exp.Star()), "n", quoted=True)).from_(rows.copy())
    # At most ``sample`` pairs (at least one per row): rounding up doubled them where the rows fall
    # just short of the sample (998,019 rows: 2 per row, 2M pairs, half the model's u time).
    per_row = _least(_greatest(exp.IntDiv(this=_lit(model.sample), expression=n.copy()), _lit(1)),
                     exp.IntDiv(this=exp.paren(exp.Sub(this=n.copy(), expression=_lit(1))), expression=_lit(2)))
    shifts = (exp.select(exp.alias_(exp.Explode(this=exp.func("range", _lit(1), exp.Add(
        this=_lit(1), expression=exp.cast(per_row, "BIGINT")))), "shift", quoted=True)).from_(names.table("size")))
    other = exp.Mod(this=exp.paren(exp.Add(this=names.col("_ferry_pos", "ranked"), expression=names.col("shift", "shifts"))),
                    expression=n.copy())
    left = (exp.select(names.col(names.ROW, "ranked"), exp.alias_(other, "_ferry_other", quoted=True))
            .from_(names.table("ranked")).join(names.table("shifts")).join(names.table("size")))
    paired = (exp.select(exp.alias_(names.col(names.ROW, "o"), "a", quoted=True),
                         exp.alias_(names.col(names.ROW, "ranked"), "b", quoted=True))
              .from_(left.subquery(names.ident("o"), copy=False))
              .join(names.table("ranked"), on=exp.EQ(this=names.col("_ferry_pos", "ranked"),
                                                     expression=names.col("_ferry_other", "o"))))
    return (exp.select(*_levels(entity))
            .with_(names.ident("ranked"), as_=ranked, materialized=True).with_(names.ident("size"), as_=size)
            .with_(names.ident("shifts"), as_=shifts)
            .from_(paired.subquery(names.ident("p"), copy=False))
            .join(rows.copy().as_(L, quoted=True), on=exp.EQ(this=names.col(names.ROW, L), expression=names.col("a", "p")))
            .join(rows.copy().as_(R, quoted=True), on=exp.EQ(this=names.col(names.ROW, R), expression=names.col("b", "p"))))


def compile_u(entity: Entity) -> exp.Create:
    """Per level: the random pairs at it, and u (the exact u of a first ``exact`` level from value counts)."""
    model, rows = _model(entity), names.model_rows_table(entity)
    counted = union([exp.select(exp.alias_(_lit(c.name), "comparison", quoted=True), exp.alias_(_g(c), "level", quoted=True),
                                 exp.alias_(exp.Count(this=exp.Star()), "pairs", quoted=True))
                      .from_(names.table("sampled")).where(exp.GT(this=_g(c), expression=_lit(0))).group_by(_g(c))
                      for c in model.compare])
    grid = exp.values([(c.name, k, offset + k, comparisons.labels(c)[k]) for c, offset, count in layout(model)
                       for k in range(1, count + 1)], alias="grid",
                      columns=["comparison", "level", "position", "label"])
    share = exp.Div(this=exp.cast(exp.Add(this=names.col("sampled"), expression=_lit(1)), "DOUBLE"),
                    expression=exp.Window(this=exp.Sum(this=exp.Add(this=names.col("sampled"), expression=_lit(1))),
                                          partition_by=[names.col("comparison")]))
    joined = (exp.select(names.col("comparison", "grid"), names.col("level", "grid"), names.col("position", "grid"),
                         names.col("label", "grid"),
                         exp.alias_(exp.func("coalesce", names.col("pairs", "c"), _lit(0)), "sampled", quoted=True))
              .from_(grid).join(names.table("counted", alias="c"), join_type="LEFT", on=exp.and_(
                  exp.EQ(this=names.col("comparison", "c"), expression=names.col("comparison", "grid")),
                  exp.EQ(this=names.col("level", "c"), expression=names.col("level", "grid")))))
    shared = exp.select(exp.Star(), exp.alias_(share, "share", quoted=True)).from_(joined.subquery(names.ident("j"), copy=False))
    first = exp.Window(this=exp.Max(this=exp.Case().when(exp.EQ(this=names.col("level"), expression=_lit(1)),
                                                         names.col("share"))), partition_by=[names.col("comparison")])
    shares = exp.select(exp.Star(), exp.alias_(first, "first_share", quoted=True)).from_(
        shared.subquery(names.ident("f"), copy=False))
    exact = _exact_u(entity)
    u: exp.Expression = names.col("share", "s")
    if exact is not None:  # the first level's u is known exactly; the others share what is left
        known = names.col("u", "x")
        rest = exp.Div(this=exp.Mul(this=names.col("share", "s"), expression=exp.paren(
            exp.Sub(this=_lit(1), expression=known.copy()))), expression=exp.paren(
            exp.Sub(this=_lit(1), expression=names.col("first_share", "s"))))
        u = (exp.Case().when(exp.Is(this=known.copy(), expression=exp.null()), names.col("share", "s"))
             .when(exp.EQ(this=names.col("level", "s"), expression=_lit(1)), known.copy()).else_(rest))
    final = (exp.select(names.col("comparison", "s"), names.col("level", "s"), names.col("position", "s"), names.col("label", "s"),
                        names.col("sampled", "s"),
                        exp.alias_(_greatest(u, _double(_FLOOR)), "u", quoted=True))
             .with_(names.ident("sampled"), as_=_sampled(entity), materialized=True)
             .with_(names.ident("counted"), as_=counted)
             .from_(shares.subquery(names.ident("s"), copy=False)))
    if exact is not None:
        final = final.with_(names.ident("exact"), as_=exact).join(
            names.table("exact", alias="x"), join_type="LEFT",
            on=exp.EQ(this=names.col("comparison", "x"), expression=names.col("comparison", "s")))
    final.set("order", exp.Order(expressions=[exp.Ordered(this=names.col("position", "s"))]))
    return _temporary(names.model_u_table(entity), final)


def _exact_u(entity: Entity) -> exp.Expression | None:
    """For comparisons whose first level is ``exact``: the share of all pairs of rows with a value
    that agree, from value counts (add-one smoothed)."""
    selects = []
    for c in (c for c in _model(entity).compare if c.levels[0].kind == "exact"):
        value, n = names.col(comparisons.value_column(c)), names.col("n")
        counts = (exp.select(exp.alias_(exp.Count(this=exp.Star()), "n", quoted=True))
                  .from_(names.model_rows_table(entity)).where(exp.not_(exp.Is(this=value, expression=exp.null())))
                  .group_by(value.copy()))
        agreeing = exp.Sum(this=exp.Div(this=exp.Mul(this=exp.cast(n.copy(), "DOUBLE"), expression=exp.paren(
            exp.Sub(this=n.copy(), expression=_lit(1)))), expression=_lit(2)))
        total = exp.cast(exp.Sum(this=n.copy()), "DOUBLE")
        possible = exp.Div(this=exp.Mul(this=total, expression=exp.paren(exp.Sub(this=total.copy(), expression=_lit(1)))),
                           expression=_lit(2))
        u = exp.Div(this=exp.paren(exp.Add(this=exp.func("coalesce", agreeing, _lit(0)), expression=_lit(1))),
                    expression=exp.paren(exp.Add(this=exp.func("coalesce", possible, _lit(0)), expression=_lit(1))))
        selects.append(exp.select(exp.alias_(_lit(c.name), "comparison", quoted=True),
                                  exp.alias_(_least(u, _double(1 - 1e-9)), "u", quoted=True))
                       .from_(counts.subquery(names.ident("v"), copy=False)))
    return union(selects) if selects else None


# -- 4. m and lambda -------------------------------------------------------------------------------

def _start(model: MatchModel) -> exp.Expression:
    """m before the first round: 0.9 on each comparison's first level, the rest shared evenly."""
    values = [0.9 if k == 1 else 0.1 / (count - 1) for _, _, count in layout(model) for k in range(1, count + 1)]
    return exp.cast(exp.Array(expressions=[exp.Literal.number(repr(v)) for v in values]), "DOUBLE[]")


def _logit(lam: exp.Expression) -> exp.Expression:
    return exp.Sub(this=exp.Ln(this=lam), expression=exp.Ln(this=exp.paren(exp.Sub(this=_lit(1), expression=lam.copy()))))


def prior_weight(lam: exp.Expression) -> exp.Expression:
    """log2(lambda / (1 - lambda)): the match weight of a pair before any comparison."""
    return exp.Div(this=exp.paren(_logit(lam)), expression=exp.Ln(this=_lit(2)))


def _log_odds(model: MatchModel, m: exp.Expression, u: exp.Expression, lam: exp.Expression) -> exp.Expression:
    """ln of the prior odds plus the evidence."""
    return exp.Add(this=_logit(lam), expression=_evidence(model, m, u))


def _evidence(model: MatchModel, m: exp.Expression, u: exp.Expression) -> exp.Expression:
    """Per comparison not at its null level, ln(m / u) of its level, summed."""
    terms = []
    for c, offset, _ in layout(model):
        position = exp.Add(this=_lit(offset), expression=_g(c))
        ratio = exp.Sub(this=exp.Ln(this=_at(m.copy(), position)), expression=exp.Ln(this=_at(u.copy(), position.copy())))
        terms.append(exp.Case().when(exp.EQ(this=_g(c), expression=_lit(0)), _lit(0)).else_(ratio))
    return _sum(terms)


def _probability(log_odds: exp.Expression, base: str = "e") -> exp.Expression:
    """1 / (1 + base^-x), x kept within +-700 so no power overflows."""
    x = _least(_greatest(log_odds, _lit(-700)), _lit(700))
    power = exp.Exp(this=exp.Neg(this=x)) if base == "e" else exp.Pow(this=_lit(2), expression=exp.Neg(this=x))
    return exp.Div(this=_double(1), expression=exp.paren(exp.Add(this=_lit(1), expression=power)))


def compile_estimate(entity: Entity) -> exp.Create:
    """One row: the EM rounds run, lambda, m and u (lists by level position), the last change, the
    matching pairs expected (lambda times all pairs) and the rows."""
    model = _model(entity)
    gs = [_g(c) for c in model.compare]
    training = all(b.train for b in model.block)  # else the pairs table says which pairs train
    keys = gs if training else [*gs, names.col("train")]
    patterns = (exp.select(*keys, exp.alias_(exp.Count(this=exp.Star()), "pairs", quoted=True))
                .from_(names.model_pairs_table(entity)).group_by(*(k.copy() for k in keys)))
    prior = exp.select(exp.alias_(exp.func("list", names.col("u")), "u", quoted=True)).from_(names.model_u_table(entity))
    prior.expressions[0].this.set("expressions", [exp.Order(this=names.col("u"), expressions=[
        exp.Ordered(this=names.col("position"))])])
    n = exp.cast(exp.Count(this=exp.Star()), "DOUBLE")
    size = exp.select(exp.alias_(exp.Div(this=exp.Mul(this=n, expression=exp.paren(exp.Sub(this=n.copy(), expression=_lit(1)))),
                                         expression=_lit(2)), "all_pairs", quoted=True),
                      exp.alias_(exp.Count(this=exp.Star()), "rows", quoted=True)).from_(names.model_rows_table(entity))
    e = "em"
    posterior = _probability(_log_odds(model, names.col("m", e), names.col("u", "prior"), names.col("lambda", e)))
    rounds = (exp.select(names.col("iteration", e), names.col("lambda", e), names.col("m", e),
                         exp.Column(this=exp.Star(), table=names.ident("patterns")), names.col("all_pairs", "size"),
                         exp.alias_(posterior, "p", quoted=True))
              .from_(names.table(e)).join(names.table("patterns")).join(names.table("prior")).join(names.table("size"))
              .where(exp.and_(exp.LT(this=names.col("iteration", e), expression=_lit(model.iterations)),
                              exp.GT(this=names.col("change", e), expression=_double(model.tolerance)),
                              *([] if training else [names.col("train", "patterns")]))))
    weighted = exp.Mul(this=names.col("pairs"), expression=names.col("p"))

    def expected(where: exp.Expression) -> exp.Expression:
        return exp.func("coalesce", _exact_sum(weighted.copy(), where), _lit(0))

    m = []
    for c, _, count in layout(model):
        seen = expected(exp.GT(this=_g(c), expression=_lit(0)))
        for k in range(1, count + 1):  # add-one smoothed share of the expected matches at this level
            m.append(exp.Div(this=exp.paren(exp.Add(this=expected(exp.EQ(this=_g(c), expression=_lit(k))), expression=_lit(1))),
                             expression=exp.paren(exp.Add(this=seen.copy(), expression=_lit(count)))))
    lam = exp.Div(this=_exact_sum(weighted.copy()), expression=exp.func("any_value", names.col("all_pairs")))
    step = (exp.select(names.col("iteration"), exp.alias_(exp.func("any_value", names.col("m")), "previous", quoted=True),
                       exp.alias_(exp.func("any_value", names.col("lambda")), "previous_lambda", quoted=True),
                       exp.alias_(_least(_greatest(lam, _double(_FLOOR)), _double(0.5)), "lambda", quoted=True),
                       exp.alias_(exp.Array(expressions=m), "m", quoted=True))
            .from_(rounds.subquery(names.ident("r"), copy=False)).group_by(names.col("iteration")))
    i = names.ident("_ferry_i")
    moved = exp.Abs(this=exp.Sub(this=_at(names.col("m"), exp.column(i.copy())),
                                 expression=_at(names.col("previous"), exp.column(i.copy()))))
    largest = exp.func("list_max", exp.func("list_transform", exp.func("range", _lit(1), exp.Add(
        this=exp.func("len", names.col("m")), expression=_lit(1))), exp.Lambda(this=moved, expressions=[i])))
    relative = exp.Abs(this=exp.Sub(this=exp.Div(this=names.col("lambda"), expression=names.col("previous_lambda")),
                                    expression=_lit(1)))
    again = exp.select(exp.Add(this=names.col("iteration"), expression=_lit(1)), names.col("lambda"), names.col("m"),
                       _greatest(largest, relative)).from_(step.subquery(names.ident("s"), copy=False))
    start = exp.select(_lit(0), exp.Div(this=_double(1), expression=_greatest(
        exp.Sub(this=exp.Subquery(this=exp.select(exp.Count(this=exp.Star())).from_(names.model_rows_table(entity))),
                expression=_lit(1)), _lit(1))), _start(model), _double(1))
    em = exp.CTE(this=exp.union(start, again, distinct=False), alias=exp.TableAlias(
        this=names.ident(e), columns=[names.ident(c) for c in ("iteration", "lambda", "m", "change")]))
    fitted = exp.select(names.col("iteration"), names.col("lambda"), names.col("m"), names.col("change")).from_(
        names.table(e)).order_by(exp.Ordered(this=names.col("iteration"), desc=True)).limit(1)
    refit = _refit(model, e)
    r = "refit"
    final = (exp.select(exp.alias_(names.col("iteration", "fitted"), "iterations", quoted=True), names.col("lambda", r),
                        names.col("m", "fitted"), names.col("u", "prior"), names.col("change", "fitted"),
                        exp.alias_(exp.Mul(this=names.col("lambda", r), expression=names.col("all_pairs", "size")),
                                   "expected", quoted=True), names.col("rows", "size"))
             .from_(names.table("fitted")).join(names.table(r)).join(names.table("prior")).join(names.table("size")))
    final.set("order", exp.Order(expressions=[exp.Ordered(this=names.col("round", r), desc=True)]))
    final = final.limit(1)
    evidence = (exp.select(names.col("pairs", "patterns"), exp.alias_(_evidence(model, names.col("m", "fitted"),
                                                                                names.col("u", "prior")), "evidence",
                                                                      quoted=True))
                .from_(names.table("patterns")).join(names.table("fitted")).join(names.table("prior")))
    ctes = [exp.CTE(this=patterns, alias=exp.TableAlias(this=names.ident("patterns"))),
            exp.CTE(this=prior, alias=exp.TableAlias(this=names.ident("prior"))),
            exp.CTE(this=size, alias=exp.TableAlias(this=names.ident("size"))), em,
            exp.CTE(this=fitted, alias=exp.TableAlias(this=names.ident("fitted"))),
            exp.CTE(this=evidence, alias=exp.TableAlias(this=names.ident("evidence"))), refit]
    final.set("with_", exp.With(expressions=ctes, recursive=True))
    return _temporary(names.model_table(entity), final)


def _refit(model: MatchModel, em: str) -> exp.CTE:
    """lambda again, over every blocked pair (the training ones and the rest) with m as estimated:
    each round, the expected matches over all n(n-1)/2 pairs; from the EM's lambda until it moves
    by less than ``tolerance`` (relatively)."""
    r = "refit"
    chance = _probability(exp.Add(this=_logit(names.col("lambda", r)), expression=names.col("evidence", "evidence")))
    expected = exp.Div(this=_exact_sum(exp.Mul(this=names.col("pairs", "evidence"), expression=chance)),
                       expression=exp.func("any_value", names.col("all_pairs", "size")))
    step = (exp.select(names.col("round", r), exp.alias_(exp.func("any_value", names.col("lambda", r)), "previous", quoted=True),
                       exp.alias_(_least(_greatest(expected, _double(_FLOOR)), _double(0.5)), "lambda", quoted=True))
            .from_(names.table(r)).join(names.table("evidence")).join(names.table("size"))
            .where(exp.and_(exp.LT(this=names.col("round", r), expression=_lit(model.iterations)),
                            exp.GT(this=names.col("change", r), expression=_double(model.tolerance))))
            .group_by(names.col("round", r)))
    again = exp.select(exp.Add(this=names.col("round"), expression=_lit(1)), names.col("lambda"), exp.Abs(
        this=exp.Sub(this=exp.Div(this=names.col("lambda"), expression=names.col("previous")), expression=_lit(1)))
    ).from_(step.subquery(names.ident("s"), copy=False))
    start = exp.select(_lit(0), names.col("lambda"), _double(1)).from_(names.table("fitted"))
    return exp.CTE(this=exp.union(start, again, distinct=False), alias=exp.TableAlias(
        this=names.ident(r), columns=[names.ident(c) for c in ("round", "lambda", "change")]))


# -- 5. scores -------------------------------------------------------------------------------------

def _weight(c: Comparison, offset: int) -> exp.Expression:
    """The comparison's weight at the pair's level: log2(m / u), 0 at null; with ``frequency`` an
    exact agreement weighs log2(m / share of rows with the value); with ``frequency: all`` a
    similarity level weighs log2(m / u) + log2(u of the exact level / the larger of the two values'
    shares): the exact level's u is the share of an average value, so a value more common than
    that is weaker evidence, a rarer one stronger, at every level where the texts are alike."""
    position = exp.Add(this=_lit(offset), expression=_g(c))
    m, u = _at(names.col("m", "model"), position), _at(names.col("u", "model"), position.copy())
    tf = _greatest(names.col(f"tf_{c.name}"), _double(_FLOOR))
    case = exp.Case().when(exp.EQ(this=_g(c), expression=_lit(0)), _double(0))
    if c.frequency:
        case = case.when(exp.EQ(this=_g(c), expression=_lit(1)),
                         exp.func("log2", exp.Div(this=m.copy(), expression=tf.copy())))
    similar = [k for k, level in enumerate(c.levels, start=1) if level.kind in SIMILAR_KINDS]
    if c.frequency_similar and similar:
        exact_u = exp.Bracket(this=names.col("u", "model"), expressions=[_lit(offset + 1)], offset=1)  # 1-based as written
        adjusted = exp.Add(this=exp.func("log2", exp.Div(this=m.copy(), expression=u.copy())),
                           expression=exp.func("log2", exp.Div(this=exact_u, expression=tf.copy())))
        case = case.when(exp.In(this=_g(c), expressions=[_lit(k) for k in similar]), adjusted)
    return case.else_(exp.func("log2", exp.Div(this=m, expression=u)))


def compile_scores(entity: Entity) -> exp.Create:
    """Each blocked pair with its levels, each comparison's weight (``w_<comparison>``), the match
    weight and the match probability."""
    model = _model(entity)
    weights = [exp.alias_(_weight(c, offset), f"w_{c.name}", quoted=True) for c, offset, _ in layout(model)]
    prior = prior_weight(names.col("lambda", "model"))
    inner = (exp.select(exp.Column(this=exp.Star(), table=names.ident("p")), exp.alias_(prior, "prior", quoted=True), *weights)
             .from_(names.model_pairs_table(entity).as_("p", quoted=True)).join(names.model_table(entity).as_("model", quoted=True)))
    total = _sum([names.col("prior"), *(names.col(f"w_{c.name}") for c in model.compare)])
    scored = exp.select(exp.Star(), exp.alias_(total, "match_weight", quoted=True)).from_(
        inner.subquery(names.ident("w"), copy=False))
    final = exp.select(exp.Star(), exp.alias_(_probability(names.col("match_weight"), base="2"), "probability", quoted=True)
                       ).from_(scored.subquery(names.ident("s"), copy=False))
    return _temporary(names.model_scores_table(entity), final)


__all__ = ["compile_estimate", "compile_scores", "compile_u", "layout", "prior_weight", "union"]
