"""How a match model compares two records: per comparison, what each row carries and the pair's level.

In:  an ``Entity`` and one ``Comparison`` of its ``dedup.model``.
Out: ``row_columns``: the columns one row carries (computed once per row, not once per pair);
``level``: the pair's level as a number, from the columns of its two rows (aliases ``l``
and ``r``); ``labels``: what each number means. Plain DuckDB SQL.

Levels are numbered as reports show them: 0 is ``null`` (either side has no value: no
evidence either way), 1..K the declared levels in order (the first that holds), K+1 ``else``.

* What is compared: the field's value for ``exact`` and ``within`` on a typed field (a date, a
  number); otherwise the text as fuzzy rules compare it (``similarity.compared``: accents
  folded, lower-case, empty as no value), the fields of a multi-field comparison joined with a
  space first.
* ``jaro_winkler``, ``levenshtein``, ``jaccard``: ``similarity.similarity`` at or above the
  threshold (jaccard over each row's q-grams, computed once per row).
* ``edits: n``: ``levenshtein`` at most n (insertions, deletions, substitutions: a transposition is
  two; DuckDB's ``damerau_levenshtein`` costs ~8x more per pair).
* ``within: d``: ``|l - r| <= d``; dates and timestamps in days.
* ``swapped: f``: one side's text equals the other side's text of field ``f`` (compared the same
  way), either way round; each row carries ``f``'s compared text once.
* ``transposed: day_month``: two dates of one year, the day of each the month of the other.
* ``frequency``: each row also carries its value's share of the rows that have one
  (``tf``), which the model uses on the exact level, and with ``frequency: all`` (the larger of
  the two rows' shares) on the similarity levels (``sqlgen.linkmodel``, ``sqlgen.estimate``).
"""

from __future__ import annotations

from sqlglot import exp

from compiler.matchmodel import Comparison, Level
from compiler.model import Entity
from compiler.sqlgen import names, similarity

_TEXT_LEVELS = ("jaro_winkler", "levenshtein", "jaccard", "edits", "swapped")
_DATES = ("date", "timestamp")


def _lit(value: str | int | float) -> exp.Literal:
    return exp.Literal.string(value) if isinstance(value, str) else exp.Literal.number(value)


def typed(entity: Entity, comparison: Comparison) -> str | None:
    """The field type when the comparison is over one field that is not a string, else None."""
    if len(comparison.fields) != 1:
        return None
    field = entity.field(comparison.fields[0])
    return field.type if field is not None and field.type != "string" else None


def value_column(comparison: Comparison) -> str:
    return f"_ferry_v_{comparison.name}"


def _text_column(entity: Entity, comparison: Comparison) -> str:
    return f"_ferry_t_{comparison.name}" if typed(entity, comparison) else value_column(comparison)


def _grams_column(comparison: Comparison, q: int) -> str:
    return f"_ferry_q{q}_{comparison.name}"


def swapped_column(comparison: Comparison, other: str) -> str:
    return f"_ferry_s_{comparison.name}_{other}"


def tf_column(comparison: Comparison) -> str:
    return f"_ferry_tf_{comparison.name}"


def _text(entity: Entity, comparison: Comparison) -> exp.Expression:
    parts = [exp.cast(names.col(f), "VARCHAR") for f in comparison.fields]
    joined = parts[0] if len(parts) == 1 else exp.func("concat_ws", _lit(" "), *parts, dialect="duckdb")
    return similarity.compared(joined)


def row_columns(entity: Entity, comparison: Comparison) -> list[tuple[str, exp.Expression]]:
    """(column, expression over the checked row): the value one row carries into its pairs."""
    text = _text(entity, comparison)
    out = [(value_column(comparison), names.col(comparison.fields[0]) if typed(entity, comparison) else text)]
    if typed(entity, comparison) and any(level.kind in _TEXT_LEVELS for level in comparison.levels):
        out.append((_text_column(entity, comparison), text.copy()))
    for other in sorted({level.other for level in comparison.levels if level.kind == "swapped"}):
        out.append((swapped_column(comparison, other),
                    similarity.compared(exp.cast(names.col(other), "VARCHAR"))))
    return out


def derived_columns(entity: Entity, comparison: Comparison) -> list[tuple[str, exp.Expression]]:
    """(column, expression over ``row_columns``): each row's q-grams, for jaccard levels."""
    return [(_grams_column(comparison, q), similarity.grams(names.col(_text_column(entity, comparison)), q))
            for q in sorted({level.q for level in comparison.levels if level.kind == "jaccard"})]


def _holds(entity: Entity, comparison: Comparison, level: Level, l: str, r: str) -> exp.Expression:
    """The level's condition on a pair whose sides both have a value."""
    if level.kind == "exact":
        return exp.EQ(this=names.col(value_column(comparison), l), expression=names.col(value_column(comparison), r))
    if level.kind == "transposed":
        a, b = names.col(value_column(comparison), l), names.col(value_column(comparison), r)
        part = lambda unit, v: exp.func("date_part", _lit(unit), v.copy(), dialect="duckdb")  # noqa: E731
        return exp.and_(exp.EQ(this=part("year", a), expression=part("year", b)),
                        exp.EQ(this=part("month", a), expression=part("day", b)),
                        exp.EQ(this=part("day", a), expression=part("month", b)))
    if level.kind == "within":
        a, b = names.col(value_column(comparison), l), names.col(value_column(comparison), r)
        kind = typed(entity, comparison)
        gap = (exp.func("date_diff", _lit("day"), a, b, dialect="duckdb") if kind in _DATES
               else exp.Sub(this=a, expression=b))
        return exp.LTE(this=exp.Abs(this=gap), expression=_lit(level.value))
    text = _text_column(entity, comparison)
    if level.kind == "swapped":
        other = swapped_column(comparison, level.other)
        return exp.or_(exp.EQ(this=names.col(text, l), expression=names.col(other, r)),
                       exp.EQ(this=names.col(other, l), expression=names.col(text, r)))
    if level.kind == "edits":
        distance = exp.func("levenshtein", names.col(text, l), names.col(text, r), dialect="duckdb")
        return exp.LTE(this=distance, expression=_lit(int(level.value)))
    column = _grams_column(comparison, level.q) if level.kind == "jaccard" else text
    score = similarity.similarity(level.kind, names.col(column, l), names.col(column, r))
    return exp.GTE(this=score, expression=_lit(level.value))


def _score(entity: Entity, comparison: Comparison, level: Level, l: str, r: str) -> exp.Expression | None:
    """The similarity a ``jaro_winkler``/``levenshtein``/``jaccard`` level holds at a threshold of (None: another kind)."""
    if level.kind not in ("jaro_winkler", "levenshtein", "jaccard"):
        return None
    column = _grams_column(comparison, level.q) if level.kind == "jaccard" else _text_column(entity, comparison)
    return similarity.similarity(level.kind, names.col(column, l), names.col(column, r))


def level(entity: Entity, comparison: Comparison, l: str = "l", r: str = "r") -> exp.Expression:
    """The pair's level: 0 null, 1..K the first declared level that holds, K+1 else.

    When the last levels are thresholds of one similarity (``jaro_winkler: 0.92``, then ``0.8``),
    it is computed once per pair and its thresholds read in a lambda (a CASE would compute it
    again for each threshold the pair misses): the same levels, in half the time at two."""
    value = value_column(comparison)
    case = exp.Case().when(exp.or_(exp.Is(this=names.col(value, l), expression=exp.null()),
                                   exp.Is(this=names.col(value, r), expression=exp.null())), _lit(0))
    levels, tail = list(comparison.levels), len(comparison.levels)
    last = _score(entity, comparison, levels[-1], l, r)
    while last is not None and tail > 0 and _score(entity, comparison, levels[tail - 1], l, r) == last:
        tail -= 1
    tail = tail if len(levels) - tail >= 2 else len(levels)  # one threshold: computed once anyway
    for number, lv in enumerate(levels[:tail], start=1):
        case = case.when(_holds(entity, comparison, lv, l, r), _lit(number))
    otherwise = _lit(len(levels) + 1)
    if tail < len(levels):
        s = names.ident("_ferry_s")
        inner = exp.Case()
        for number, lv in enumerate(levels[tail:], start=tail + 1):
            inner = inner.when(exp.GTE(this=exp.column(s.copy()), expression=_lit(lv.value)), _lit(number))
        pick = exp.Lambda(this=inner.else_(otherwise), expressions=[s])
        otherwise = exp.Bracket(this=exp.func("list_transform", exp.Array(expressions=[last]), pick),
                                expressions=[_lit(1)], offset=1)
    return case.else_(otherwise)


def labels(comparison: Comparison) -> tuple[str, ...]:
    """Each level's name by its number: ``null``, the declared levels, ``else``."""
    return ("null", *(lv.label for lv in comparison.levels), "else")


__all__ = ["derived_columns", "labels", "level", "row_columns", "swapped_column", "tf_column", "typed", "value_column"]
