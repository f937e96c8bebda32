"""Fidelity of the ``decimal`` transform: its compiled SQL against a plain-Python reader.

The reference below states the conventions by hand (no SQL, no shared regular expression):
it strips one currency at one end, reads the sign, and reads the number under the declared
decimal mark, grouping checked group by group. ``auto`` is stated as a decision on the marks
present, not as "both readings", which is how the SQL does it. ``decimal.Decimal`` checks
the values of generated numbers.

Corpus: 128 written values (PL, DE, FR, UA, CH, EN and rejects), each under ',', '.'
and auto, plus hypothesis: up to 1,800 generated numbers (30 examples of up to 60) written in
the ten conventions below, and up to 4,000 strings of number-like characters (50 x 80).
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import example, given, settings, strategies as st

from compiler.sqlgen.transforms.amounts import CURRENCY_SYMBOLS, ISO_CODES
from tests.fidelity.harness import Outcome, disagreements, expected, outcomes

DIGITS = "0123456789"
BLANKS = " \t\n\r\v\f\u00a0\u202f"
SPACES = " \u00a0\u202f"
SIGNS = {"": "", "+": "", "-": "-", "\u2212": "-"}
#: Per decimal mark, the kinds of thousands separator: a number uses one kind throughout.
THOUSANDS = {",": (".", SPACES), ".": (",", SPACES, "'\u2019")}


def _digits(text: str) -> bool:
    return bool(text) and all(c in DIGITS for c in text)


def _whole(text: str, mark: str) -> str | None:
    """The whole part's digits: plain, or grouped by three with one kind of separator."""
    if _digits(text):
        return text
    for kind in THOUSANDS[mark]:
        groups, current = [], ""
        for c in text:
            if c in kind:
                groups.append(current)
                current = ""
            else:
                current += c
        groups.append(current)
        if len(groups) < 2 or not all(_digits(g) for g in groups):
            continue
        first, rest = groups[0], groups[1:]
        if len(first) <= 3 and first[0] != "0" and all(len(g) == 3 for g in rest):
            return "".join(groups)
    return None


def read_number(text: str, mark: str) -> str | None:
    """'1.234,5' under ',' -> '1234.5'; None when it is not a number under that convention."""
    whole, sep, fraction = text.partition(mark)
    if sep and not _digits(fraction):
        return None
    digits = _whole(whole, mark)
    if digits is None:
        return None
    return digits + ("." + fraction if sep else "")


def read_auto(text: str) -> str | None:
    marks = [c for c in text if c in ".,"]
    if not marks:
        return read_number(text, ".")
    if len(set(marks)) == 2:  # the last mark is the decimal one, and is there once
        return read_number(text, marks[-1]) if marks.count(marks[-1]) == 1 else None
    kind = marks[0]
    if len(marks) > 1:  # repeated: it groups thousands, so the other one is the decimal mark
        return read_number(text, "," if kind == "." else ".")
    whole, _, fraction = text.partition(kind)
    could_group = len(whole) <= 3 and _digits(whole) and whole[0] != "0" and len(fraction) == 3 and _digits(fraction)
    return None if could_group else read_number(text, kind)


def _currency_at_start(text: str) -> list[str]:
    found = [s for s in CURRENCY_SYMBOLS if text[:len(s)].casefold() == s]
    return found + [c for c in ISO_CODES if text.startswith(c)]


def _currency_at_end(text: str) -> list[str]:
    found = [s for s in CURRENCY_SYMBOLS if len(text) >= len(s) and text[-len(s):].casefold() == s]
    return found + [c for c in ISO_CODES if text.endswith(c)]


def reference(text: str, separator: str) -> str | None:
    """The plain number the text writes ('-1234.50'), or None to reject."""
    read = read_auto if separator == "auto" else (lambda t: read_number(t, separator))

    def signed(sign: str, number: str) -> str | None:
        if not number or number[0] not in DIGITS or number[-1] not in DIGITS:
            return None
        plain = read(number)
        return None if plain is None else SIGNS[sign] + plain

    text = text.strip(BLANKS)
    sign, rest = (text[0], text[1:]) if text[:1] and text[0] in SIGNS else ("", text)
    candidates = []
    for cur in _currency_at_start(rest):  # a leading currency, the sign before or after it
        after = rest[len(cur):].lstrip(SPACES)
        if after[:1] and after[0] in SIGNS and not sign:
            candidates.append(signed(after[0], after[1:]))
        else:
            candidates.append(signed(sign, after))
    for cur in _currency_at_end(rest):
        candidates.append(signed(sign, rest[:-len(cur)].rstrip(SPACES)))
    candidates.append(signed(sign, rest))
    found = [c for c in candidates if c is not None]
    assert len(set(found)) <= 1, (text, found)  # a currency never leaves two readings
    return found[0] if found else None


# Written values ---------------------------------------------------------------------------------
NBSP, NNBSP = "\u00a0", "\u202f"
CORPUS = [
    # Polish: space or NBSP thousands, comma decimal, zł / PLN
    "1 234,50", f"1{NBSP}234,50 zł", "12,50 zł", "12,50zł", "-1 234 567,89 PLN", "0,99", "1.234,50", "PLN 99,90",
    "ZŁ 5", "76222.54", "76222,54", "12,5 tys.", "ok. 500", "do ustalenia", "1 2 3", "1,2,3", "12,34567",
    # German: dot thousands, comma decimal
    "1.234,56 €", "€ 1.234,56", "€1.234,56", "-12,50", "1.234.567", "1.234", "1.23", "1.234.567,891",
    "EUR -1.234,56", "-€1.234,56", "1234,5", "0,125", "01,5", "DEM 1.000", "1.000.000,00 EUR",
    # French: space, NBSP or narrow NBSP thousands
    f"1{NNBSP}234,56 €", "1 234,56 €", f"1{NBSP}234{NBSP}567,89", "12,5", f"1{NNBSP}234{NBSP}567,89",
    "1 23,5", "12 345 678", f"-1{NNBSP}000 €", "FRF 12,50",
    # Ukrainian: space thousands, comma decimal, грн / ₴ / UAH, typographic minus
    "1 234,56 грн", "12,50 ₴", "\u22121 234,56 грн.", "UAH 100", "100 ГРН", "1 234,56 руб.", "12,5 лв",
    # Swiss: apostrophe thousands, dot decimal
    "CHF 1'234.50", "Fr. 1\u2019234.50", "1'234'567.89", "SFr. 12.50", "1'234,50", "12'34.5", "-CHF 5.05",
    # English: comma thousands, dot decimal
    "$1,234.50", "-$1,234.50", "$-1,234.50", "£12.99", "1,234,567.89 USD", "USD 12", "US$ 12.00", "C$5",
    "12,345,678", "1,234", "1,234.5", "0.5", ".5", "5.", "1,23,456.00", "1,234.567,8",
    # Signs, blanks, currency placement
    "+12,5", "+12.5", "  12,5\t", "\n12.5\n", "\v12,5\f", "\u200312,5", "12.50-", "(12.50)", "- 12,50", "--12",
    "+-1", "-€-12",
    "€ 12 EUR", "12 € €", "€", "zł", "PLN", "-", ",", ".", "12,", "12.", ",5", "1,,2", "12..5",
    # Not numbers at all, or written some other way
    "12abc34", "n/a", "brak", "TBD 100", "12 TBD", "pln 12", "eur 12", "12 mln", "~1000", "≈12", "12%",
    "1e3", "1E+06", "0x10", "1_000", "١٢٣", "１２", "12\u200b34", "12 ⁄ 5", "½", "∞", "NaN", "12,50 zł PLN",
    "€12€", "12 zl.", "all 12", "ALL 12", "12 kr.", "kr 12,50",
    # Empty
    "", "   ", None,
]


def _check(separator: str, inputs: list[str | None]) -> None:
    got = outcomes("decimal", inputs, separator=separator)
    want = expected(lambda v: reference(v, separator), inputs)
    assert got == want, "\n".join(disagreements(inputs, got, want))


def test_corpus_comma():
    _check(",", CORPUS)


def test_corpus_dot():
    _check(".", CORPUS)


def test_corpus_auto():
    _check("auto", CORPUS)


def test_the_issue_cases():
    """Issue 12: '76222.54' under ',' was 7622254; '12abc34' was 1234."""
    assert outcomes("decimal", ["76222.54", "12abc34", "1.234", "1.234.567,89", "1 234,50"], separator=",") == [
        Outcome.reject(), Outcome.reject(), Outcome("1234"), Outcome("1234567.89"), Outcome("1234.50")]
    assert outcomes("decimal", ["1.234", "1,234", "1.234,56", "1,234.56", "1234,5", "12,345,678"],
                    separator="auto") == [Outcome.reject(), Outcome.reject(), Outcome("1234.56"),
                                          Outcome("1234.56"), Outcome("1234.5"), Outcome("12345678")]


def test_the_reference_rejects_and_reads_what_the_readme_says():
    """So that a mistake shared by the reference and the SQL shows up somewhere."""
    assert [reference(v, ",") for v in ("12,50 zł", "€ 1.234,50", "1 234,50 PLN", "(12.50)", "12.50-")] == [
        "12.50", "1234.50", "1234.50", None, None]
    assert [reference(v, ".") for v in ("$1,234.50", "CHF 1'234.50", "1.234,50")] == ["1234.50", "1234.50", None]
    assert [reference(v, "auto") for v in ("1.234", "1,234", "0,125", "1234,567")] == [None, None, "0.125", "1234.567"]


# Generated numbers ------------------------------------------------------------------------------
#: (decimal mark, thousands separator) as each country writes them.
CONVENTIONS = {
    "pl": (",", " "), "pl_nbsp": (",", NBSP), "de": (",", "."), "fr": (",", NNBSP), "ua": (",", " "),
    "ch": (".", "'"), "ch_typographic": (".", "\u2019"), "en": (".", ","), "plain": (".", ""),
    "pl_plain": (",", ""),
}
CURRENCIES = {"pl": ("", " zł", " PLN"), "pl_nbsp": ("", f"{NBSP}zł"), "de": ("", " €", "€ "),
              "fr": ("", f"{NNBSP}€"), "ua": ("", " грн", "₴", " UAH"), "ch": ("", "CHF ", "Fr. "),
              "ch_typographic": ("",), "en": ("", "$", " USD"), "plain": ("",), "pl_plain": ("",)}


def write(value: Decimal, convention: str, currency: str, places: int) -> str:
    """The value as the convention writes it, currency before (ends with a space or symbol) or after."""
    mark, thousands = CONVENTIONS[convention]
    whole, _, fraction = f"{abs(value):.{places}f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    number = thousands.join(groups) + (mark + fraction if fraction else "")
    sign = "-" if value < 0 else ""
    leading = currency and not currency[0].isspace() and (currency[-1].isspace() or currency in ("₴", "$"))
    return f"{sign}{currency}{number}" if leading else f"{sign}{number}{currency}"


NUMBERS = st.tuples(st.decimals(min_value=-10**12, max_value=10**12, places=4, allow_nan=False, allow_infinity=False),
                    st.integers(0, 4), st.integers(0, 3))


@given(st.sampled_from(sorted(CONVENTIONS)), st.lists(NUMBERS, min_size=1, max_size=60))
@example("pl", [(Decimal("1234.50"), 2, 1)])
@example("ch", [(Decimal("-1234567.891"), 3, 1)])
@settings(max_examples=30, deadline=None)
def test_numbers_written_in_each_convention(convention, numbers):
    """The declared convention reads its own numbers exactly; auto reads them exactly or rejects them
    as ambiguous; both agree with the reference."""
    currencies = CURRENCIES[convention]
    values = [round(value, places) for value, places, _ in numbers]
    texts = [write(v, convention, currencies[c % len(currencies)], places)
             for v, (_, places, c) in zip(values, numbers)]
    mark = CONVENTIONS[convention][0]
    for separator in (mark, "auto"):
        got = outcomes("decimal", texts, separator=separator)
        want = expected(lambda v: reference(v, separator), texts)
        assert got == want, "\n".join(disagreements(texts, got, want))
        for text, value, outcome in zip(texts, values, got):
            if separator == mark:
                assert not outcome.rejected and Decimal(outcome.value) == value, (text, outcome)
            elif outcome.value is not None:
                assert Decimal(outcome.value) == value, (text, outcome)


NUMBERISH = st.text(alphabet="0123456789.,' -+\u2212\u00a0\u202f\u2019€$zł PLNCHFr()e", min_size=1, max_size=14)


@given(st.lists(NUMBERISH, min_size=1, max_size=80), st.sampled_from([",", ".", "auto"]))
@example(["1.234", "1,234", "1 234,5 zł"], "auto")
@settings(max_examples=50, deadline=None)
def test_any_number_like_text_agrees_with_the_reference(inputs, separator):
    got = outcomes("decimal", inputs, separator=separator)
    want = expected(lambda v: reference(v, separator), inputs)
    assert got == want, "\n".join(disagreements(inputs, got, want))


def test_every_listed_currency_is_read_at_either_end():
    """The SQL splits off any short run of other characters and checks it against the lists,
    so each listed currency must fit that run (at most 5 characters, no digit, sign or separator)."""
    symbols = list(CURRENCY_SYMBOLS) + [s.upper() for s in CURRENCY_SYMBOLS] + list(ISO_CODES)
    texts = [t for s in symbols for t in (f"{s} 12,50", f"12,50{s}", f"-{s}12,50")]
    each = [Outcome("12.50"), Outcome("12.50"), Outcome("-12.50")]
    assert outcomes("decimal", texts, separator=",") == each * len(symbols)
