"""Fidelity of the field casts (``type: integer``, ``decimal``, ``boolean``): never a changed value.

Each text goes through the SQL ferry compiles for a field of that type (``sqlgen.casts``:
the typed value and the reject rules) and through a reference in plain Python: ``int`` and
``decimal.Decimal`` arithmetic (a value fits DECIMAL(p, s) when it is below 10**(p-s) and a
whole number of 10**-s), and the boolean words. Either both give the same value, or both
reject it with the same rules.

DuckDB's own TRY_CAST, which ferry used before, fails this: it rounds '1.5' to the integer 2
and '12.34567' to 12.3457, and reads '1e3', '0x10' and '1_000' as numbers
(``test_duckdb_try_cast_would_change_values`` keeps that on record).

Corpus: 61 written integers, 62 decimals (PL, DE, FR, UA, CH and EN exports seen in
the plain form or not) under 8 precisions and scales, 33 booleans; plus hypothesis:
up to 2,400 generated numbers (40 examples of up to 60) and 2,400 number-like strings.
"""

from __future__ import annotations

import decimal
from decimal import Decimal

import duckdb
from hypothesis import example, given, settings, strategies as st
from sqlglot import exp

from compiler.errors import Span
from compiler.model import Field
from compiler.sqlgen.casts import cast_failures, typed_value

CON = duckdb.connect()
#: What DuckDB's numeric cast skips around a value, and so ferry too.
BLANKS = " \t\n\r\v\f"
DIGITS = "0123456789"
BIGINT = (-2**63, 2**63 - 1)

Result = tuple[str | None, tuple[str, ...]]  # the value as text, and the rules that reject it


def field(type_: str, precision: int | None = None, scale: int | None = None) -> Field:
    if type_ == "decimal":
        precision, scale = precision or 18, 4 if scale is None else scale
    return Field("f", ("f",), type_, (), Span("t"), (Span("t"),), precision=precision, scale=scale)


def ferry(f: Field, inputs: list[str | None]) -> list[Result]:
    """Each input through the field's compiled cast: its typed value and the rules that reject it."""
    text = exp.column("v")
    failures = cast_failures(f, text)
    rules = exp.Array(expressions=[exp.Case().when(c, exp.Literal.string(r)) for c, r in failures])
    query = (exp.select(exp.alias_(typed_value(f, text), "value"), exp.alias_(rules, "rules"))
             .from_("(SELECT unnest($1::VARCHAR[]) AS v, unnest($2::BIGINT[]) AS i)").order_by("i"))
    rows = CON.execute(query.sql(dialect="duckdb"), [inputs, list(range(len(inputs)))]).fetchall()
    return [(_text(value), tuple(r for r in rules if r is not None)) for value, rules in rows]


def _text(value: object) -> str | None:
    """DuckDB's value as the reference writes it (DuckDB's own VARCHAR of DECIMAL(4, 4) is '.5000')."""
    return None if value is None else str(value).lower() if isinstance(value, bool) else str(value)


# The reference ---------------------------------------------------------------------------------
def _plain(text: str, fraction: bool) -> bool:
    """Optional sign, ASCII digits, and (for decimals) optionally '.' and digits."""
    body = text[1:] if text[:1] in ("+", "-") else text
    whole, point, frac = body.partition(".") if fraction else (body, "", "")
    ok = lambda part: bool(part) and all(c in DIGITS for c in part)  # noqa: E731
    return ok(whole) and (not point or ok(frac))


def reference(f: Field, value: str | None) -> Result:
    if value is None:
        return None, ()
    text = value.strip(BLANKS)
    if f.type == "integer":
        if not _plain(text, fraction=False):
            return None, ("invalid_integer",)
        number = int(text)
        return (str(number), ()) if BIGINT[0] <= number <= BIGINT[1] else (None, ("integer_overflow",))
    if f.type == "decimal":
        if not _plain(text, fraction=True):
            return None, ("invalid_decimal",)
        with decimal.localcontext(decimal.Context(prec=200)):
            number = Decimal(text)
            step = Decimal(1).scaleb(-f.scale)
            rules = tuple(rule for rule, fails in (
                ("decimal_overflow", abs(number) >= Decimal(10) ** (f.precision - f.scale)),
                ("decimal_rounding", number % step != 0)) if fails)
            exact = number.quantize(step)  # no change of value: only the digits after the point
            return (None, rules) if rules else (str(exact.copy_abs() if exact.is_zero() else exact), ())
    if f.type == "boolean":
        word = text.lower()
        if word in ("true", "t", "yes", "y", "1"):
            return "true", ()
        return ("false", ()) if word in ("false", "f", "no", "n", "0") else (None, ("invalid_boolean",))
    if f.type in ("date", "timestamp"):
        return _reference_time(f.type, text)
    raise AssertionError(f.type)


def _reference_time(kind: str, text: str) -> Result:
    """ISO only, as datetime reads it, with a 4-digit year from 1, no zone; a timestamp may be a plain
    date (midnight). Anything else would be a guess: the date/timestamp transforms read other forms."""
    import datetime as dt
    import re

    date_part = r"\d{4}-\d{2}-\d{2}"
    time_part = r"(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?" if kind == "timestamp" else ""
    rule = f"invalid_{kind}"
    if not re.fullmatch(date_part + time_part, text, flags=re.ASCII) or text.startswith("0000"):
        return None, (rule,)
    try:
        value = dt.datetime.fromisoformat(text) if kind == "timestamp" else dt.date.fromisoformat(text)
    except ValueError:
        return None, (rule,)
    return str(value), ()


def check(f: Field, inputs: list[str | None]) -> None:
    got, want = ferry(f, inputs), [reference(f, v) for v in inputs]
    wrong = [f"{v!r}: ferry {g}, reference {w}" for v, g, w in zip(inputs, got, want) if g != w]
    assert not wrong, f"{f.type}({f.precision}, {f.scale}):\n" + "\n".join(wrong)


# Integers --------------------------------------------------------------------------------------
INTEGERS = [
    "7", "-7", "+7", "007", "-0", " 7 ", "\t7\n", "\v7\f", "1.5", "1.0", "1.", ".5", "-1.5", "2.5", "1e3", "1E3",
    "0x10", "0X10", "0b11", "0o7", "1_000", "1__0", "_1", "1 000", "1,000", "1.000", "1'000", "\u00a07", "7\u202f",
    "9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
    "99999999999999999999999", "", "  ", "+", "-", "+-1", "--1", "١٢٣", "１２", "nan", "inf", "Infinity", "12abc",
    "12 PLN", "zł 12", "(12)", "12-", "−12", "٣", "1\u200b2", "0", "00", "-00", "+0", "12\n3", "12e0", "0.0", None,
]


def test_integers():
    check(field("integer"), INTEGERS)


# Decimals --------------------------------------------------------------------------------------
DECIMALS = [
    "1234.50", "-1234.50", "+0.5", "0.5", ".5", "5.", "12.34567", "12.34560000", "12.3456", "-12.34565", "1e3",
    "1E-3", "1.5e2", "0x10", "1_000.5", "1 234.50", "1,234.50", "1.234,50", "1234,50", "1'234.50", "12,50 zł",
    "€ 12.50", "$1,234.50", "1\u00a0234,56", "1.234.567,89", "12 грн", "CHF 12.50", " 12.5 ", "\t-12.5\n",
    "\u00a012.5", "99999999999999.9999", "100000000000000", "99999999999999.99995", "-99999999999999.9999",
    "0000000000000000000000001.5", "1.50000000000000000000000000000000000000000", "0.00001", "0.0000", "-0.0",
    "", " ", "+", "-", ".", "-.5", "+.5", "1..5", "1.2.3", "NaN", "inf", "-Infinity", "١٫٥", "１.５", "12abc",
    "(12.50)", "12.50-", "−12.5", "12.5\u202f", "00.000", "123456789012345678901234567890", "12.3456789", None,
]


@given(st.sampled_from([(18, 4), (12, 2), (5, 0), (4, 4), (38, 10), (38, 0), (1, 0), (20, 6)]))
@example((18, 4))
@settings(max_examples=20, deadline=None)
def test_decimals(digits):
    check(field("decimal", *digits), DECIMALS)


def test_the_issue_cases():
    """Issue 12: '12,34567' (after the decimal transform, '12.34567') was rounded to 12.3457."""
    assert ferry(field("decimal"), ["12.34567", "12.34560", "100000000000000", "1.5"]) == [
        (None, ("decimal_rounding",)), ("12.3456", ()), (None, ("decimal_overflow",)), ("1.5000", ())]
    assert ferry(field("decimal", 12, 2), ["12.345", "9999999999.99", "10000000000", "123456789012.345"]) == [
        (None, ("decimal_rounding",)), ("9999999999.99", ()), (None, ("decimal_overflow",)),
        (None, ("decimal_overflow", "decimal_rounding"))]
    assert ferry(field("integer"), ["1.5", "1e3", " 7 ", "0x10", "1_000"]) == [
        (None, ("invalid_integer",)), (None, ("invalid_integer",)), ("7", ()), (None, ("invalid_integer",)),
        (None, ("invalid_integer",))]


def test_duckdb_try_cast_would_change_values():
    """Why ferry checks the plain form first: DuckDB's cast of text rounds and reads other notations."""
    row = CON.execute("SELECT TRY_CAST('1.5' AS BIGINT), TRY_CAST('1e3' AS BIGINT), TRY_CAST('0x10' AS BIGINT), "
                      "TRY_CAST('1_000' AS BIGINT), TRY_CAST('12.34567' AS DECIMAL(18, 4))").fetchone()
    assert row == (2, 1000, 16, 1000, Decimal("12.3457"))


PLAIN_NUMBERS = st.tuples(st.sampled_from(["", "-", "+"]), st.text(DIGITS, min_size=1, max_size=24),
                          st.one_of(st.none(), st.text(DIGITS, min_size=1, max_size=12)),
                          st.sampled_from(["", " ", "\t", " \n"]))


@given(st.sampled_from([(18, 4), (12, 2), (6, 0), (3, 3), (38, 12), (9, 1)]),
       st.lists(PLAIN_NUMBERS, min_size=1, max_size=60))
@example((12, 2), [("-", "000123", "4500", " ")])
@settings(max_examples=40, deadline=None)
def test_plain_numbers_keep_their_value_or_are_rejected(digits, numbers):
    """Numbers of every length around the limits: leading and trailing zeros, signs, blanks."""
    texts = [f"{pad}{sign}{whole}{'' if frac is None else '.' + frac}{pad}" for sign, whole, frac, pad in numbers]
    check(field("decimal", *digits), texts)
    check(field("integer"), texts)


NUMBERISH = st.text(alphabet="0123456789.,+-eExX_ \t'\u00a0abn", min_size=0, max_size=12)


@given(st.lists(NUMBERISH, min_size=1, max_size=60), st.sampled_from([(18, 4), (5, 2)]))
@settings(max_examples=40, deadline=None)
def test_number_like_text_agrees_with_the_reference(texts, digits):
    check(field("decimal", *digits), texts)
    check(field("integer"), texts)
    check(field("boolean"), texts)


# Booleans --------------------------------------------------------------------------------------
BOOLEANS = [
    "true", "TRUE", "True", "t", "T", "yes", "YES", "y", "Y", "1", "false", "False", "f", "F", "no", "NO", "n", "N",
    "0", " true ", "\tno\n", "on", "off", "tak", "nie", "ja", "01", "2", "-1", "1.0", "", "yes!", None,
]


def test_booleans():
    check(field("boolean"), BOOLEANS)


# Dates and timestamps --------------------------------------------------------------------------
DATES = [
    "2024-01-05", " 2024-01-05 ", "2024-02-29", "2023-02-29", "2024-02-30", "2024-13-01", "0000-01-01",
    "0001-01-01", "9999-12-31", "10000-01-01", "24-01-05", "2024-1-5", "2024/01/05", "05.01.2024",
    "2024-01-05 13:45", "2024-01-05T13:45:00", "20240105", "2024-01-05Z", "", "today", None,
]
TIMESTAMPS = [
    "2024-01-05 13:45", "2024-01-05 13:45:07", "2024-01-05T13:45:07.123456", "2024-01-05 13:45:07.1234567",
    "2024-01-05", " 2024-01-05 13:45 ", "2024-01-05 25:00", "2024-01-05 13:45+02", "2024-01-05 13:45:07Z",
    "2024-01-05 13:45:07+02:00", "24-01-05 13:45", "2024-01-05 1:45", "2024-01-05 13:45 PM", "", None,
]


def test_dates_and_timestamps_are_iso_only_and_never_lose_a_part():
    """DuckDB's cast would read '2024-01-05 13:45' as a date (dropping the time), '24-01-05' as the
    year 24, and drop a timestamp's offset: each of those is a reject here."""
    check(field("date"), DATES)
    check(field("timestamp"), TIMESTAMPS)
