"""Transforms, executed: the compiled SQL agrees with plain-Python reference parsers
(decimals: tests/fidelity/test_decimal.py)."""

from __future__ import annotations

import datetime as dt

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


# Phones: the SQL fast path and phonenumbers must agree -----------------------------------------
import phonenumbers  # noqa: E402

REGIONS = ["PL", "DE", "FR", "UA", "GB", "US"]
#: Numbers from these countries are in the corpus too (Italian fixed lines keep a leading 0).
CORPUS_REGIONS = REGIONS + ["IT", "RU", "BR", "IN"]
FORMATS_PN = [phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL,
              phonenumbers.PhoneNumberFormat.NATIONAL]


def _corpus(rng_seed: int) -> list[str]:
    import random
    rng = random.Random(rng_seed)
    out = []
    for region in CORPUS_REGIONS:
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            nsn = str(example.national_number)
            for _ in range(15):
                digits = nsn[:2] + "".join(rng.choice("0123456789") for _ in nsn[2:])
                number = phonenumbers.parse(f"+{example.country_code}{digits}")
                for fmt in FORMATS_PN:
                    text = phonenumbers.format_number(number, fmt)
                    out += [text, text.replace(" ", "-"), text.replace("+", "00", 1), f"({text[:3]}) {text[3:]}"]
    out += ["12", "601 234 567 wew. 12", "601 234 567 abc", "+49 (0)151 23456789", "0048 0601 234 567", "+"]
    return out


def test_phone_sql_matches_phonenumbers_for_every_default_region():
    corpus = _corpus(7)
    for region in REGIONS:
        got = [out for out, _ in run("phone", corpus, region=region)]
        assert got == [functions.phone_e164(v, region) for v in corpus], region


def test_phone_fallback_regions_are_tried_in_order_after_the_default():
    corpus = _corpus(11)
    got = [out for out, _ in run("phone", corpus, region="PL", fallback=("DE", "FR"))]

    def reference(value: str) -> str | None:
        for region in ("PL", "DE", "FR"):
            if (e164 := functions.phone_e164(value, region)) is not None:
                return e164
        return None

    assert got == [reference(v) for v in corpus]
    # A German mobile in national form is impossible in PL, possible in DE.
    assert run("phone", ["0152 28578298"], region="PL", fallback=("DE",)) == [("+4915228578298", False)]
    assert run("phone", ["0152 28578298"], region="PL") == [(None, True)]


def test_phone_fast_path_handles_the_default_regions_common_shapes():
    """With the phonenumbers slow path switched off, the default region's plain numbers still convert."""
    con = duckdb.connect()
    con.create_function("ferry_phone_e164", lambda v, r: None, ["VARCHAR", "VARCHAR"], "VARCHAR",
                        null_handling="special")
    shapes = ["+48 601 234 567", "0048601234567", "601-234-567", "601 234 567", "+48 (22) 123-45-67"]
    assert [out for out, _ in run("phone", shapes, con=con, region="PL")] == [
        "+48601234567", "+48601234567", "+48601234567", "+48601234567", "+48221234567"]
    de = ["030 1234567", "+49 30 1234567", "0151 23456789"]
    assert [out for out, _ in run("phone", de, con=con, region="DE")] == ["+49301234567", "+49301234567",
                                                                          "+4915123456789"]
    # Other countries' international numbers too: calling codes are prefix-free.
    # (NANP '+1' numbers are left to phonenumbers: its national prefix '1' may be stripped after '+1'.)
    foreign = ["+380 67 123 4567", "+1 415-555-0100", "0033 6 12 34 56 78"]
    assert [out for out, _ in run("phone", foreign, con=con, region="PL")] == [
        "+380671234567", None, "+33612345678"]


# Emails: the SQL route and email-validator must agree ------------------------------------------
EMAIL_PARTS = st.text("abcXYZ09._-+'łö", min_size=1, max_size=12)
DOMAINS = st.sampled_from(["example.pl", "Example.COM", "wp.pl", "x.p", "a-b.de", "-x.pl", "xn--abc.pl",
                           "ab--cd.fr", "localhost", "x.test", "przykład.pl", "1.2.3.4", "x..pl", "mail.co.uk"])


@given(st.lists(st.tuples(EMAIL_PARTS, DOMAINS, st.sampled_from(["", " ", "  "])), min_size=1, max_size=30))
@example([("Zofia.Wojcik", "Example.PL", " ")])
@settings(max_examples=60, deadline=None)
def test_email_sql_matches_email_validator(parts):
    values = [f"{pad}{local}@{domain}{pad}" for local, domain, pad in parts] + ["", "plain", "a@b@c.pl"]
    got = [out for out, _ in run("email", values)]
    assert got == [functions.email_normalized(v.strip()) if v.strip() else None for v in values]


def test_email_fast_path_settles_plain_addresses():
    con = duckdb.connect()
    con.create_function("ferry_email", lambda v: None, ["VARCHAR"], "VARCHAR", null_handling="special")
    assert [o for o, _ in run("email", [" Zofia.Wojcik@Example.PL ", "o'brien+crm@Mail.Co.UK"], con=con)] == [
        "Zofia.Wojcik@example.pl", "o'brien+crm@mail.co.uk"]
