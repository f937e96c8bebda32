"""Fidelity of ``nip``, ``regon`` and ``vat_id``: checksum functions and a table of EU VAT shapes
written here in plain Python, and python-stdnum as a second, independent reference.

Corpus: 40 hand-picked NIPs/REGONs (PL prefixes, separators, other countries' prefixes), 45 VAT
numbers from all 28 prefixes, plus hypothesis: 150 NIPs x 8 spellings, 150 REGONs, 200 VAT numbers
built from the shape table and 200 mutated ones (about 2,400 inputs a run).
"""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import example, given, settings, strategies as st
from stdnum.pl import nip as stdnum_nip, regon as stdnum_regon
from stdnum.eu import vat as stdnum_vat
from stdnum.exceptions import InvalidFormat, InvalidLength, ValidationError

from tests.fidelity.harness import disagreements, expected, outcomes

# The reference: separators are spaces and hyphens (VAT numbers: dots too); the prefix PL is
# optional for a NIP or REGON, and nothing else may stand before the digits.

NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)
REGON9_WEIGHTS = (8, 9, 2, 3, 4, 5, 6, 7)
REGON14_WEIGHTS = (2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8)


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(w * int(d) for w, d in zip(weights, digits)) % 11


def _polish_compact(value: str) -> str:
    text = re.sub("[ -]", "", value.strip(" ").upper())
    return text[2:] if text.startswith("PL") else text


def nip_reference(value: str) -> str | None:
    d = _polish_compact(value)
    if not (len(d) == 10 and d.isascii() and d.isdigit()):
        return None
    return d if _weighted(d, NIP_WEIGHTS) == int(d[9]) else None


def regon_reference(value: str) -> str | None:
    d = _polish_compact(value)
    if not (d.isascii() and d.isdigit()):
        return None
    nine_ok = len(d) >= 9 and _weighted(d, REGON9_WEIGHTS) % 10 == int(d[8])
    if len(d) == 9:
        return d if nine_ok else None
    if len(d) == 14:
        return d if nine_ok and _weighted(d, REGON14_WEIGHTS) % 10 == int(d[13]) else None
    return None


#: The EU VAT shapes (VIES), as templates: 9 a digit, n a digit 1-9, a a letter, other lower-case
#: letters the classes below, anything else itself; several templates where a country has several.
VAT_TEMPLATES = {
    "AT": ["U99999999"], "BE": ["0999999999", "1999999999"], "BG": ["999999999", "9999999999"],
    "CY": ["99999999a"], "CZ": ["99999999", "999999999", "9999999999"], "DE": ["n99999999"],
    "DK": ["n9999999"], "EE": ["109999999"], "EL": ["999999999"], "GR": ["999999999"],
    "ES": ["a9999999x", "99999999a"], "FI": ["99999999"], "FR": ["ff999999999"], "HR": ["99999999999"],
    "HU": ["99999999"], "IE": ["9p99999a", "9999999l", "9999999lm"], "IT": ["99999999999"],
    "LT": ["999999999", "999999999999"], "LU": ["99999999"], "LV": ["99999999999"], "MT": ["n9999999"],
    "NL": ["999999999B99"], "PL": ["9999999999"], "PT": ["999999999"],
    "RO": ["n" + "9" * k for k in range(1, 10)], "SE": ["999999999901"], "SI": ["n9999999"],
    "SK": ["n9s9999999"], "XI": ["999999999", "999999999999", "GDg99", "HAh99"],
}
#: The classes (FR keys leave out O and I; IE's old second character may be + or *; IE's
#: second suffix letter is A-I or W; SK's third digit is 2-4 or 7-9; GD numbers go up to 499,
#: HA numbers start at 500).
TEMPLATE_CHARS = {
    "9": "0123456789", "n": "123456789", "a": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "x": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", "f": "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ",
    "p": "ABCDEFGHIJKLMNOPQRSTUVWXYZ+*", "l": "ABCDEFGHIJKLMNOPQRSTUVW", "m": "ABCDEFGHIW",
    "s": "234789", "g": "01234", "h": "56789",
}


def _fits(number: str, template: str) -> bool:
    if len(number) != len(template):
        return False
    return all(ch in TEMPLATE_CHARS[t] if t in TEMPLATE_CHARS else ch == t for ch, t in zip(number, template))


def vat_reference(value: str) -> str | None:
    text = re.sub("[ .-]", "", value.strip(" ").upper())
    country, number = text[:2], text[2:]
    if any(_fits(number, t) for t in VAT_TEMPLATES.get(country, ())):
        return text
    return None


def check(name: str, reference, inputs: list[str | None]) -> None:
    got, want = outcomes(name, inputs), expected(reference, inputs)
    assert got == want, "\n".join(disagreements(inputs, got, want))


# NIP -------------------------------------------------------------------------------------------

NIPS = ["1234563218", "PL 123-456-32-18", "pl1234563218", "PL-123-456-32-18", "123 456 32 18", "123-45-63-218",
        " 5260250274 ", "526-025-02-74", "PL5260250274",
        "DE1234563218", "DE 123-456-32-18", "UA1234563218", "FR1234563218", "PLPL1234563218", "P L1234563218",
        "1234563219", "123456321", "12345632180", "123.456.32.18", "123/456/32/18", "NIP: 1234563218",
        "NIP 1234563218", "(123) 456 32 18", "1234563218 PL", "１２３４５６３２１８", "123456321８", "abc", "-", " ", ""]


def test_nip_corpus():
    check("nip", nip_reference, NIPS)


def test_nip_reference_agrees_with_stdnum():
    # stdnum reads full-width digits (１２３) as digits; ferry and the reference reject them.
    for value in (v for v in NIPS if v.isascii()):
        assert (nip_reference(value) is not None) == stdnum_nip.is_valid(value.strip()), value


@given(st.text("0123456789", min_size=9, max_size=9),
       st.sampled_from(["{}", "PL{}", "PL {}", "pl{}", "dashed", "DE{}", "{}.", "NIP{}"]))
@example("123456321", "DE{}")
@settings(max_examples=150, deadline=None)
def test_nip_checksum(nine, shape):
    values = [nine + str(d) for d in range(10)]
    dashed = [f"{v[:3]}-{v[3:6]}-{v[6:8]}-{v[8:]}" for v in values]
    check("nip", nip_reference, dashed if shape == "dashed" else [shape.format(v) for v in values])
    # Exactly one check digit is valid, unless the weighted sum is 10 (then none is).
    assert sum(nip_reference(v) is not None for v in values) == (0 if _weighted(nine, NIP_WEIGHTS) == 10 else 1)


# REGON -----------------------------------------------------------------------------------------

REGONS = ["123456785", "PL123456785", "123-456-785", "12345678512347", "123456785 12347", "192598184",
          "12345678612342", "12345678512348", "123456786", "DE123456785", "12345678", "1234567851234", "123.456.785",
          " ", "REGON 123456785"]


def test_regon_corpus():
    check("regon", regon_reference, REGONS)
    # 14 digits whose last check digit fits but whose first 9 are no valid REGON: stdnum rejects too.
    assert not stdnum_regon.is_valid("12345678612342") and regon_reference("12345678612342") is None


@given(st.one_of(st.text("0123456789", min_size=9, max_size=9), st.text("0123456789", min_size=14, max_size=14),
                 st.text("0123456789", min_size=8, max_size=8).map(lambda s: s + str(_weighted(s, REGON9_WEIGHTS) % 10))))
@example("123456785")
@settings(max_examples=150, deadline=None)
def test_regon_matches_reference_and_stdnum(number):
    full = [number]
    if len(number) == 9:
        # and a 14-digit local unit of it, with every last digit
        full += [number + "0001" + str(d) for d in range(10)]
    check("regon", regon_reference, full)
    for value in full:
        assert (regon_reference(value) is not None) == stdnum_regon.is_valid(value), value


# VAT numbers -----------------------------------------------------------------------------------

VATS = ["ATU12345678", "at u1234 5678", "BE0123456789", "BE 0123.456.789", "BE1234567890", "BE2234567890",
        "BE123456789", "BG123456789", "BG1234567890", "CY12345678L", "CY123456789", "CZ12345678", "CZ1234567890",
        "DE123456789", "DE 123 456 789", "DE023456789", "DK12345678", "EE101234567", "EE201234567",
        "EL123456789", "GR123456789", "ESA1234567B", "ES12345678Z", "ES123456789", "FI12345678", "FRAB123456789",
        "FR12 345 678 901", "FRIO123456789", "HR12345678901", "HU12345678", "IE1234567T", "IE1234567WH",
        "IE1A23456B", "IE1+23456B", "IT12345678901", "LT123456789", "LT1234567890", "LU12345678", "LV12345678901",
        "MT12345678", "NL123456789B01", "NL123456789A01", "PL1234563218", "PT123456789", "RO12", "RO1234567890",
        "RO0123", "SE123456789001", "SE123456789002", "SI12345678", "SK1234567890", "SK1224567890", "XI123456789",
        "XIGD123", "XIHA567", "XIGD567", "GB123456789", "US123456789", "1234563218", "hello", "HELLO", "PL",
        "PL 123/456/32/18", "PL123456321８", " ", ""]


def test_vat_corpus():
    check("vat_id", vat_reference, VATS)


def _from_template(country: str, template: str, rng: random.Random) -> str:
    return country + "".join(rng.choice(TEMPLATE_CHARS[t]) if t in TEMPLATE_CHARS else t for t in template)


@given(st.sampled_from(sorted((c, t) for c, ts in VAT_TEMPLATES.items() for t in ts)), st.randoms(use_true_random=False),
       st.sampled_from(["{}", "{} ", "{}-", "{}."]))
@settings(max_examples=200, deadline=None)
def test_vat_shapes_and_their_mutations(template, rng, separator):
    country, shape = template
    number = _from_template(country, shape, rng)
    spaced = country + " " + separator.format(number[2:5]).strip() + number[5:]
    mutations = [number[:-1], number + "7", number[:2] + "Q" + number[3:], number[2:], "ZZ" + number[2:],
                 number[:-1] + rng.choice("AZ09+")]
    check("vat_id", vat_reference, [number, number.lower(), spaced, *mutations])


# python-stdnum checks the same numbers with its check digits too: where it says the format or
# length is wrong, ferry rejects; where it accepts a number, ferry accepts it, compacted alike.
STDNUM_VALID = ["ATU13585627", "BE0411905847", "BG175074752", "CY10259033P", "CZ25123891", "DE136695976",
                "DK13585628", "EE100931558", "EL094259216", "ESA13585625", "FI20774740", "FR40303265045",
                "HR33392005961", "HU12892312", "IE6433435F", "IT00743110157", "LT119511515", "LU15027442",
                "LV40003521600", "MT11679112", "NL004495445B01", "PL8567346215", "PT501964843", "RO18547290",
                "SE556188840401", "SI50223054", "SK2022749619", "XI980780684"]


@pytest.mark.parametrize("number", STDNUM_VALID)
def test_numbers_stdnum_accepts_ferry_accepts(number):
    assert stdnum_vat.is_valid(number), number  # the reference itself: a real, valid number
    spelled = number[:2] + " " + number[2:]
    assert outcomes("vat_id", [spelled]) == expected(lambda v: stdnum_vat.compact(v), [spelled])


@given(st.sampled_from(STDNUM_VALID), st.integers(0, 12), st.sampled_from(["", "1", "A", "12"]))
@settings(max_examples=200, deadline=None)
def test_where_stdnum_finds_a_bad_shape_ferry_rejects(number, cut, extra):
    mangled = number[:2] + (number[2:][:cut] + extra + number[2:][cut + 1:])
    try:
        stdnum_vat.validate(mangled)
        bad_shape = False
    except (InvalidFormat, InvalidLength):
        bad_shape = True
    except ValidationError:
        bad_shape = False  # a check digit or an embedded date: not what vat_id checks
    if bad_shape:
        assert outcomes("vat_id", [mangled])[0].rejected, mangled
