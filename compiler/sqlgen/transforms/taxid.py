"""Tax id transforms: Polish NIP and REGON (checksums), EU VAT numbers (shape per country).

In:  a text expression.
Out: ``Applied`` with the compact number, or the ``invalid_nip`` / ``invalid_regon`` /
     ``invalid_vat_id`` reject.

Separators are spaces and hyphens (and dots in VAT numbers); nothing else is dropped,
so 'NIP: 123...' or '123/456' rejects rather than being read. A NIP or REGON may carry
the prefix ``PL`` and no other: 'DE1234563218' has a valid NIP checksum but is not a
Polish number.
"""

from __future__ import annotations

from typing import Any, Mapping

from sqlglot import exp

from compiler.sqlgen.transforms.base import (Applied, digit_at, failing, full_match, lit, regexp_replace_all,
                                             weighted_sum_mod11)

#: EU VAT numbers after the country prefix (VIES formats). Checked: length, digits and letters
#: in their places, fixed parts (SE ends in 01, EE starts with 10, NL has its B). Not checked:
#: the check digits of countries other than PL (use ``nip`` for a Polish number's checksum).
VAT_SHAPES: dict[str, str] = {
    "AT": "U[0-9]{8}",
    "BE": "[01][0-9]{9}",
    "BG": "[0-9]{9,10}",
    "CY": "[0-9]{8}[A-Z]",
    "CZ": "[0-9]{8,10}",
    "DE": "[1-9][0-9]{8}",
    "DK": "[1-9][0-9]{7}",
    "EE": "10[0-9]{7}",
    "EL": "[0-9]{9}",
    "ES": "[A-Z][0-9]{7}[0-9A-Z]|[0-9]{8}[A-Z]",
    "FI": "[0-9]{8}",
    "FR": "[0-9A-HJ-NP-Z]{2}[0-9]{9}",
    "HR": "[0-9]{11}",
    "HU": "[0-9]{8}",
    "IE": "[0-9][A-Z+*][0-9]{5}[A-Z]|[0-9]{7}[A-W][A-IW]?",
    "IT": "[0-9]{11}",
    "LT": "[0-9]{9}|[0-9]{12}",
    "LU": "[0-9]{8}",
    "LV": "[0-9]{11}",
    "MT": "[1-9][0-9]{7}",
    "NL": "[0-9]{9}B[0-9]{2}",
    "PL": "[0-9]{10}",
    "PT": "[0-9]{9}",
    "RO": "[1-9][0-9]{1,9}",
    "SE": "[0-9]{10}01",
    "SI": "[1-9][0-9]{7}",
    "SK": "[1-9][0-9][2-47-9][0-9]{7}",
    "XI": "[0-9]{9}|[0-9]{12}|GD[0-4][0-9]{2}|HA[5-9][0-9]{2}",
}
#: Greece's VAT prefix is EL; numbers are often written with its ISO code GR. Either is kept as written.
VAT_SHAPES["GR"] = VAT_SHAPES["EL"]


def _compact(value: exp.Expression, separators: str) -> exp.Expression:
    """Upper case, without ``separators``; NULL for a blank value (a lone '-' is no number: it rejects)."""
    text = exp.Nullif(this=exp.Trim(this=value), expression=lit(""))
    return regexp_replace_all(exp.Upper(this=text), f"[{separators}]", "")


def _polish(value: exp.Expression) -> exp.Expression:
    """'PL 123-456-32-18' -> '1234563218': only the prefix PL is removed."""
    return regexp_replace_all(_compact(value, " -"), "^PL", "")


def _mod11_check(d: exp.Expression, weights: tuple[int, ...], last: int) -> exp.Expression:
    """The digit at ``last`` is the weighted sum mod 11, with 10 read as 0 (REGON)."""
    return exp.EQ(this=exp.Mod(this=exp.paren(weighted_sum_mod11(d, weights)), expression=exp.Literal.number(10)),
                  expression=digit_at(d, last))


def nip(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """Polish NIP: 10 digits, weights 6,5,7,2,3,4,5,6,7, sum mod 11 equals the last digit
    (a sum of 10 is no valid number)."""
    d = _polish(value)
    ok = exp.and_(full_match(d, "[0-9]{10}"),
                  exp.EQ(this=weighted_sum_mod11(d, (6, 5, 7, 2, 3, 4, 5, 6, 7)), expression=digit_at(d, 10)))
    return failing(d, d.copy(), ok, "invalid_nip")


def regon(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """Polish REGON: 9 digits (weights 8,9,2,3,4,5,6,7), or 14 (2,4,8,5,0,9,7,3,6,1,2,4,8) whose
    first 9 are the entity's REGON and valid too; sum mod 11, 10 read as 0."""
    d = _polish(value)
    nine = _mod11_check(d, (8, 9, 2, 3, 4, 5, 6, 7), 9)
    ok = exp.or_(
        exp.and_(full_match(d, "[0-9]{9}"), nine),
        exp.and_(full_match(d, "[0-9]{14}"), nine.copy(), _mod11_check(d, (2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8), 14)),
    )
    return failing(d, d.copy(), ok, "invalid_regon")


def vat_id(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """EU VAT number with its country prefix, without separators: 'pl 123-456-32-18' -> 'PL1234563218'.
    A number without a prefix, with one that is not an EU country's, or not of its country's shape
    rejects."""
    compact = _compact(value, " .-")
    shapes = "|".join(f"{country}(?:{shape})" for country, shape in sorted(VAT_SHAPES.items()))
    return failing(compact, compact.copy(), full_match(compact, shapes), "invalid_vat_id")
