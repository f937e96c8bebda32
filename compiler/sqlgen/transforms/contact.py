"""The ``email`` transform, backed by email-validator (phones are ``transforms.phone``).

In:  the field's text expression.
Out: ``Applied``: the normalized address, or ``invalid_email``. The addresses whose every rule
compiles to SQL are settled there (dot-atom local parts of ASCII and of the letters in
``LOCAL_LETTERS``, domains of ASCII and of ``DOMAIN_LETTERS`` under an ASCII top-level label);
the rest call a function ``ferry run`` registers (``compiler.functions``), and
tests/fidelity/test_email.py checks both routes agree with email-validator.

What email-validator (``check_deliverability=False``) does to such an address, and the SQL with it:

* local part: kept as written (RFC 6532 NFC changes nothing: no letter of ``LOCAL_LETTERS``
  decomposes or combines with its neighbour), but an ASCII one that is one of RFC 2142's
  mailbox names ('Info', 'SALES') is lower-cased; no length limit (that is its strict mode);
* domain: UTS-46 mapped (for these letters: lower-cased, as DuckDB's ``lower`` does), then for
  a Unicode label the IDNA A-label, checked and decoded back: so the address keeps the
  lower-cased Unicode label. An A-label must fit 63 octets: each letter below U+0800 costs at
  most 5 Punycode digits (RFC 3492's variable-length integers for any delta a 63-character
  label can reach), so a label of ``n`` characters, ``u`` of them not ASCII, needs at most
  ``5 + n + 4u`` ('xn--', the delimiter); the SQL settles the label when that bound fits, and
  the whole address when it fits 254 octets with its domain so bounded;
* labels with '--' in the third and fourth place (A-labels 'xn--' among them) and the special-
  use names (.test, .local, .onion...) are the library's;
* a value without '@', or with '@' first or last, is invalid (no library call).

``tests/fidelity/test_email.py`` checks each letter of both sets against the libraries' own
rules and the whole against email-validator on a corpus."""

from __future__ import annotations

from typing import Any, Mapping

from sqlglot import exp

from compiler.sqlgen.transforms.base import Applied, fn, lit

#: Letters a local part may hold in SQL (with ASCII atext): Latin-1, Latin Extended-A/B and
#: Additional, Greek, Cyrillic; each in NFC, never combining with a neighbour.
LOCAL_LETTERS = ((0xC0, 0xD6), (0xD8, 0xF6), (0xF8, 0x24F), (0x386, 0x386), (0x388, 0x38A), (0x38C, 0x38C),
                 (0x38E, 0x3A1), (0x3A3, 0x3CE), (0x400, 0x481), (0x48A, 0x52F), (0x1E00, 0x1EFF))
#: Letters a domain label may hold in SQL (with ASCII letters, digits, '-'): those whose UTS-46
#: mapping is DuckDB's ``lower``, to a letter IDNA 2008 allows (PVALID, left-to-right), of the
#: same UTF-8 length, below U+0800 (two octets each).
DOMAIN_LETTERS = ((0xC0, 0xD6), (0xD8, 0xF6), (0xF8, 0x12F), (0x131, 0x131), (0x134, 0x13E), (0x141, 0x148),
                  (0x14A, 0x17E), (0x386, 0x386), (0x388, 0x38A), (0x38C, 0x38C), (0x38E, 0x3A1), (0x3A3, 0x3CE),
                  (0x400, 0x481), (0x48A, 0x4FF))
#: RFC 2142's mailbox names, which email-validator lower-cases in an ASCII local part.
MAILBOX_NAMES = ("abuse", "ftp", "hostmaster", "info", "marketing", "news", "noc", "postmaster", "sales",
                 "security", "support", "usenet", "uucp", "webmaster", "www")
#: Octets an address may have (original, normalized, and with its domain in ASCII).
MAX_OCTETS = 254
#: The most Punycode digits one letter below U+0800 costs in a label of at most 63 characters.
PUNYCODE_DIGITS = 5


def _ranges(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(rf"\x{{{a:X}}}" + (rf"-\x{{{b:X}}}" if b != a else "") for a, b in ranges)


_ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~" + _ranges(LOCAL_LETTERS) + "-]"
_LETTER = "[A-Za-z0-9" + _ranges(DOMAIN_LETTERS) + "]"
_HYPHENATED = "[A-Za-z0-9" + _ranges(DOMAIN_LETTERS) + "-]"
#: An address the SQL may settle: a dot-atom local part, labels of at most 63 characters, and an
#: ASCII top-level label ending with a letter (as email-validator requires of every domain).
ADDRESS = (rf"{_ATEXT}+(?:\.{_ATEXT}+)*@(?:{_LETTER}(?:{_HYPHENATED}{{0,61}}{_LETTER})?\.)+"
           r"(?:[A-Za-z0-9][A-Za-z0-9-]{0,61})?[A-Za-z]")


def _either_case(word: str) -> str:
    return "".join(f"[{c.upper()}{c}]" for c in word)


def _library_only() -> str:
    """A domain label with '--' in the third and fourth place (A-labels, reserved LDH labels),
    or a special-use top-level name (.test, .local...): left to the library."""
    import email_validator  # the reserved names, at compile time

    special = "|".join(_either_case(name) for name in sorted(email_validator.SPECIAL_USE_DOMAIN_NAMES))
    return rf"@(?:[^.@]+\.)*[^.@]{{2}}--|\.(?:{special})$"


def _octets(x: exp.Expression) -> exp.Expression:
    return fn("strlen", x.copy())


def _chars(x: exp.Expression) -> exp.Expression:
    return fn("length", x.copy())


def _ascii(x: exp.Expression) -> exp.Expression:
    return exp.EQ(this=_octets(x), expression=_chars(x))


def _idna_fits(local: exp.Expression, domain: exp.Expression) -> exp.Expression:
    """A domain of ASCII, or one whose Unicode labels (letters of ``DOMAIN_LETTERS``, two octets
    each) surely fit 63 octets as A-labels, and the address 254 octets with them."""
    def bound(label: exp.Expression) -> exp.Expression:  # the A-label's most octets
        wide = exp.paren(exp.Sub(this=_octets(label), expression=_chars(label)))
        return exp.Add(this=exp.Add(this=exp.Literal.number(5), expression=_chars(label)),
                       expression=exp.Mul(this=exp.Literal.number(PUNYCODE_DIGITS - 1), expression=wide))
    label = exp.to_identifier("_ferry_label", quoted=True)
    labels = fn("string_split", domain.copy(), lit("."))
    each = exp.Lambda(this=exp.or_(_ascii(label), exp.LTE(this=bound(label), expression=exp.Literal.number(63))),
                      expressions=[label])
    # Every label counted as if Unicode: more than its A-label can be.
    total = exp.Add(this=exp.Add(this=_chars(domain), expression=exp.Mul(
        this=exp.Literal.number(PUNYCODE_DIGITS - 1), expression=exp.paren(exp.Sub(this=_octets(domain), expression=_chars(domain))))),
        expression=exp.Mul(this=exp.Literal.number(5), expression=exp.ArraySize(this=labels.copy())))
    return exp.or_(_ascii(domain), exp.paren(exp.and_(
        fn("list_bool_and", fn("list_transform", labels, each)),
        exp.LTE(this=exp.Add(this=exp.Add(this=_octets(local), expression=exp.Literal.number(1)), expression=total),
                expression=exp.Literal.number(MAX_OCTETS)))))


def email(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """``email``: trimmed, syntax-checked and normalized by email-validator's rules (domain lower-
    cased, IDNA and Unicode normalized; no DNS lookups). An invalid address rejects the row.

    email-validator costs about 30 µs a value, so the addresses whose rules the SQL can decide
    exactly are settled there with one regular expression (and a second for what only the
    library may answer); a fidelity test checks both routes agree."""
    raw = exp.Nullif(this=exp.Trim(this=value), expression=lit(""))
    local = fn("split_part", raw.copy(), lit("@"), exp.Literal.number(1))
    domain = fn("split_part", raw.copy(), lit("@"), exp.Literal.number(2))
    lowered = exp.Lower(this=local.copy())
    mailbox = exp.and_(exp.In(this=lowered.copy(), expressions=[lit(n) for n in MAILBOX_NAMES]), _ascii(local))
    normalized = exp.DPipe(this=exp.DPipe(this=exp.Case().when(mailbox, lowered).else_(local.copy()), expression=lit("@"),
                                          safe=True), expression=exp.Lower(this=domain.copy()), safe=True)
    settled = exp.and_(fn("regexp_full_match", raw.copy(), lit(ADDRESS)),
                       exp.LTE(this=_octets(raw), expression=exp.Literal.number(MAX_OCTETS)),
                       exp.not_(fn("regexp_matches", raw.copy(), lit(_library_only()))),
                       exp.paren(_idna_fits(local, domain)))
    # No '@', or one first or last, is invalid however the library reads the rest: no call.
    hopeless = exp.or_(exp.not_(fn("contains", raw.copy(), lit("@"))), fn("starts_with", raw.copy(), lit("@")),
                       fn("ends_with", raw.copy(), lit("@")))
    parsed = (exp.Case().when(settled, normalized).when(exp.Is(this=raw.copy(), expression=exp.null()), exp.null())
              .when(hopeless, exp.null()).else_(exp.Anonymous(this="ferry_email", expressions=[raw.copy()])))
    # The answer first: DuckDB shares (computes once) only what every row evaluates.
    return Applied(parsed, exp.and_(exp.Is(this=parsed.copy(), expression=exp.null()),
                                    exp.not_(exp.Is(this=raw.copy(), expression=exp.null()))), "invalid_email")
