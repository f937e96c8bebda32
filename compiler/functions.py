"""Functions the compiled SQL may call that DuckDB does not have, registered by whoever runs it.

In:  a DuckDB connection.
Out: the same connection with ``FUNCTIONS`` registered.

Kept as small as possible: each function is the slow path of a transform whose
common cases compile to plain SQL (see ``sqlgen.transforms.phone``), so it runs
only on the values SQL could not settle, and only once per distinct value.
"""

from __future__ import annotations

from functools import lru_cache

import duckdb
import email_validator
import phonenumbers
from duckdb.sqltypes import VARCHAR


@lru_cache(maxsize=1 << 16)
def phone_e164(value: str | None, regions: str | None) -> str | None:
    """E.164 of the first number phonenumbers parses from ``value`` and finds valid
    (``is_valid_number``: a number of a type its country assigns, not merely of a possible
    length), with each of ``regions`` ("PL" or "FR,PL,DE") as the default country in turn;
    None when no region gives a valid number."""
    if value is None or regions is None:
        return None
    for region in regions.split(","):
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


@lru_cache(maxsize=1 << 16)
def email_normalized(value: str | None) -> str | None:
    """email-validator's normalized form (syntax only, no DNS); None when the address is invalid."""
    if value is None:
        return None
    try:
        return email_validator.validate_email(value, check_deliverability=False).normalized
    except email_validator.EmailNotValidError:
        return None


#: name -> (python function, argument types, return type)
FUNCTIONS = {
    "ferry_phone_e164": (phone_e164, [VARCHAR, VARCHAR], VARCHAR),
    "ferry_email": (email_normalized, [VARCHAR], VARCHAR),
}


def register(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    for name, (function, arguments, returns) in sorted(FUNCTIONS.items()):
        con.create_function(name, function, arguments, returns, side_effects=False, null_handling="special")
    return con
