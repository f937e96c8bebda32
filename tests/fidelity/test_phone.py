"""Fidelity of ``phone``: ferry gives exactly phonenumbers' answer, or rejects where it does.

Reference: a region ``r`` gives a number when ``phonenumbers.parse(text, r)`` succeeds and
``is_valid_number`` holds (its E.164 form). The first of the row's region and ``region`` that
gives one decides; else the fallbacks: one number (from one region or several) converts, two
different numbers reject as ``ambiguous_phone`` with the candidates ("UA +380..., DE +49...")
as the detail, none rejects as ``invalid_phone``.

Corpus (``CORPUS``, seeded, 10,057 strings): for PL UA DE FR GB US IT ES CZ NL and CH BE AT
RU BR IN, numbers built from phonenumbers' example numbers of six types with random trailing
digits (so valid and invalid ones), each in E.164, international and national format and messy
shapes: dashes, dots, brackets, '00' and '011' for '+', the code without '+', a trunk '(0)' or '0'
after the code, extensions, letters, text around it, digits dropped or added; plus fixed odd
cases. National forms of every country are read under every region list, so foreign national
numbers meet other default regions. Checked under 12 region lists and with per-row regions:

* the compiled SQL with the registered function equals the reference (value, rule and detail);
* the SQL alone (the function replaced by one returning NULL) never gives a value or an
  ambiguity that differs from the reference, and settles the named regions' plain shapes by itself;
* the library route (``functions.phone_e164``) alone equals the reference;
* hypothesis: digit strings with prefixes ('+', '00', '0', calling codes) and separators;
* every region phonenumbers knows (245), in threes as default and two fallbacks, on its own
  example numbers in a dozen shapes (about 75,000 strings): what the SQL decides is the reference's;
* every pattern compiled into SQL means in DuckDB's RE2 what it means in Python's re.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass

import duckdb
import phonenumbers
import pytest
from hypothesis import example, given, settings, strategies as st
from sqlglot import exp

from compiler import functions
from compiler.sqlgen.transforms import TRANSFORMS, RowInput
from tests.fidelity.harness import Outcome, expected, outcomes

COUNTRIES = ("PL", "UA", "DE", "FR", "GB", "US", "IT", "ES", "CZ", "NL", "CH", "BE", "AT", "RU", "BR", "IN")
KINDS = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE,
         phonenumbers.PhoneNumberType.TOLL_FREE, phonenumbers.PhoneNumberType.PREMIUM_RATE,
         phonenumbers.PhoneNumberType.VOIP, phonenumbers.PhoneNumberType.UAN)
FORMATS = (phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL,
           phonenumbers.PhoneNumberFormat.NATIONAL)
#: (region, fallback): the default region first.
REGION_LISTS = [("PL", ()), ("PL", ("UA", "DE", "FR")), ("DE", ("FR",)), ("FR", ()), ("UA", ("PL",)),
                ("GB", ("PL",)), ("US", ()), ("IT", ("ES",)), ("CZ", ("NL", "DE")), ("NL", ()), ("ES", ("GB", "FR")),
                ("AU", ("PL",))]
ODD = ["12", "+", "+48", "0048", "00", "000", "0", "+0 601 234 567", "+00 48 601 234 567", "+999 123 456 789",
       "601 234 567 wew. 12", "601 234 567 abc", "601 ABC 567", "+49 (0)151 23456789", "0048 0601 234 567",
       "48 0601 234 567", "(+48) 601 234 567", "+48 601 234 567 #12", "+48 601 234 567;ext=12",
       "tel. 601 234 567", "601 234 567 / 601 234 568", "06 24 30 60 69", "0033 6 24 30 60 69",
       "011 48 601 234 567", "0049 0 30 1234567", "49 030 1234567", "4930 1234567", "33 6 24 30 60 69",
       "380 67 123 4567", "0380 67 123 4567", "+380 067 123 4567", "8 800 555 35 35", "+7 800 555 35 35",
       "1 800 234 5678", "+1 (800) 234-5678", "(201) 555-0123", "+44 (0)20 7946 0958", "020 7946 0958",
       "07400 123456", "+39 06 6982 1234", "06 6982 1234", "+420 601 123 456", "601-123-456", "+31 6 12345678",
       "06-12345678", "+34 612 34 56 78", "612 34 56 78", "4848 123 45 67", "48 48 123 45 67", "+48 48 123 45 67",
       "6" * 251, "6" + " " * 250 + "01234567", "+4860123456", "+486012345678", "60123456", "6012345678",
       "+48.601.234.567", "+48/601/234/567", "(0)601 234 567", "+48 (601) 234-567", "--601--234--567--"]


def _mess(rng: random.Random, text: str, code: str) -> list[str]:
    plain = text.replace(" ", "").replace("-", "")
    out = [text, text.replace(" ", "-"), text.replace(" ", "."), f"({text[:3]}) {text[3:]}"]
    if text.startswith("+"):
        out += [text.replace("+", "00", 1), text.replace("+", "011 ", 1), plain[1:],
                text.replace(f"+{code} ", f"+{code} (0)", 1), text.replace(f"+{code}", f"+{code} 0", 1)]
    else:
        out += [f"{code}{plain}", f"00{code} {text}", f"+{code} {text}"]
    out += [f"{text} ext. {rng.randint(1, 999)}", f"{text} x{rng.randint(1, 99)}", f"tel: {text}",
            text[:-2], text + str(rng.randint(0, 99)), text[:4] + "AB" + text[6:]]
    return out


def _corpus(seed: int = 20261201) -> list[str]:
    rng = random.Random(seed)
    out = list(ODD)
    for country in COUNTRIES:
        for kind in KINDS:
            example = phonenumbers.example_number_for_type(country, kind)
            if example is None:
                continue
            nsn = phonenumbers.national_significant_number(example)
            for i in range(6):
                digits = nsn if i == 0 else nsn[:3] + "".join(rng.choice("0123456789") for _ in nsn[3:])
                number = phonenumbers.parse(f"+{example.country_code}{digits}")
                for fmt in FORMATS:
                    text = phonenumbers.format_number(number, fmt)
                    out += _mess(rng, text, str(example.country_code)) if i < 3 else [text]
    return list(dict.fromkeys(out))


CORPUS = _corpus()


@dataclass(frozen=True, slots=True)
class Answer:
    """What became of one value: its E.164, or the rule that rejected it (and the detail)."""

    value: str | None = None
    rule: str | None = None
    detail: str | None = None


EMPTY = Answer()


def _valid(text: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) \
        if phonenumbers.is_valid_number(number) else None


def answer(value: str | None, first: tuple[str, ...], fallback: tuple[str, ...] = ()) -> Answer:
    """The reference for one value: ``first`` are the row's region and ``region``."""
    text = (value or "").strip(" ")  # what SQL's TRIM leaves
    if not text:
        return EMPTY
    for region in first:
        if (number := _valid(text, region)) is not None:
            return Answer(number)
    found = [(region, number) for region in fallback if (number := _valid(text, region)) is not None]
    if len({number for _, number in found}) > 1:
        return Answer(None, "ambiguous_phone", ", ".join(f"{region} {number}" for region, number in found))
    return Answer(found[0][1]) if found else Answer(None, "invalid_phone")


@functools.lru_cache(maxsize=None)
def corpus_answers(region: str, fallback: tuple[str, ...]) -> tuple[Answer, ...]:
    """The reference for every value of ``CORPUS`` under one region list (computed once: four tests read it)."""
    return tuple(answer(v, (region,), fallback) for v in CORPUS)


def reference(regions: tuple[str, ...]):
    """The reference's value (None: a reject) with ``regions[0]`` the region, the rest fallbacks."""
    return lambda value: answer(value, regions[:1], regions[1:]).value


def _args(region: str, fallback: tuple[str, ...]) -> dict:
    return {"region": region, **({"fallback": fallback} if fallback else {})}


@functools.lru_cache(maxsize=None)
def _query(region: str, fallback: tuple[str, ...] = (), row: bool = False) -> str:
    """The query over table ``t`` giving each input's value, first failing rule and its detail through the
    transform's compiled SQL (``row``: ``region_from`` reads column ``r``). Built once per arguments: the
    SQL is the same for the same arguments, and building it (phone's trees for every region named) is most
    of a call's time."""
    args = _args(region, fallback)
    if row:
        args["region_from"] = RowInput(exp.column("r"), "country")
    applied = TRANSFORMS["phone"](exp.column("v"), args)
    rule, detail = exp.Case(), exp.Case()
    for failure in applied.failures:
        rule = rule.when(failure.invalid, exp.Literal.string(failure.rule))
        detail = detail.when(failure.invalid.copy(), failure.detail or exp.null())
    return (exp.select(exp.column("i"), exp.alias_(applied.value, "out"), exp.alias_(rule, "rule"),
                       exp.alias_(detail, "detail")).from_("t").order_by("i").sql(dialect="duckdb"))


def _answers(inputs: list[str | None], con: duckdb.DuckDBPyConnection | None = None, row: list[str | None] | None = None,
             *, region: str, fallback: tuple[str, ...] = ()) -> list[Answer]:
    """Each input through the transform's compiled SQL: value, the first failing rule, its detail
    (``row``: each input's region, read by ``region_from``)."""
    query = _query(region, tuple(fallback), row is not None)
    con = con or CON
    con.execute("CREATE OR REPLACE TEMP TABLE t AS SELECT unnest($1::VARCHAR[]) AS v, unnest($2::VARCHAR[]) AS r, "
                "unnest($3::BIGINT[]) AS i", [inputs, row or [None] * len(inputs), list(range(len(inputs)))])
    return [Answer(out, rule, detail) for _, out, rule, detail in con.execute(query).fetchall()]


def _library(value: str, first: tuple[str, ...], fallback: tuple[str, ...]) -> Answer:
    """The library route alone, read as the compiled SQL reads its answer."""
    if not value.strip(" "):
        return EMPTY
    got = functions.phone_e164(value.strip(" "), ",".join(first), ",".join(fallback))
    if got is None:
        return Answer(None, "invalid_phone")
    if got.startswith(functions.AMBIGUOUS_PHONE):
        return Answer(None, "ambiguous_phone", got.removeprefix(functions.AMBIGUOUS_PHONE))
    return Answer(got)


def _sql_alone() -> duckdb.DuckDBPyConnection:
    """A connection where the library route answers nothing: what is left is the SQL's."""
    con = duckdb.connect()
    con.execute("CREATE MACRO ferry_phone_e164(v, r, f) AS CAST(NULL AS VARCHAR)")
    return con


CON = functions.register(duckdb.connect())
SQL_ALONE = _sql_alone()


def _differ(inputs, got: list[Answer], want: list[Answer], sql_alone: bool = False) -> list[str]:
    """Inputs where ferry and the reference differ; for the SQL alone, where it gave a value or
    an ambiguity the reference does not (its other rejects are values it left to the library)."""
    return [f"{v!r}: ferry {g}, reference {w}" for v, g, w in zip(inputs, got, want)
            if g != w and not (sql_alone and g.rule == "invalid_phone")]


@pytest.mark.parametrize("region,fallback", REGION_LISTS, ids=["-".join((r, *f)) for r, f in REGION_LISTS])
def test_sql_route_equals_phonenumbers(region, fallback):
    want = corpus_answers(region, fallback)
    got = _answers(CORPUS, **_args(region, fallback))
    assert not _differ(CORPUS, got, want), "\n".join(_differ(CORPUS, got, want)[:30])


@pytest.mark.parametrize("region,fallback", REGION_LISTS, ids=["-".join((r, *f)) for r, f in REGION_LISTS])
def test_sql_alone_never_gives_another_value(region, fallback):
    want = corpus_answers(region, fallback)
    got = _answers(CORPUS, con=SQL_ALONE, **_args(region, fallback))
    wrong = _differ(CORPUS, got, want, sql_alone=True)
    assert not wrong, "\n".join(wrong[:30])


@pytest.mark.parametrize("region,fallback", REGION_LISTS, ids=["-".join((r, *f)) for r, f in REGION_LISTS])
def test_library_route_equals_phonenumbers(region, fallback):
    got = [_library(v, (region,), fallback) for v in CORPUS]
    want = corpus_answers(region, fallback)
    assert not _differ(CORPUS, got, want), "\n".join(_differ(CORPUS, got, want)[:30])


def test_corpus_has_ambiguous_numbers():
    """The corpus meets the new rule: numbers valid in several fallbacks, under the lists tested."""
    ambiguous = {v for region, fallback in REGION_LISTS for v, a in zip(CORPUS, corpus_answers(region, fallback))
                 if a.rule == "ambiguous_phone"}
    assert len(ambiguous) >= 20, sorted(ambiguous)


def test_sql_alone_settles_plain_shapes_of_the_named_regions():
    """Valid PL, DE and FR numbers written plainly (E.164, '00', national, '(0)') need no library
    call, nor do national numbers valid both in DE and in FR (ambiguous: '030 1234567')."""
    shapes = ["+48 601 234 567", "0048601234567", "601-234-567", "601 234 567", "+48 (22) 123-45-67",
              "48601234567", "030 1234567", "+49 30 1234567", "+49 (0)30 1234567", "0151 23456789",
              "06 12 34 56 78", "+33 6 12 34 56 78", "0033 (0)6 12 34 56 78"]
    got = _answers(shapes, con=SQL_ALONE, region="PL", fallback=("DE", "FR"))
    want = [answer(v, ("PL",), ("DE", "FR")) for v in shapes]
    assert sum(w.rule == "ambiguous_phone" for w in want) == 2
    assert all(w.value or w.rule == "ambiguous_phone" for w in want) and got == want, "\n".join(
        _differ(shapes, got, want))


ISSUE = "06 24 30 60 69"  # a French mobile, a Ukrainian (Donetsk) fixed line and a valid German number
ISSUE_CANDIDATES = "UA +380624306069, DE +49624306069, FR +33624306069"


def test_a_number_valid_in_several_fallbacks_is_ambiguous():
    """Not valid in PL; the fallbacks' order does not choose among UA, DE and FR: a reject naming
    the candidates, by the SQL alone and by the library alike."""
    ambiguous = Answer(None, "ambiguous_phone", ISSUE_CANDIDATES)
    for con in (CON, SQL_ALONE):
        assert _answers([ISSUE], con=con, region="PL", fallback=("UA", "DE", "FR")) == [ambiguous]
        assert _answers([ISSUE], con=con, region="PL", fallback=("FR",)) == [Answer("+33624306069")]
        # The row's region is the data's word: FR decides before PL and the fallbacks.
        assert _answers([ISSUE], con=con, region="PL", row=["FR"], fallback=("UA", "DE", "FR")) == [
            Answer("+33624306069")]
        # ``region`` is the user's word: it decides before any fallback.
        assert _answers([ISSUE], con=con, region="UA", fallback=("DE", "FR")) == [Answer("+380624306069")]
    assert _answers([ISSUE], region="PL") == [Answer(None, "invalid_phone")]
    assert _library(ISSUE, ("PL",), ("UA", "DE", "FR")) == ambiguous
    # The same number from several fallbacks is one number: '+33 6...' reads alike everywhere.
    assert _answers(["+33 6 24 30 60 69"], region="PL", fallback=("UA", "DE")) == [Answer("+33624306069")]


def test_a_fallback_the_sql_cannot_read_goes_to_the_library():
    """GB shares +44 with GG, IM, JE: the SQL cannot tell, so it settles nothing from the
    fallbacks and the library decides, ambiguity included."""
    values = [ISSUE, "020 7946 0958", "07400 123456"]
    want = [answer(v, ("PL",), ("FR", "GB", "DE")) for v in values]
    assert _answers(values, region="PL", fallback=("FR", "GB", "DE")) == want
    alone = _answers(values, con=SQL_ALONE, region="PL", fallback=("FR", "GB", "DE"))
    assert alone == [Answer(None, "invalid_phone")] * 3


# Per-row regions ---------------------------------------------------------------------------------

ROW_REGIONS = [None, "", "  ", "pl", " FR ", "DE", "ua", "GB", "US", "CH", "IT", "Polska", "UK", "xx"]


def _row_reference(inputs, region: str, fallback: tuple[str, ...]) -> list[Answer]:
    out = []
    for value, row in inputs:
        row_region = (row or "").strip(" ").upper() or None
        if value is None or not value.strip(" "):
            out.append(EMPTY)
        elif row_region is not None and row_region not in phonenumbers.SUPPORTED_REGIONS:
            out.append(Answer(None, "unknown_phone_region"))
        else:
            out.append(answer(value, tuple(r for r in (row_region, region) if r), fallback))
    return out


@pytest.mark.parametrize("region,fallback", [("PL", ("DE", "FR")), ("GB", ()), ("FR", ("UA",)),
                                             ("PL", ("UA", "DE", "FR"))])
def test_row_region_comes_first(region, fallback):
    rng = random.Random(5)
    inputs = [(v, rng.choice(ROW_REGIONS)) for v in CORPUS] + [(None, "Polska"), ("", "Polska"), (ISSUE, "fr")]
    values, rows = [v for v, _ in inputs], [r for _, r in inputs]
    want = _row_reference(inputs, region, fallback)
    got = _answers(values, row=rows, **_args(region, fallback))
    assert not _differ(inputs, got, want), "\n".join(_differ(inputs, got, want)[:30])
    alone = _answers(values, con=SQL_ALONE, row=rows, **_args(region, fallback))
    wrong = _differ(inputs, alone, want, sql_alone=True)
    assert not wrong, "\n".join(wrong[:30])


def test_row_region_examples():
    values = [ISSUE, ISSUE, ISSUE, "+48 601 234 567", "601 234 567", "030 1234567", ISSUE]
    rows = ["FR", None, " fr ", "Polska", "DE", "de", "pl"]
    assert _answers(values, row=rows, region="PL", fallback=("DE",)) == [
        Answer("+33624306069"), Answer("+49624306069"), Answer("+33624306069"), Answer(None, "unknown_phone_region"),
        Answer("+48601234567"), Answer("+49301234567"), Answer("+49624306069")]
    assert _answers([ISSUE, ISSUE], row=["FR", None], region="PL", fallback=("UA", "DE", "FR")) == [
        Answer("+33624306069"), Answer(None, "ambiguous_phone", ISSUE_CANDIDATES)]


# Generated digit strings -------------------------------------------------------------------------

LEADS = st.sampled_from(["", "+", "00", "0", "+48", "48", "0048", "+49", "49", "490", "+490", "+33", "33", "0033",
                         "+380", "380", "0380", "+1", "011", "+44", "+420", "+31", "+34", "+39", "8"])
SEPARATORS = st.sampled_from(["", " ", "-", ".", " (0)", "/"])


@given(st.lists(st.tuples(LEADS, SEPARATORS, st.text("0123456789", min_size=1, max_size=14)), min_size=1, max_size=80),
       st.sampled_from(REGION_LISTS[:5] + REGION_LISTS[8:10]))
@example([("+48", " ", "601234567"), ("0", "", "0601234567"), ("490", " ", "301234567"), ("0", " ", "624306069")],
         ("PL", ("UA", "DE", "FR")))
@settings(max_examples=30, deadline=None)
def test_generated_digits(parts, regions):
    region, fallback = regions
    inputs = [f"{lead}{sep}{digits}" for lead, sep, digits in parts]
    want = [answer(v, (region,), fallback) for v in inputs]
    got = _answers(inputs, **_args(region, fallback))
    assert not _differ(inputs, got, want), _differ(inputs, got, want)
    alone = _answers(inputs, con=SQL_ALONE, **_args(region, fallback))
    assert not _differ(inputs, alone, want, sql_alone=True)


# Every region phonenumbers knows ---------------------------------------------------------------

def _region_corpus(region: str, rng: random.Random) -> list[str]:
    """A region's example numbers (each type, with random tails) in the shapes its own users write."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    code, prefix = str(meta.country_code), meta.national_prefix or ""
    out = []
    for kind in phonenumbers.PhoneNumberType.values() if hasattr(phonenumbers.PhoneNumberType, "values") else KINDS:
        example = phonenumbers.example_number_for_type(region, kind)
        if example is None:
            continue
        nsn = phonenumbers.national_significant_number(example)
        for digits in (nsn, nsn[:2] + "".join(rng.choice("0123456789") for _ in nsn[2:])):
            national = phonenumbers.format_number(phonenumbers.parse(f"+{code}{digits}"),
                                                  phonenumbers.PhoneNumberFormat.NATIONAL)
            out += [f"+{code} {digits}", f"00{code}{digits}", f"{code}{digits}", f"{code}{prefix}{digits}",
                    f"+{code} ({prefix}){digits}", national, digits, f"{prefix}{digits}", f"{prefix}{prefix}{digits}",
                    digits[:-1], digits + "1"]
    return list(dict.fromkeys(out))


#: What the library route answers in ``_sql_undecided``: with its '+', it passes as a number.
UNDECIDED = "+undecided"


def _own(region: str) -> bool:
    """The SQL reads the region's numbers itself: its calling code is its alone, and its national
    prefix is plain digits (not a pattern with a rewrite rule, as AR's or JP's)."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    prefix = meta.national_prefix_for_parsing
    return (len(phonenumbers.COUNTRY_CODE_TO_REGION_CODE[meta.country_code]) == 1
            and (prefix is None or (prefix.isdigit() and not meta.national_prefix_transform_rule)))


def _sql_undecided() -> duckdb.DuckDBPyConnection:
    """A connection where the library route answers a marker: shows what the SQL left to it."""
    con = duckdb.connect()
    con.execute(f"CREATE MACRO ferry_phone_e164(v, r, f) AS '{UNDECIDED}'")
    return con


def _values(inputs: list[str], con: duckdb.DuckDBPyConnection, **args) -> list[str | None]:
    """The transform's value alone (half the planning of ``outcomes``): NULL where it rejects."""
    value = TRANSFORMS["phone"](exp.column("v"), args).value.sql(dialect="duckdb")
    query = f"SELECT {value} FROM (SELECT unnest($1::VARCHAR[]) AS v, unnest($2::BIGINT[]) AS i) ORDER BY i"
    return [out for (out,) in con.execute(query, [inputs, list(range(len(inputs)))]).fetchall()]


def test_every_region_as_default_and_as_fallback():
    """All regions' metadata compiles to RE2 that DuckDB runs and gives phonenumbers' answers: with
    regions in threes (one the default, the next two its fallbacks, so numbers valid in both are
    ambiguous), what the SQL decides by itself is the reference's value or reject (the rest goes to the library route, tested above), and it
    decides every valid example number of a region whose calling code is its own in E.164 form."""
    rng = random.Random(11)
    con = _sql_undecided()
    regions = sorted(phonenumbers.SUPPORTED_REGIONS)
    wrong, undecided = [], []
    for first, second, third in zip(regions, regions[1:] + regions[:1], regions[2:] + regions[:2]):
        examples = [f"+{e.country_code} {phonenumbers.national_significant_number(e)}"
                    for e in (phonenumbers.example_number_for_type(first, k) for k in KINDS) if e is not None]
        inputs = list(dict.fromkeys(_region_corpus(first, rng) + _region_corpus(second, rng)
                                    + _region_corpus(third, rng) + examples))
        parse = reference((first, second, third))
        got = _values(inputs, con, region=first, fallback=(second, third))
        wrong += [f"{first},{second},{third}: {v!r}: SQL {g}, reference {parse(v)}" for v, g in zip(inputs, got)
                  if g != UNDECIDED and g != parse(v)]
        if _own(first):
            undecided += [f"{first}: {v!r}" for v, g in zip(inputs, got) if v in examples and g == UNDECIDED]
    assert not wrong, "\n".join(wrong[:40])
    assert not undecided, "\n".join(undecided[:40])


def test_metadata_patterns_mean_the_same_in_re2():
    """Every pattern the SQL route compiles (each region's general pattern, its number types as one
    expression over 'LL:digits', its international prefix) compiles in DuckDB's RE2 and matches
    exactly what Python's re matches, on each region's example numbers, variants of them and
    random digits of its possible lengths."""
    import importlib
    import re

    phone_sql = importlib.import_module("compiler.sqlgen.transforms.phone")
    rng = random.Random(3)
    con = duckdb.connect()
    wrong = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
        compiled = phone_sql._region(region)
        examples = [phonenumbers.national_significant_number(e) for e in
                    (phonenumbers.example_number_for_type(region, k) for k in phonenumbers.PhoneNumberType.values())
                    if e is not None]
        strings = {s for n in examples for s in (n, n[:-1], n + "0", n[1:], "0" + n, n[::-1])}
        strings |= {"".join(rng.choice("0123456789") for _ in range(n)) for n in compiled.lengths for _ in range(3)}
        strings |= {"00", "000", "011", "0011", "810", "8", "99", "19"}
        strings = sorted(s for s in strings if s)
        descs = [getattr(meta, name) for name in phone_sql.TYPES
                 if not (name == "mobile" and meta.same_mobile_and_fixed_line_pattern)]
        descs = [d for d in descs if d is not None and d.national_number_pattern]

        def typed(s: str) -> bool:
            return any((not d.possible_length or len(s) in d.possible_length)
                       and re.fullmatch(d.national_number_pattern, s) for d in descs)
        idd = compiled.idd or "$."
        rows = con.execute(
            "SELECT s, regexp_full_match(s, $1), regexp_full_match(lpad(length(s)::VARCHAR, 2, '0') || ':' || s, $2), "
            "regexp_matches(s, $3) FROM unnest($4::VARCHAR[]) AS t(s)",
            [compiled.general, compiled.typed, f"^(?:{idd})", strings]).fetchall()
        for s, general, types, international in rows:
            want = (bool(re.fullmatch(compiled.general, s)), typed(s), bool(re.match(idd, s)))
            if (general, types, international) != want:
                wrong.append(f"{region} {s}: RE2 {(general, types, international)}, re {want}")
    assert not wrong, "\n".join(wrong[:30])


def test_ascii_text_without_a_digit_rejects_in_sql():
    """'brak', 'n/a', '-': phonenumbers finds no number in ASCII text without a digit, in any
    region, so the SQL rejects it without the library; text with a digit or not in ASCII
    still goes to the library."""
    con = _sql_undecided()
    junk = ["brak", "n/a", "-", "tel.", "+", "###", "nie ma", "+ABC DEF GHIJ"]
    assert all(answer(v, ("PL",), ("DE", "US")) == Answer(None, "invalid_phone") for v in junk)
    assert _values(junk, con, region="PL", fallback=("DE", "US")) == [None] * len(junk)
    assert _values(["ext. 12", "１２３", "1-800-FLOWERS"], con, region="PL", fallback=("DE", "US")) == [UNDECIDED] * 3
