"""Field transforms: name -> builder from a text expression to a text expression.

``TRANSFORMS`` is the whole registry. Each builder gets the value so far and
the transform's arguments and returns a new expression; the compiled SQL is
the builders composed in the order the spec lists them. Arguments are spec
values and enter the tree only as literals.
"""

from __future__ import annotations

from typing import Callable, Mapping

from sqlglot import exp

Builder = Callable[[exp.Expression, Mapping[str, object]], exp.Expression]


def _regexp_replace(value: exp.Expression, pattern: str, replacement: str) -> exp.Expression:
    return exp.RegexpReplace(this=value, expression=exp.Literal.string(pattern),
                             replacement=exp.Literal.string(replacement), modifiers=exp.Literal.string("g"))


def trim(value: exp.Expression, args: Mapping[str, object]) -> exp.Expression:
    return exp.Trim(this=value)


def squish(value: exp.Expression, args: Mapping[str, object]) -> exp.Expression:
    return exp.Trim(this=_regexp_replace(value, r"\s+", " "))


def lower(value: exp.Expression, args: Mapping[str, object]) -> exp.Expression:
    return exp.Lower(this=value)


def upper(value: exp.Expression, args: Mapping[str, object]) -> exp.Expression:
    return exp.Upper(this=value)


def digits(value: exp.Expression, args: Mapping[str, object]) -> exp.Expression:
    return _regexp_replace(value, "[^0-9]", "")


def blank_as_null(value: exp.Expression, args: Mapping[str, object]) -> exp.Expression:
    return exp.Nullif(this=exp.Trim(this=value), expression=exp.Literal.string(""))


TRANSFORMS: dict[str, Builder] = {
    "trim": trim,
    "squish": squish,
    "lower": lower,
    "upper": upper,
    "digits": digits,
    "blank_as_null": blank_as_null,
}
