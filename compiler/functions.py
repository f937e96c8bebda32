"""Functions the compiled SQL may call that DuckDB does not have, registered by whoever runs it.

In:  a DuckDB connection.
Out: the same connection with ``FUNCTIONS`` registered.

Kept as small as possible: each function is the slow path of a transform whose
common cases compile to plain SQL (see ``sqlgen.transforms.phone``), so it runs
only on the values SQL could not settle, and only once per distinct value. Its
library is imported at the first call: a spec without phones or e-mails runs
without loading phonenumbers and email-validator (0.05-0.1 s per run).
"""

from __future__ import annotations

from functools import lru_cache

import duckdb
from duckdb.sqltypes import VARCHAR

from compiler.markers import AMBIGUOUS_PHONE




def _valid_e164(value: str, region: str) -> str | None:
    """E.164 of ``value`` read with ``region`` as the default country, when phonenumbers finds it
    valid (``is_valid_number``: a number of a type its country assigns, not merely of a possible
    length); None otherwise."""
    import phonenumbers

    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) \
        if phonenumbers.is_valid_number(number) else None


@lru_cache(maxsize=1 << 16)
def phone_e164(value: str | None, regions: str | None, fallback: str | None) -> str | None:
    """``value`` as E.164: valid with one of ``regions`` ("FR,PL": the row's region, then the
    spec's), the first that gives one; else valid with exactly one number over ``fallback``
    ("UA,DE,FR"; several regions giving the same number count once); None when none gives a
    valid number. Two or more different numbers are ambiguous: ``AMBIGUOUS_PHONE`` and the
    candidates, "UA +380624306069, DE +49624306069", each region that gives one, in order."""
    if value is None:
        return None
    for region in (regions or "").split(","):
        if region and (number := _valid_e164(value, region)) is not None:
            return number
    candidates = [(region, number) for region in (fallback or "").split(",")
                  if region and (number := _valid_e164(value, region)) is not None]
    if len({number for _, number in candidates}) > 1:
        return AMBIGUOUS_PHONE + ", ".join(f"{region} {number}" for region, number in candidates)
    return candidates[0][1] if candidates else None


@lru_cache(maxsize=1 << 16)
def email_normalized(value: str | None) -> str | None:
    """email-validator's normalized form (syntax only, no DNS); None when the address is invalid."""
    if value is None:
        return None
    import email_validator

    try:
        return email_validator.validate_email(value, check_deliverability=False).normalized
    except email_validator.EmailNotValidError:
        return None


#: name -> (python function, argument types, return type)
FUNCTIONS = {
    "ferry_phone_e164": (phone_e164, [VARCHAR, VARCHAR, VARCHAR], VARCHAR),
    "ferry_email": (email_normalized, [VARCHAR], VARCHAR),
}


def register(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """NULL handling 'special': the functions answer NULL (invalid), which DuckDB's default
    forbids; the compiled SQL calls them only on values it could not settle, never on NULL."""
    for name, (function, arguments, returns) in sorted(FUNCTIONS.items()):
        con.create_function(name, function, arguments, returns, side_effects=False, null_handling="special")
    return con
