"""What every transform builder returns, and the SQL helpers they share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from sqlglot import exp


@dataclass(frozen=True, slots=True)
class Failure:
    """One more way a step can reject a row: where ``invalid`` holds, with ``rule``. The reason
    shows ``given`` (None: the step's input), names ``column`` (None: the field's columns) and
    says ``detail`` (None: nothing more; ``phone``'s candidate numbers)."""

    invalid: exp.Expression
    rule: str
    given: exp.Expression | None = None
    column: str | None = None
    detail: exp.Expression | None = None


@dataclass(frozen=True, slots=True)
class Applied:
    value: exp.Expression
    invalid: exp.Expression | None = None  # true when the input cannot be transformed
    rule: str | None = None
    also: tuple[Failure, ...] = ()  # further reasons, for a step that can fail in several ways

    @property
    def failures(self) -> tuple[Failure, ...]:
        first = (Failure(self.invalid, self.rule or ""),) if self.invalid is not None else ()
        return first + self.also


@dataclass(frozen=True, slots=True)
class RowInput:
    """A second input a transform reads from the staged row (``phone``'s ``region_from``): its
    expression, and the source column(s) that reject reasons name for it."""

    value: exp.Expression
    column: str


Builder = Callable[[exp.Expression, Mapping[str, Any]], Applied]


def lit(text: str) -> exp.Literal:
    return exp.Literal.string(text)


def regexp_replace_all(value: exp.Expression, pattern: str, replacement: str) -> exp.Expression:
    return exp.RegexpReplace(this=value, expression=lit(pattern), replacement=lit(replacement), modifiers=lit("g"))


def failing(value: exp.Expression, parsed: exp.Expression, ok: exp.Expression, rule: str) -> Applied:
    """A parse: ``parsed`` where ``ok`` holds, and invalid where the input has a value but is not ok."""
    invalid = exp.and_(exp.not_(exp.Is(this=value.copy(), expression=exp.null())), exp.not_(exp.paren(ok.copy())))
    return Applied(exp.Case().when(ok, parsed), invalid, rule)


def fn(name: str, *args: exp.Expression) -> exp.Expression:
    """``name(args)``, the arguments taken as they are: a caller passes a fresh tree, or a ``.copy()``
    of one it uses again (tests/unit/test_tree_sharing.py)."""
    return exp.func(name, *args, dialect="duckdb", copy=False)


# sqlglot's builders copy their arguments by default; these take them as built. A transform passes
# each a fresh tree, or a ``.copy()`` of one it uses again (tests/unit/test_tree_sharing.py).


def and_(*conditions: exp.Expression) -> exp.Expression:
    return exp.and_(*conditions, copy=False)


def or_(*conditions: exp.Expression) -> exp.Expression:
    return exp.or_(*conditions, copy=False)


def not_(condition: exp.Expression) -> exp.Expression:
    return exp.not_(condition, copy=False)


def paren(value: exp.Expression) -> exp.Expression:
    return exp.paren(value, copy=False)


def digit_at(value: exp.Expression, position: int) -> exp.Expression:
    """The digit at ``position``; TRY_CAST because DuckDB evaluates both sides of an OR,
    so the 14-digit REGON check also runs on 9-digit values."""
    return exp.TryCast(this=exp.Substring(this=value.copy(), start=exp.Literal.number(position),
                                          length=exp.Literal.number(1)), to=exp.DataType.build("INT"))


def weighted_sum_mod11(value: exp.Expression, weights: tuple[int, ...]) -> exp.Expression:
    terms = [exp.Mul(this=digit_at(value, i + 1), expression=exp.Literal.number(w)) for i, w in enumerate(weights) if w]
    total = terms[0]
    for term in terms[1:]:
        total = exp.Add(this=total, expression=term)
    return exp.Mod(this=exp.paren(total), expression=exp.Literal.number(11))


def full_match(value: exp.Expression, pattern: str) -> exp.Expression:
    return fn("regexp_full_match", value.copy(), lit(pattern))
