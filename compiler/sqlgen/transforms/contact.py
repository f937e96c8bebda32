"""Contact-point transforms backed by a library: phones (phonenumbers) and emails
(email-validator). Common shapes compile to SQL; the rest call functions ``ferry run``
registers (``compiler.functions``), and property tests check both routes agree."""

from __future__ import annotations

from typing import Any, Mapping

from sqlglot import exp

from compiler.sqlgen.transforms.base import Applied, lit, regexp_replace_all


# Phones ----------------------------------------------------------------------------------------


def _extract(value: exp.Expression, pattern: str) -> exp.Expression:
    return exp.func("regexp_extract", value.copy(), lit(pattern), exp.Literal.number(1), dialect="duckdb")


def _calling_code_lengths() -> exp.Expression:
    """MAP calling code -> possible national-number lengths, from phonenumbers' metadata for the
    region it checks such numbers against (the code's main region, or non-geographic metadata).

    Only codes whose region has no national prefix or the plain trunk '0' are listed: phonenumbers
    strips a national prefix even after '+CC' when what remains is viable, so for the others
    (NANP '1', Russia '8', pattern-parsed prefixes) the SQL route could disagree; they go to it."""
    import json

    import phonenumbers

    table: dict[str, list[int]] = {}
    for code in sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE):
        region = phonenumbers.region_code_for_country_code(code)
        meta = (phonenumbers.PhoneMetadata.metadata_for_nongeo_region(code) if region == "001"
                else phonenumbers.PhoneMetadata.metadata_for_region(region))
        lengths = sorted(set(meta.general_desc.possible_length)) if meta is not None else []
        simple = meta is not None and meta.national_prefix in (None, "0") \
            and meta.national_prefix_for_parsing in (None, meta.national_prefix)
        if lengths and simple:
            table[str(code)] = lengths
    # One JSON literal cast to a MAP: a constant DuckDB folds once, and one line in the compiled
    # SQL instead of a pretty-printed entry per calling code.
    text = json.dumps(table, sort_keys=True, separators=(",", ":"))
    as_json = exp.cast(lit(text), exp.DataType.build("JSON", dialect="duckdb"))
    return exp.cast(as_json, exp.DataType.build("MAP(VARCHAR, INTEGER[])", dialect="duckdb"))


def phone(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """``phone: {region: PL, fallback: [DE]}``: E.164 ('+48601234567'), as phonenumbers would give
    it with ``region`` as the default country, else with each fallback region in turn; a number
    that is possible in none of them rejects the row.

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
    raw = exp.Nullif(this=exp.Trim(this=value), expression=lit(""))
    plain = exp.func("regexp_full_match", raw.copy(), lit(r"\+?[0-9 ()./-]+"), dialect="duckdb")
    digits_only = regexp_replace_all(raw.copy(), "[^0-9+]", "")
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
        exp.NEQ(this=rest_first, expression=lit("0")))
    code_sizes = exp.Array(expressions=[exp.Literal.number(n) for n in (1, 2, 3)])
    matches = exp.ArrayFilter(this=code_sizes, expression=exp.Lambda(this=possible, expressions=[k.copy()]))
    any_country = exp.Case().when(
        exp.GT(this=exp.func("len", matches, dialect="duckdb"), expression=exp.Literal.number(0)),
        exp.DPipe(this=lit("+"), expression=full.copy(), safe=True))
    # A national prefix that phonenumbers parses with a pattern (GB '0|180020') is left to it.
    simple_prefix = prefix and meta.national_prefix_for_parsing in (None, prefix)
    national = _extract(digits_only.copy(), rf"^{prefix}([1-9][0-9]*)$" if simple_prefix else "^([1-9][0-9]*)$") \
        if simple_prefix or not prefix else None
    candidates: list[exp.Expression] = [any_country]
    if national is not None:
        # phonenumbers strips the prefix only when the rest is a viable national number of the region.
        viable = exp.func("regexp_full_match", national.copy(), lit(meta.general_desc.national_number_pattern),
                          dialect="duckdb")
        fits = exp.and_(exp.In(this=exp.func("length", national.copy(), dialect="duckdb"), expressions=lengths),
                        viable)
        candidates.append(exp.Case().when(fits, exp.DPipe(this=lit(f"+{cc}"), expression=national.copy(), safe=True)))
    fast = exp.Case().when(plain.copy(), exp.Coalesce(this=candidates[0], expressions=candidates[1:]))
    # The fallback regions are tried only here: SQL settles what the default region settles.
    regions = ",".join((region, *args.get("fallback", ())))
    slow = exp.Anonymous(this="ferry_phone_e164", expressions=[raw.copy(), lit(regions)])
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

    raw = exp.Nullif(this=exp.Trim(this=value), expression=lit(""))
    local = _extract(raw, f"^{_PLAIN_EMAIL}$")
    domain = exp.func("regexp_extract", raw.copy(), lit(f"^{_PLAIN_EMAIL}$"), exp.Literal.number(2), dialect="duckdb")
    lowered = exp.Lower(this=domain)
    tld = exp.func("regexp_extract", lowered.copy(), lit(r"([a-z]+)$"), exp.Literal.number(1), dialect="duckdb")
    special = sorted(email_validator.SPECIAL_USE_DOMAIN_NAMES)
    plain = exp.and_(
        exp.NEQ(this=local.copy(), expression=lit("")),
        exp.LTE(this=exp.func("length", local.copy(), dialect="duckdb"), expression=exp.Literal.number(64)),
        exp.LTE(this=exp.func("length", raw.copy(), dialect="duckdb"), expression=exp.Literal.number(254)),
        exp.not_(exp.In(this=tld, expressions=[lit(s) for s in special])),
        # IDNA A-labels and labels with '--' in positions 3-4 follow IDNA rules: left to the library.
        exp.not_(exp.func("regexp_matches", lowered.copy(), lit(r"(^|\.)[a-z0-9]{2}--"), dialect="duckdb")),
    )
    fast = exp.Case().when(plain, exp.DPipe(this=exp.DPipe(this=local.copy(), expression=lit("@"), safe=True),
                                            expression=lowered.copy(), safe=True))
    parsed = exp.Coalesce(this=fast, expressions=[exp.Anonymous(this="ferry_email", expressions=[raw.copy()])])
    return Applied(parsed, exp.and_(exp.not_(exp.Is(this=raw.copy(), expression=exp.null())),
                                    exp.Is(this=parsed.copy(), expression=exp.null())), "invalid_email")
