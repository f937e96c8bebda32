"""Transforms, executed: the compiled SQL agrees with plain-Python reference parsers."""

from __future__ import annotations

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


# Maps, text ------------------------------------------------------------------------------
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
