"""Parsing transforms: dates, locale decimals, booleans and Polish/EU tax ids. Each can reject."""

from __future__ import annotations

from typing import Any, Mapping

from sqlglot import exp

from compiler.sqlgen.transforms.base import Applied, _digit, _failing, _fn, _matches, _regexp_replace, _s, _weighted_sum

def _parse_time(value: exp.Expression, formats: tuple[str, ...], out: str, rule: str) -> Applied:
    parsed = _fn("try_strptime", value.copy(), exp.Array(expressions=[_s(f) for f in formats]))
    as_text = _fn("strftime", parsed, _s(out))
    return _failing(value, as_text, exp.not_(exp.Is(this=parsed.copy(), expression=exp.null())), rule)


def date(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """``date: ['%d.%m.%Y', '%Y-%m-%d']``: the first format that parses wins, so the list
    order resolves day/month ambiguity. Output is ISO ``YYYY-MM-DD``."""
    return _parse_time(exp.Trim(this=value), tuple(args["formats"]), "%Y-%m-%d", "invalid_date")


def timestamp(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    return _parse_time(exp.Trim(this=value), tuple(args["formats"]), "%Y-%m-%d %H:%M:%S", "invalid_timestamp")


def decimal(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """``decimal: {separator: ','}``: '1 234,50', '1.234,50' -> '1234.50'.

    Everything that is not a digit, a sign or the decimal separator is a thousands
    separator or currency noise and is dropped; the result must be a plain number.
    """
    separator = args.get("separator", ".")
    kept = _regexp_replace(exp.Trim(this=value), rf"[^0-9{'.' if separator == '.' else ','}+-]", "")
    normal = exp.Replace(this=kept, expression=_s(separator), replacement=_s(".")) if separator != "." else kept
    return _failing(value, normal, _matches(normal, r"[+-]?[0-9]+(\.[0-9]+)?"), "invalid_decimal")


TRUE_WORDS = ("true", "t", "yes", "y", "1", "tak", "ja", "j", "oui", "o", "так", "да")
FALSE_WORDS = ("false", "f", "no", "n", "0", "nie", "nein", "non", "ні", "нет")


def boolean(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """``boolean`` (tak/nie, ja/nein, oui/non, так/ні, yes/no, 1/0...) or
    ``boolean: {true: [...], false: [...]}``. Case-insensitive; output 'true' / 'false'."""
    true_words = tuple(w.lower() for w in args.get("true", TRUE_WORDS))
    false_words = tuple(w.lower() for w in args.get("false", FALSE_WORDS))
    word = exp.Lower(this=exp.Trim(this=value.copy()))
    parsed = (exp.Case()
              .when(exp.In(this=word.copy(), expressions=[_s(w) for w in true_words]), _s("true"))
              .when(exp.In(this=word.copy(), expressions=[_s(w) for w in false_words]), _s("false")))
    ok = exp.In(this=word.copy(), expressions=[_s(w) for w in true_words + false_words])
    return _failing(value, parsed, ok, "invalid_boolean")


# Tax ids ---------------------------------------------------------------------------------------


def _tax_digits(value: exp.Expression) -> exp.Expression:
    """'PL 123-456-32-18' -> '1234563218': a two-letter country prefix and separators go."""
    upper_alnum = _regexp_replace(exp.Upper(this=value), "[^A-Z0-9]", "")
    return _regexp_replace(upper_alnum, "^[A-Z]{2}([0-9]+)$", r"\1")


def nip(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """Polish NIP: 10 digits, weights 6,5,7,2,3,4,5,6,7, sum mod 11 equals the last digit."""
    d = _tax_digits(value)
    ok = exp.and_(_matches(d, "[0-9]{10}"),
                  exp.EQ(this=_weighted_sum(d, (6, 5, 7, 2, 3, 4, 5, 6, 7)), expression=_digit(d, 10)))
    return _failing(value, d.copy(), ok, "invalid_nip")


def regon(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """Polish REGON: 9 digits (weights 8,9,2,3,4,5,6,7) or 14 (2,4,8,5,0,9,7,3,6,1,2,4,8); mod 11, 10 -> 0."""
    d = _tax_digits(value)

    def check(weights: tuple[int, ...], last: int) -> exp.Expression:
        return exp.EQ(this=exp.Mod(this=exp.paren(_weighted_sum(d, weights)), expression=exp.Literal.number(10)),
                      expression=_digit(d, last))

    ok = exp.or_(
        exp.and_(_matches(d, "[0-9]{9}"), check((8, 9, 2, 3, 4, 5, 6, 7), 9)),
        exp.and_(_matches(d, "[0-9]{14}"), check((2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8), 14)),
    )
    return _failing(value, d.copy(), ok, "invalid_regon")


def vat_id(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """EU VAT number without its country prefix and separators: 'PL 123-456-32-18' -> '1234563218'."""
    upper_alnum = _regexp_replace(exp.Upper(this=value), "[^A-Z0-9]", "")
    return Applied(_regexp_replace(upper_alnum, "^[A-Z]{2}([0-9A-Z]+)$", r"\1"))
