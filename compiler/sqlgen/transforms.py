"""Field transforms: name -> builder from a text expression to an ``Applied`` step.

``TRANSFORMS`` is the whole registry. A builder gets the value so far and the
transform's arguments and returns the new text value and, for transforms that
can fail (an unparseable date, an unmapped status, a bad NIP checksum), the
condition that marks the input as invalid and the reject rule to report. The
entity compiler turns each such condition into a reject reason that carries
the offending input value, so nothing is silently nulled.

Everything compiles to plain DuckDB SQL; arguments are spec values and enter
the tree only as literals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from sqlglot import exp


@dataclass(frozen=True, slots=True)
class Applied:
    value: exp.Expression
    invalid: exp.Expression | None = None  # true when the input cannot be transformed
    rule: str | None = None


Builder = Callable[[exp.Expression, Mapping[str, Any]], Applied]


def _s(text: str) -> exp.Literal:
    return exp.Literal.string(text)


def _regexp_replace(value: exp.Expression, pattern: str, replacement: str) -> exp.Expression:
    return exp.RegexpReplace(this=value, expression=_s(pattern), replacement=_s(replacement), modifiers=_s("g"))


def _failing(value: exp.Expression, parsed: exp.Expression, ok: exp.Expression, rule: str) -> Applied:
    """A parse: ``parsed`` where ``ok`` holds, and invalid where the input has a value but is not ok."""
    invalid = exp.and_(exp.not_(exp.Is(this=value.copy(), expression=exp.null())), exp.not_(exp.paren(ok.copy())))
    return Applied(exp.Case().when(ok, parsed), invalid, rule)


def _fn(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.func(name, *args, dialect="duckdb")


def _digit(value: exp.Expression, position: int) -> exp.Expression:
    """The digit at ``position``; TRY_CAST because DuckDB evaluates both sides of an OR,
    so the 14-digit REGON check also runs on 9-digit values."""
    return exp.TryCast(this=exp.Substring(this=value.copy(), start=exp.Literal.number(position),
                                          length=exp.Literal.number(1)), to=exp.DataType.build("INT"))


def _weighted_sum(value: exp.Expression, weights: tuple[int, ...]) -> exp.Expression:
    terms = [exp.Mul(this=_digit(value, i + 1), expression=exp.Literal.number(w)) for i, w in enumerate(weights) if w]
    total = terms[0]
    for term in terms[1:]:
        total = exp.Add(this=total, expression=term)
    return exp.Mod(this=exp.paren(total), expression=exp.Literal.number(11))


def _matches(value: exp.Expression, pattern: str) -> exp.Expression:
    return _fn("regexp_full_match", value.copy(), _s(pattern))


# Text ------------------------------------------------------------------------------------------


def trim(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    return Applied(exp.Trim(this=value))


def squish(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    return Applied(exp.Trim(this=_regexp_replace(value, r"\s+", " ")))


def lower(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    return Applied(exp.Lower(this=value))


def upper(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    return Applied(exp.Upper(this=value))


def title(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """Each word capitalised, also after a hyphen: 'jean-PIERRE łęcki' -> 'Jean-Pierre Łęcki'.

    Unicode-correct (DuckDB's upper/lower); words are split on spaces, then on hyphens.
    """
    def capitalise_words(text: exp.Expression, separator: str) -> exp.Expression:
        word = exp.to_identifier("_ferry_word", quoted=True)
        first = exp.Upper(this=exp.Substring(this=word.copy(), start=exp.Literal.number(1),
                                             length=exp.Literal.number(1)))
        rest = exp.Substring(this=word.copy(), start=exp.Literal.number(2))
        each = exp.Lambda(this=exp.DPipe(this=first, expression=rest, safe=True), expressions=[word.copy()])
        words = exp.func("string_split", text, _s(separator), dialect="duckdb")
        return exp.func("array_to_string", exp.Transform(this=words, expression=each), _s(separator),
                        dialect="duckdb")

    return Applied(capitalise_words(capitalise_words(exp.Lower(this=value), " "), "-"))


def split(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """``split: {part: first}``: 'Anna Maria Nowak' -> Anna (first), Nowak (last), 'Maria Nowak'
    (rest), 'Anna Maria' (init). Without a ``separator`` words are split on runs of whitespace
    and rejoined with one space."""
    separator = args.get("separator")
    trimmed = exp.Trim(this=value)
    words = exp.func("string_split", trimmed, _s(separator), dialect="duckdb") if separator else \
        exp.func("regexp_split_to_array", trimmed, _s(r"\s+"), dialect="duckdb")
    separator = separator or " "
    count = exp.func("len", words.copy(), dialect="duckdb")
    part = args["part"]
    if part in ("first", "last"):
        index = exp.Literal.number(1) if part == "first" else exp.Neg(this=exp.Literal.number(1))
        return Applied(exp.Bracket(this=words, expressions=[index], offset=1))
    sliced = exp.func("list_slice", words, exp.Literal.number(2), count, dialect="duckdb") if part == "rest" else \
        exp.func("list_slice", words, exp.Literal.number(1), exp.Sub(this=count, expression=exp.Literal.number(1)),
                 dialect="duckdb")
    return Applied(exp.Nullif(this=exp.func("array_to_string", sliced, _s(separator), dialect="duckdb"),
                              expression=_s("")))


def digits(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    return Applied(_regexp_replace(value, "[^0-9]", ""))


def blank_as_null(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    return Applied(exp.Nullif(this=exp.Trim(this=value), expression=_s("")))


def replace(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """``replace: {pattern: '^\\+48', with: ''}``: RE2 regular expression, every match."""
    return Applied(_regexp_replace(value, args["pattern"], args.get("with", "")))


def default(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """``default: 'PL'``: the value when the field is empty."""
    return Applied(exp.Coalesce(this=exp.Nullif(this=value, expression=_s("")), expressions=[_s(args["value"])]))


def map_values(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """``map: {values: {nowa: new, wygrana: won}, default: other, strict: false}``.

    An unmapped value takes ``default`` if one is given; otherwise it is kept, or,
    with ``strict: true``, rejects the row (rule ``unmapped_value``).
    """
    case = exp.Case(this=value.copy())
    for old, new in args["values"]:
        case = case.when(_s(old), _s(new) if new is not None else exp.null())
    keys = exp.In(this=value.copy(), expressions=[_s(old) for old, _ in args["values"]])
    if "default" in args:
        fallback = _s(args["default"]) if args["default"] is not None else exp.null()
        return Applied(case.else_(fallback))
    if args.get("strict"):
        return _failing(value, case, keys, "unmapped_value")
    return Applied(case.else_(value.copy()))


# Dates, numbers, booleans ----------------------------------------------------------------------


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


# Phones ----------------------------------------------------------------------------------------


def _extract(value: exp.Expression, pattern: str) -> exp.Expression:
    return exp.func("regexp_extract", value.copy(), _s(pattern), exp.Literal.number(1), dialect="duckdb")


def _calling_code_lengths() -> exp.Expression:
    """MAP calling code -> possible national-number lengths, from phonenumbers' metadata for the
    region it checks such numbers against (the code's main region, or non-geographic metadata).

    Only codes whose region has no national prefix or the plain trunk '0' are listed: phonenumbers
    strips a national prefix even after '+CC' when what remains is viable, so for the others
    (NANP '1', Russia '8', pattern-parsed prefixes) the SQL route could disagree; they go to it."""
    import phonenumbers

    keys, values = [], []
    for code in sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE):
        region = phonenumbers.region_code_for_country_code(code)
        meta = (phonenumbers.PhoneMetadata.metadata_for_nongeo_region(code) if region == "001"
                else phonenumbers.PhoneMetadata.metadata_for_region(region))
        lengths = sorted(set(meta.general_desc.possible_length)) if meta is not None else []
        simple = meta is not None and meta.national_prefix in (None, "0") \
            and meta.national_prefix_for_parsing in (None, meta.national_prefix)
        if lengths and simple:
            keys.append(_s(str(code)))
            values.append(exp.Array(expressions=[exp.Literal.number(n) for n in lengths]))
    return exp.Map(keys=exp.Array(expressions=keys), values=exp.Array(expressions=values))


def phone(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """``phone: {region: PL}``: E.164 ('+48601234567'), as phonenumbers would give it with
    ``region`` as the default country; a number that is not possible rejects the row.

    phonenumbers costs about 20 µs a value, so the common shapes compile to SQL, from the
    region's metadata (country code, national prefix, number lengths): only digits and
    separators, and either ``+CC``/``00CC`` or the national form. Everything else (other
    countries, extensions, a trunk '(0)', letters) goes to ``ferry_phone_e164``, which the
    runner registers (``compiler.functions``). A property test checks both routes agree.
    """
    import phonenumbers  # compile-time metadata only

    region = args["region"]
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    cc, prefix = str(meta.country_code), meta.national_prefix
    lengths = [exp.Literal.number(n) for n in meta.general_desc.possible_length]
    raw = exp.Nullif(this=exp.Trim(this=value), expression=_s(""))
    plain = exp.func("regexp_full_match", raw.copy(), _s(r"\+?[0-9 ()./-]+"), dialect="duckdb")
    digits_only = _regexp_replace(raw.copy(), "[^0-9+]", "")
    # '+' always; the region's own dialling-out prefix ('00' in PL, '011' in the US) when it is plain digits.
    exit_code = meta.international_prefix if (meta.international_prefix or "").isdigit() else None
    lead = rf"(?:\+|{exit_code})" if exit_code else r"\+"
    # International numbers of any country: calling codes are prefix-free, so at most one of
    # the first 1, 2 or 3 digits is a code; the rest must be a possible length and not start with 0.
    full = _extract(digits_only, rf"^{lead}([1-9][0-9]*)$")
    k = exp.to_identifier("_ferry_k", quoted=True)
    code = exp.Substring(this=full.copy(), start=exp.Literal.number(1), length=k.copy())
    rest_first = exp.Substring(this=full.copy(), start=exp.Add(this=k.copy(), expression=exp.Literal.number(1)),
                               length=exp.Literal.number(1))
    rest_length = exp.Sub(this=exp.func("length", full.copy(), dialect="duckdb"), expression=k.copy())
    possible = exp.and_(
        exp.func("list_contains", exp.Bracket(this=_calling_code_lengths(), expressions=[code]), rest_length,
                 dialect="duckdb"),
        exp.NEQ(this=rest_first, expression=_s("0")))
    code_sizes = exp.Array(expressions=[exp.Literal.number(n) for n in (1, 2, 3)])
    matches = exp.ArrayFilter(this=code_sizes, expression=exp.Lambda(this=possible, expressions=[k.copy()]))
    any_country = exp.Case().when(
        exp.GT(this=exp.func("len", matches, dialect="duckdb"), expression=exp.Literal.number(0)),
        exp.DPipe(this=_s("+"), expression=full.copy(), safe=True))
    # A national prefix that phonenumbers parses with a pattern (GB '0|180020') is left to it.
    simple_prefix = prefix and meta.national_prefix_for_parsing in (None, prefix)
    national = _extract(digits_only.copy(), rf"^{prefix}([1-9][0-9]*)$" if simple_prefix else "^([1-9][0-9]*)$") \
        if simple_prefix or not prefix else None
    candidates: list[exp.Expression] = [any_country]
    if national is not None:
        # phonenumbers strips the prefix only when the rest is a viable national number of the region.
        viable = exp.func("regexp_full_match", national.copy(), _s(meta.general_desc.national_number_pattern),
                          dialect="duckdb")
        fits = exp.and_(exp.In(this=exp.func("length", national.copy(), dialect="duckdb"), expressions=lengths),
                        viable)
        candidates.append(exp.Case().when(fits, exp.DPipe(this=_s(f"+{cc}"), expression=national.copy(), safe=True)))
    fast = exp.Case().when(plain.copy(), exp.Coalesce(this=candidates[0], expressions=candidates[1:]))
    slow = exp.Anonymous(this="ferry_phone_e164", expressions=[raw.copy(), _s(region)])
    parsed = exp.Coalesce(this=fast, expressions=[slow])
    return Applied(parsed, exp.and_(exp.not_(exp.Is(this=raw.copy(), expression=exp.null())),
                                    exp.Is(this=parsed.copy(), expression=exp.null())), "invalid_phone")


# Emails ----------------------------------------------------------------------------------------

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
#: Plain ASCII addresses email-validator accepts unchanged but for the domain's case; anything
#: else (quoted or non-ASCII local parts, IDNA labels, one-letter TLDs, IP literals) is left to it.
_PLAIN_EMAIL = (rf"({_ATEXT}+(?:\.{_ATEXT}+)*)@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\.)+"
                r"[A-Za-z]{2,63})")


def email(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """``email``: trimmed, syntax-checked and normalized by email-validator's rules (domain lower-
    cased, IDNA and Unicode normalized; no DNS lookups). An invalid address rejects the row.

    email-validator costs about 50 µs a value, so plain ASCII addresses are settled in SQL; a
    property test checks both routes agree. Reserved names (.test, .onion, ...) go to the library.
    """
    import email_validator  # the reserved names, at compile time

    raw = exp.Nullif(this=exp.Trim(this=value), expression=_s(""))
    local = _extract(raw, f"^{_PLAIN_EMAIL}$")
    domain = exp.func("regexp_extract", raw.copy(), _s(f"^{_PLAIN_EMAIL}$"), exp.Literal.number(2), dialect="duckdb")
    lowered = exp.Lower(this=domain)
    tld = exp.func("regexp_extract", lowered.copy(), _s(r"([a-z]+)$"), exp.Literal.number(1), dialect="duckdb")
    special = sorted(email_validator.SPECIAL_USE_DOMAIN_NAMES)
    plain = exp.and_(
        exp.NEQ(this=local.copy(), expression=_s("")),
        exp.LTE(this=exp.func("length", local.copy(), dialect="duckdb"), expression=exp.Literal.number(64)),
        exp.LTE(this=exp.func("length", raw.copy(), dialect="duckdb"), expression=exp.Literal.number(254)),
        exp.not_(exp.In(this=tld, expressions=[_s(s) for s in special])),
        # IDNA A-labels and labels with '--' in positions 3-4 follow IDNA rules: left to the library.
        exp.not_(exp.func("regexp_matches", lowered.copy(), _s(r"(^|\.)[a-z0-9]{2}--"), dialect="duckdb")),
    )
    fast = exp.Case().when(plain, exp.DPipe(this=exp.DPipe(this=local.copy(), expression=_s("@"), safe=True),
                                            expression=lowered.copy(), safe=True))
    parsed = exp.Coalesce(this=fast, expressions=[exp.Anonymous(this="ferry_email", expressions=[raw.copy()])])
    return Applied(parsed, exp.and_(exp.not_(exp.Is(this=raw.copy(), expression=exp.null())),
                                    exp.Is(this=parsed.copy(), expression=exp.null())), "invalid_email")


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


TRANSFORMS: dict[str, Builder] = {
    "trim": trim,
    "squish": squish,
    "lower": lower,
    "upper": upper,
    "title": title,
    "split": split,
    "digits": digits,
    "blank_as_null": blank_as_null,
    "replace": replace,
    "default": default,
    "map": map_values,
    "date": date,
    "timestamp": timestamp,
    "decimal": decimal,
    "boolean": boolean,
    "phone": phone,
    "email": email,
    "nip": nip,
    "regon": regon,
    "vat_id": vat_id,
}
