"""How a fuzzy rule compares two rows: the compared text, what each row carries, and the score.

In:  a ``FuzzyRule`` and SQL text expressions (the rule's fields joined with a space).
Out: ``compared(text)``: the text as compared; ``prepared(rule, text)``: what one row carries
(its compared text, or its set of q-grams for ``jaccard``); ``score(rule, a, b)``: the pair's
similarity in [0, 1] from two rows' prepared values. All of it plain DuckDB SQL.

* **compared text**: ``_ferry.fold`` (``sqlgen.fold``), then ``lower``; a Greek final sigma
  ``ς`` becomes ``σ``, as Unicode case folding does, so ``ΟΔΟΣ`` and ``Οδός`` compare equal.
  Empty text is no value (it matches nothing).
* **jaro_winkler**: DuckDB's ``jaro_winkler_similarity`` over code points: the Jaro match
  window is ``max(len) // 2 - 1``, the prefix bonus is 0.1 per common leading character (at
  most 4), given only when the Jaro similarity is above 0.7 (Winkler's boost threshold), and
  half the transpositions are rounded *down* (an odd count scores a little higher than the
  textbook ``t / 2``). tests/fidelity/test_similarity.py pins all of this.
* **levenshtein**: ``1 - distance / length of the longer text``, both in code points.
* **jaccard**: ``|A ∩ B| / |A ∪ B|`` of the *sets* of the texts' q-grams (``q`` characters
  long, 2 by default, no padding); a text shorter than ``q`` is its own single q-gram, so
  two equal short texts score 1 and a short text never matches a longer one. Each row's
  q-grams are computed once (``prepared``), not once per pair.
"""

from __future__ import annotations

from sqlglot import exp

from compiler.model import FuzzyRule
from compiler.sqlgen import names
from compiler.sqlgen.fold import fold


def _lit(value: str | int) -> exp.Literal:
    return exp.Literal.string(value) if isinstance(value, str) else exp.Literal.number(value)


def compared(text: exp.Expression) -> exp.Expression:
    """The text as compared: folded, lower-case, final sigma as sigma; NULL when empty."""
    lowered = exp.Lower(this=fold(text))
    return exp.Nullif(this=exp.func("translate", lowered, _lit("ς"), _lit("σ"), dialect="duckdb"),
                      expression=_lit(""))


def grams(text: exp.Expression, q: int) -> exp.Expression:
    """The distinct q-grams of a non-empty text; the text itself when it is shorter than ``q``."""
    i = names.ident("_ferry_i")
    last = exp.Add(this=exp.Sub(this=exp.Length(this=text.copy()), expression=_lit(q)), expression=_lit(2))
    positions = exp.func("range", _lit(1), last, dialect="duckdb")  # 1 .. length - q + 1
    gram = exp.Substring(this=text.copy(), start=exp.column(i.copy()), length=_lit(q))
    every = exp.func("list_transform", positions, exp.Lambda(this=gram, expressions=[i]), dialect="duckdb")
    short = exp.LT(this=exp.Length(this=text.copy()), expression=_lit(q))
    return (exp.Case().when(short, exp.Array(expressions=[text.copy()]))
            .else_(exp.func("list_distinct", every, dialect="duckdb")))


def prepared(rule: FuzzyRule, text: exp.Expression) -> exp.Expression:
    """What one row carries into the pair comparison: its q-grams (jaccard) or its compared text."""
    return grams(text, rule.q) if rule.method == "jaccard" else text


def score(rule: FuzzyRule, a: exp.Expression, b: exp.Expression) -> exp.Expression:
    """Similarity of two rows in [0, 1], from their ``prepared`` values."""
    return similarity(rule.method, a, b)


def similarity(method: str, a: exp.Expression, b: exp.Expression) -> exp.Expression:
    """``score`` by the method's name (a match model's levels name theirs: ``sqlgen.comparisons``)."""
    if method == "levenshtein":
        distance = exp.func("levenshtein", a, b, dialect="duckdb")
        longer = exp.Greatest(this=exp.Length(this=a.copy()), expressions=[exp.Length(this=b.copy())])
        return exp.Sub(this=_lit(1), expression=exp.Div(this=exp.cast(distance, "DOUBLE"), expression=longer))
    if method == "jaccard":
        # |A ∩ B| of two distinct lists as A's items that B contains: ~7x faster than list_intersect.
        x = names.ident("_ferry_x")
        inside = exp.Lambda(this=exp.func("list_contains", b.copy(), exp.column(x.copy()), dialect="duckdb"),
                            expressions=[x])
        shared = exp.ArraySize(this=exp.func("list_filter", a.copy(), inside, dialect="duckdb"))
        union = exp.Sub(this=exp.Add(this=exp.ArraySize(this=a.copy()),
                                     expression=exp.ArraySize(this=b.copy())),
                        expression=shared.copy())
        return exp.Div(this=exp.cast(shared, "DOUBLE"), expression=exp.paren(union))
    return exp.func("jaro_winkler_similarity", a, b, dialect="duckdb")


__all__ = ["compared", "grams", "prepared", "score", "similarity"]
