"""The ``decimal`` transform: a number as people write it -> the plain form '-1234.50'.

In:  the text value and ``separator`` (the decimal mark: ',', '.' or 'auto').
Out: an ``Applied`` whose value is an optional '-', ASCII digits and, when the input
has a fractional part, '.' and its digits; or a reject (``invalid_decimal``).

What is read, and nothing else (anything else is a reject, never a best effort):

* the number: ASCII digits, with the decimal mark once, followed by a digit; the
  whole part either plain (``1234``) or grouped by three with one kind of
  thousands separator (``1.234.567``, ``1 234``, ``1'234``), its first group
  1-3 digits not starting with 0. With ``separator: ','`` the thousands
  separators are '.' and the spaces (U+0020, NBSP U+00A0, narrow NBSP U+202F);
  with '.' they are ',', the spaces and the apostrophes (' and U+2019, Swiss).
  So under ',' ``1.234`` is 1234 and ``76222.54`` is a reject;
* a sign ('+', '-', U+2212) right before the number, or before or after a
  leading currency (``-€12``, ``€ -12``); a trailing minus (``12.50-``) and
  accounting parentheses (``(12.50)``) are rejects;
* one currency, at one end: a symbol or local abbreviation (``€``, ``zł``,
  ``грн``, ``Fr.``, any case) or an upper-case ISO 4217 code (``PLN``), with or
  without spaces between it and the number;
* blanks (spaces, tabs, line breaks, NBSPs) around it all; blank text is empty, not a reject.

``auto`` reads both conventions and rejects a value they read differently: that
is one '.' or ',' between 1-3 digits (not starting with 0) and exactly three
(``1.234``, ``1,234``). ``1.234,56``, ``1,234.56``, ``1234,5``, ``0,125`` and
``12,345,678`` have one reading.

The cast to the field's DECIMAL(precision, scale) then checks that the value fits
without rounding (``sqlgen.casts``).
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from sqlglot import exp

from compiler.sqlgen.transforms.base import Applied, fn, full_match, lit, regexp_replace_all

#: Currency symbols and local abbreviations, matched in any letter case.
CURRENCY_SYMBOLS: tuple[str, ...] = (
    "€", "$", "£", "¥", "¢", "₴", "₽", "₹", "₺", "₪", "₩", "₸", "₾", "₼", "₫", "₱", "₦", "₡", "฿",
    "us$", "c$", "ca$", "a$", "au$", "nz$", "hk$", "s$", "r$", "mx$",
    "zł", "zl", "kč", "ft", "kr", "kr.", "kn", "lei", "fr.", "sfr.", "chf.",
    "грн", "грн.", "руб", "руб.", "р.", "лв", "лв.", "ден",
)

#: ISO 4217 codes: the current ones, and the national currencies the euro replaced
#: (old CRMs keep them). Matched in upper case only: 'all', 'top' or 'try' are words.
ISO_CODES: tuple[str, ...] = tuple("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD
GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT
LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR
NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD
SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD
XCG XOF XPF YER ZAR ZMW ZWG ZWL
ATS BEF CYP DEM EEK ESP FIM FRF GRD HRK IEP ITL LTL LUF LVL MTL NLG PTE SIT SKK
""".split())

BLANKS = r"[ \t\n\r\v\f\x{00A0}\x{202F}]"
SPACES = r"[ \x{00A0}\x{202F}]"
SIGN = r"[-+\x{2212}]"
#: Thousands separators for each decimal mark, one class per kind (a number uses one kind).
THOUSANDS: dict[str, tuple[str, ...]] = {",": (r"\.", SPACES), ".": (",", SPACES, "['\u2019]")}

#: The text, split in one pass into sign, number and currency: groups 1-4 when the currency
#: leads (the sign before or after it), 5-7 otherwise. A '#' is put in front of the text, and
#: the pattern consumes it, so text that does not match keeps it and cannot pass for a split.
#: The currency is any short run of other characters here; it is checked against the lists after.
_NUMBER = r"([0-9](?:[0-9.,'\x{2019} \x{00A0}\x{202F}]*[0-9])?)"
_CURRENCY = r"([^0-9 \t\n\r\v\f\x{00A0}\x{202F}+\-\x{2212},'\x{2019}|#]{1,5})"
SPLIT = (f"^#{BLANKS}*(?:({SIGN}?){_CURRENCY}{SPACES}*({SIGN}?){_NUMBER}"
         f"|({SIGN}?){_NUMBER}(?:{SPACES}*{_CURRENCY})?){BLANKS}*$")
PARTS = r"\1\3\5|\4\6|\2\7"  # sign(s) | number | currency


def body_pattern(mark: str) -> str:
    """The number under one convention: plain or grouped whole part, then the mark and digits."""
    grouped = [f"[1-9][0-9]{{0,2}}(?:{sep}[0-9]{{3}})+" for sep in THOUSANDS[mark]]
    return f"(?:[0-9]+|{'|'.join(grouped)})(?:{re.escape(mark)}[0-9]+)?"


def _plain(number: exp.Expression, mark: str) -> exp.Expression:
    """A valid number without its thousands separators, with '.' as the mark."""
    digits = regexp_replace_all(number.copy(), f"[^0-9{re.escape(mark)}]", "")
    return exp.Replace(this=digits, expression=lit(","), replacement=lit(".")) if mark == "," else digits


def currency_pattern() -> str:
    """A listed currency: an ISO code in upper case, or a symbol in any case."""
    symbols = "|".join(re.escape(c) for c in sorted(CURRENCY_SYMBOLS, key=lambda c: (-len(c), c)))
    return f"(?:{'|'.join(ISO_CODES)}|(?i:{symbols}))?"


def decimal(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """``decimal: {separator: ','}`` (or '.', or 'auto'): '1 234,50 zł' -> '1234.50'."""
    separator = args.get("separator", ".")
    parts = fn("regexp_replace", exp.DPipe(this=lit("#"), expression=value.copy(), safe=True), lit(SPLIT), lit(PARTS))

    def part(n: int) -> exp.Expression:
        return fn("split_part", parts.copy(), lit("|"), exp.Literal.number(n))

    sign, number, currency = part(1), part(2), part(3)
    readings = [(full_match(number, body_pattern(m)), _plain(number, m)) for m in
                ((",", ".") if separator == "auto" else (separator,))]
    if len(readings) == 1:
        ((ok, plain),) = readings
    else:  # auto: a value both conventions read, but differently, is ambiguous
        (ok_c, plain_c), (ok_d, plain_d) = readings
        ambiguous = exp.and_(ok_c.copy(), ok_d.copy(), exp.NEQ(this=plain_c.copy(), expression=plain_d.copy()))
        ok = exp.and_(exp.paren(exp.or_(ok_c.copy(), ok_d.copy())), exp.not_(exp.paren(ambiguous)))
        plain = exp.Case().when(ok_c, plain_c).else_(plain_d)
    # One sign at most; and a text that did not split still starts with '#', which fails here too.
    valid = exp.and_(full_match(sign, f"{SIGN}?"), full_match(currency, currency_pattern()), ok)
    negative = exp.In(this=sign.copy(), expressions=[lit("-"), lit("\u2212")])
    signed = exp.DPipe(this=exp.Case().when(negative, lit("-")).else_(lit("")), expression=plain, safe=True)
    # Blank text is no value (as for phones and e-mails): empty, so `required` can report it.
    blank = full_match(value, f"{BLANKS}*")
    invalid = exp.and_(exp.not_(exp.Is(this=value.copy(), expression=exp.null())), exp.not_(blank),
                       exp.not_(exp.paren(valid.copy())))
    return Applied(exp.Case().when(valid, signed), invalid, "invalid_decimal")
