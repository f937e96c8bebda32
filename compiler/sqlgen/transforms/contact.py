"""The ``email`` transform, backed by email-validator (phones are ``transforms.phone``).

In:  the field's text expression.
Out: ``Applied``: the normalized address, or ``invalid_email``. Plain ASCII addresses compile
to SQL; the rest call a function ``ferry run`` registers (``compiler.functions``), and
tests/fidelity/test_email.py checks both routes agree with email-validator."""

from __future__ import annotations

from typing import Any, Mapping

from sqlglot import exp

from compiler.sqlgen.transforms.base import Applied, lit


def _extract(value: exp.Expression, pattern: str) -> exp.Expression:
    return exp.func("regexp_extract", value.copy(), lit(pattern), exp.Literal.number(1), dialect="duckdb")


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
