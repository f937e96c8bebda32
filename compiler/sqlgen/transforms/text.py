"""Text transforms: whitespace, case, splitting, replacing, defaults and value maps."""

from __future__ import annotations

from typing import Any, Mapping

from sqlglot import exp

from compiler.sqlgen.transforms.base import Applied, failing, lit, regexp_replace_all


def trim(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    return Applied(exp.Trim(this=value))


def squish(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    return Applied(exp.Trim(this=regexp_replace_all(value, r"\s+", " ")))


def lower(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    return Applied(exp.Lower(this=value))


def upper(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    return Applied(exp.Upper(this=value))


#: Where a word starts: after whitespace, a dash, a quote, an opening bracket or an apostrophe.
_WORD_BREAKS = r"\p{Z}\s\p{Pd}\p{Ps}\p{Pi}\p{Pf}'\"\x{02BC}"
#: Apostrophes: an apostrophe followed by a Cyrillic letter is inside a word (Ukrainian м'ясо, Мар'яна).
_APOSTROPHES = r"'\x{2018}\x{2019}\x{02BC}"
#: A word (a run of non-breaks, apostrophes before Cyrillic letters included) or one break character.
_TOKENS = rf"(?s)(?:[^{_WORD_BREAKS}]|[{_APOSTROPHES}]\p{{Cyrillic}})+|."


def title(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """Each word capitalised, the rest lower case: 'jean-PIERRE łęcki' -> 'Jean-Pierre Łęcki',
    "o'brien (warszawa)" -> "O'Brien (Warszawa)", 'МАРʼЯНА' -> 'Марʼяна'.

    Unicode-correct (DuckDB's upper/lower). A word starts the text or follows whitespace, a
    dash, a quote (' ’ " “ „ « »...), an opening bracket, or an apostrophe that is not
    followed by a Cyrillic letter (Ukrainian uses the apostrophe inside words).
    """
    token = exp.to_identifier("_ferry_word", quoted=True)
    first = exp.Upper(this=exp.Substring(this=token.copy(), start=exp.Literal.number(1), length=exp.Literal.number(1)))
    rest = exp.Substring(this=token.copy(), start=exp.Literal.number(2))
    each = exp.Lambda(this=exp.DPipe(this=first, expression=rest, safe=True), expressions=[token.copy()])
    tokens = exp.func("regexp_extract_all", exp.Lower(this=value), lit(_TOKENS), dialect="duckdb")
    return Applied(exp.func("array_to_string", exp.Transform(this=tokens, expression=each), lit(""), dialect="duckdb"))


def split(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """``split: {part: first}``: 'Anna Maria Nowak' -> Anna (first), Nowak (last), 'Maria Nowak'
    (rest), 'Anna Maria' (init). Without a ``separator`` words are split on runs of whitespace
    and rejoined with one space."""
    separator = args.get("separator")
    trimmed = exp.Trim(this=value)
    words = exp.func("string_split", trimmed, lit(separator), dialect="duckdb") if separator else \
        exp.func("regexp_split_to_array", trimmed, lit(r"\s+"), dialect="duckdb")
    separator = separator or " "
    count = exp.ArraySize(this=words.copy())
    part = args["part"]
    if part in ("first", "last"):
        index = exp.Literal.number(1) if part == "first" else exp.Neg(this=exp.Literal.number(1))
        return Applied(exp.Bracket(this=words, expressions=[index], offset=1))
    sliced = exp.func("list_slice", words, exp.Literal.number(2), count, dialect="duckdb") if part == "rest" else \
        exp.func("list_slice", words, exp.Literal.number(1), exp.Sub(this=count, expression=exp.Literal.number(1)),
                 dialect="duckdb")
    return Applied(exp.Nullif(this=exp.func("array_to_string", sliced, lit(separator), dialect="duckdb"),
                              expression=lit("")))


def digits(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    return Applied(regexp_replace_all(value, "[^0-9]", ""))


def blank_as_null(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    return Applied(exp.Nullif(this=exp.Trim(this=value), expression=lit("")))


def replace(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """``replace: {pattern: '^\\+48', with: ''}``: RE2 regular expression, every match."""
    return Applied(regexp_replace_all(value, args["pattern"], args.get("with", "")))


def default(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """``default: 'PL'``: the value when the field is empty."""
    return Applied(exp.Coalesce(this=exp.Nullif(this=value, expression=lit("")), expressions=[lit(args["value"])]))


def map_values(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """``map: {values: {nowa: new, wygrana: won}, default: other, strict: false}``.

    An unmapped value takes ``default`` if one is given; otherwise it is kept, or,
    with ``strict: true``, rejects the row (rule ``unmapped_value``).
    """
    case = exp.Case(this=value.copy())
    for old, new in args["values"]:
        case = case.when(lit(old), lit(new) if new is not None else exp.null())
    keys = exp.In(this=value.copy(), expressions=[lit(old) for old, _ in args["values"]])
    if "default" in args:
        fallback = lit(args["default"]) if args["default"] is not None else exp.null()
        return Applied(case.else_(fallback))
    if args.get("strict"):
        return failing(value, case, keys, "unmapped_value")
    return Applied(case.else_(value.copy()))
