"""Transforms, executed: the compiled SQL agrees with plain-Python reference parsers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
from hypothesis import example, given, settings, strategies as st
from sqlglot import exp

from compiler import functions
from compiler.sqlgen.transforms import TRANSFORMS

CON = functions.register(duckdb.connect())


def run(name: str, inputs: list[str | None], con: duckdb.DuckDBPyConnection = CON, **args) -> list[tuple[str | None, bool]]:
    """(output, rejected) for each input, through the transform's real SQL."""
    applied = TRANSFORMS[name](exp.column("v"), args)
    invalid = applied.invalid if applied.invalid is not None else exp.false()
    query = exp.select(exp.alias_(applied.value, "out"), exp.alias_(exp.func("coalesce", invalid, exp.false()), "bad")) \
        .from_(exp.Table(this=exp.Anonymous(this="unnest", expressions=[exp.Placeholder()]),
                         alias=exp.TableAlias(this=exp.to_identifier("t"), columns=[exp.to_identifier("v")])))
    return [tuple(r) for r in con.execute(query.sql(dialect="duckdb"), [inputs]).fetchall()]


# Dates -----------------------------------------------------------------------------------------
FORMATS = ["%d.%m.%Y", "%Y-%m-%d", "%m/%d/%Y"]


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31)), st.sampled_from(FORMATS))
@settings(max_examples=100, deadline=None)
def test_dates_parse_in_list_order(day, fmt):
    (out, bad), = run("date", [day.strftime(fmt)], formats=tuple(FORMATS))
    expected = next(dt.datetime.strptime(day.strftime(fmt), f).date() for f in FORMATS
                    if _parses(day.strftime(fmt), f))
    assert not bad and out == expected.isoformat()


def _parses(text: str, fmt: str) -> bool:
    try:
        dt.datetime.strptime(text, fmt)
        return True
    except ValueError:
        return False


def test_day_month_ambiguity_follows_the_list():
    assert run("date", ["03/04/2021"], formats=("%d/%m/%Y", "%m/%d/%Y")) == [("2021-04-03", False)]
    assert run("date", ["03/04/2021"], formats=("%m/%d/%Y", "%d/%m/%Y")) == [("2021-03-04", False)]
    assert run("date", ["31.02.2021", "soon", None, " 2021-01-05 "], formats=tuple(FORMATS)) == [
        (None, True), (None, True), (None, False), ("2021-01-05", False)]


# Decimals --------------------------------------------------------------------------------------
def _locale(value: Decimal, separator: str, thousands: str) -> str:
    sign = "-" if value < 0 else ""
    whole, frac = f"{abs(value):.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return sign + thousands.join(groups) + separator + frac


@given(st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False),
       st.sampled_from([(",", " "), (",", "."), (".", ","), (",", "\u00a0"), (".", "")]))
@example(Decimal("1234.50"), (",", " "))
@settings(max_examples=100, deadline=None)
def test_decimals_with_locale_separators(value, style):
    separator, thousands = style
    (out, bad), = run("decimal", [_locale(value, separator, thousands)], separator=separator)
    assert not bad and Decimal(out) == value


def test_decimal_rejects_non_numbers():
    assert run("decimal", ["n/a", "1 2 3", "", None], separator=",") == [
        (None, True), ("123", False), (None, True), (None, False)]


# Tax ids ---------------------------------------------------------------------------------------
def nip_check(nine: str) -> int:
    return sum(w * int(d) for w, d in zip((6, 5, 7, 2, 3, 4, 5, 6, 7), nine)) % 11


@given(st.text("0123456789", min_size=9, max_size=9), st.sampled_from(["{}", "PL{}", "PL {}", "{}-"]))
@example("123456321", "PL {}")
@settings(max_examples=120, deadline=None)
def test_nip_checksum(nine, shape):
    check = nip_check(nine)
    if check == 10:
        (_, bad), = run("nip", [nine + "0"])
        assert bad
        return
    valid = nine + str(check)
    wrong = nine + str((check + 1) % 10)
    dashed = f"{valid[:3]}-{valid[3:6]}-{valid[6:8]}-{valid[8:]}"
    assert run("nip", [shape.format(dashed), wrong]) == [(valid, False), (None, True)]


def regon_valid(d: str) -> bool:
    weights = (8, 9, 2, 3, 4, 5, 6, 7) if len(d) == 9 else (2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8)
    return len(d) in (9, 14) and sum(w * int(x) for w, x in zip(weights, d)) % 11 % 10 == int(d[-1])


@given(st.one_of(st.text("0123456789", min_size=9, max_size=9), st.text("0123456789", min_size=14, max_size=14)))
@example("123456785")
@settings(max_examples=120, deadline=None)
def test_regon_matches_reference(number):
    (_, bad), = run("regon", [number])
    assert bad == (not regon_valid(number))


def test_vat_id_strips_prefix_and_separators():
    assert run("vat_id", ["PL 123-456-32-18", "de123456789", "ATU12345678"]) == [
        ("1234563218", False), ("123456789", False), ("U12345678", False)]


# Booleans, maps, text --------------------------------------------------------------------------
def test_booleans_in_several_languages():
    words = ["Tak", "nie", "JA", "nein", "oui", "non", "так", "ні", "yes", "No", "1", "0", "maybe", None]
    assert [out for out, _ in run("boolean", words)] == [
        "true", "false", "true", "false", "true", "false", "true", "false", "true", "false", "true", "false",
        None, None]
    assert run("boolean", ["maybe"])[0][1] is True


def test_value_maps_default_strict_and_passthrough():
    values = (("nowa", "new"), ("wygrana", "won"))
    assert run("map", ["nowa", "inna", None], values=values) == [("new", False), ("inna", False), (None, False)]
    assert run("map", ["inna"], values=values, default="other") == [("other", False)]
    assert run("map", ["wygrana", "inna"], values=values, strict=True) == [("won", False), (None, True)]


def test_unicode_case_and_whitespace():
    assert run("upper", ["łódź", "київ"]) == [("ŁÓDŹ", False), ("КИЇВ", False)]
    assert run("squish", ["  Anna \t  Maria\n Nowak "]) == [("Anna Maria Nowak", False)]
    assert run("default", ["", None, "DE"], value="PL") == [("PL", False), ("PL", False), ("DE", False)]
    assert run("replace", ["+48 601"], pattern=r"^\+48\s*", **{"with": ""}) == [("601", False)]


def test_title_case_is_unicode_correct():
    assert [o for o, _ in run("title", ["jean-PIERRE łęcki", "київ", "ÉMILE zoë", "  ", None])] == [
        "Jean-Pierre Łęcki", "Київ", "Émile Zoë", "  ", None]


@given(st.lists(st.text("abcłęкиї", min_size=1, max_size=6), min_size=1, max_size=4),
       st.sampled_from([" ", "  ", " \t "]))
@settings(max_examples=80, deadline=None)
def test_split_matches_python(words, gap):
    text = gap.join(words)
    got = [run("split", [text], part=p)[0][0] for p in ("first", "last", "rest", "init")]
    expected = [words[0], words[-1], " ".join(words[1:]) or None, " ".join(words[:-1]) or None]
    assert got == expected


# Phones and e-mails: tests/fidelity/test_phone.py and tests/fidelity/test_email.py.
