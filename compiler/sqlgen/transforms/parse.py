"""Parsing transforms: dates, booleans and Polish/EU tax ids. Each can reject (locale decimals: ``amounts``)."""

from __future__ import annotations

from typing import Any, Mapping

from sqlglot import exp

from compiler.sqlgen.transforms.base import (Applied, digit_at, failing, fn, full_match, lit, regexp_replace_all,
                                             weighted_sum_mod11)


def _parse_time(value: exp.Expression, formats: tuple[str, ...], out: str, rule: str) -> Applied:
    parsed = fn("try_strptime", value.copy(), exp.Array(expressions=[lit(f) for f in formats]))
    as_text = fn("strftime", parsed, lit(out))
    return failing(value, as_text, exp.not_(exp.Is(this=parsed.copy(), expression=exp.null())), rule)


def date(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """``date: ['%d.%m.%Y', '%Y-%m-%d']``: the first format that parses wins, so the list
    order resolves day/month ambiguity. Output is ISO ``YYYY-MM-DD``."""
    return _parse_time(exp.Trim(this=value), tuple(args["formats"]), "%Y-%m-%d", "invalid_date")


def timestamp(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    return _parse_time(exp.Trim(this=value), tuple(args["formats"]), "%Y-%m-%d %H:%M:%S", "invalid_timestamp")


TRUE_WORDS = ("true", "t", "yes", "y", "1", "tak", "ja", "j", "oui", "o", "так", "да")
FALSE_WORDS = ("false", "f", "no", "n", "0", "nie", "nein", "non", "ні", "нет")


def boolean(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """``boolean`` (tak/nie, ja/nein, oui/non, так/ні, yes/no, 1/0...) or
    ``boolean: {true: [...], false: [...]}``. Case-insensitive; output 'true' / 'false'."""
    true_words = tuple(w.lower() for w in args.get("true", TRUE_WORDS))
    false_words = tuple(w.lower() for w in args.get("false", FALSE_WORDS))
    word = exp.Lower(this=exp.Trim(this=value.copy()))
    parsed = (exp.Case()
              .when(exp.In(this=word.copy(), expressions=[lit(w) for w in true_words]), lit("true"))
              .when(exp.In(this=word.copy(), expressions=[lit(w) for w in false_words]), lit("false")))
    ok = exp.In(this=word.copy(), expressions=[lit(w) for w in true_words + false_words])
    return failing(value, parsed, ok, "invalid_boolean")


# Tax ids ---------------------------------------------------------------------------------------


def _tax_digits(value: exp.Expression) -> exp.Expression:
    """'PL 123-456-32-18' -> '1234563218': a two-letter country prefix and separators go."""
    upper_alnum = regexp_replace_all(exp.Upper(this=value), "[^A-Z0-9]", "")
    return regexp_replace_all(upper_alnum, "^[A-Z]{2}([0-9]+)$", r"\1")


def nip(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """Polish NIP: 10 digits, weights 6,5,7,2,3,4,5,6,7, sum mod 11 equals the last digit."""
    d = _tax_digits(value)
    ok = exp.and_(full_match(d, "[0-9]{10}"),
                  exp.EQ(this=weighted_sum_mod11(d, (6, 5, 7, 2, 3, 4, 5, 6, 7)), expression=digit_at(d, 10)))
    return failing(value, d.copy(), ok, "invalid_nip")


def regon(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """Polish REGON: 9 digits (weights 8,9,2,3,4,5,6,7) or 14 (2,4,8,5,0,9,7,3,6,1,2,4,8); mod 11, 10 -> 0."""
    d = _tax_digits(value)

    def check(weights: tuple[int, ...], last: int) -> exp.Expression:
        return exp.EQ(this=exp.Mod(this=exp.paren(weighted_sum_mod11(d, weights)), expression=exp.Literal.number(10)),
                      expression=digit_at(d, last))

    ok = exp.or_(
        exp.and_(full_match(d, "[0-9]{9}"), check((8, 9, 2, 3, 4, 5, 6, 7), 9)),
        exp.and_(full_match(d, "[0-9]{14}"), check((2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8), 14)),
    )
    return failing(value, d.copy(), ok, "invalid_regon")


def vat_id(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """EU VAT number without its country prefix and separators: 'PL 123-456-32-18' -> '1234563218'."""
    upper_alnum = regexp_replace_all(exp.Upper(this=value), "[^A-Z0-9]", "")
    return Applied(regexp_replace_all(upper_alnum, "^[A-Z]{2}([0-9A-Z]+)$", r"\1"))
