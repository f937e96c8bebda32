"""Field transforms: name -> builder from a text expression to an ``Applied`` step.

``TRANSFORMS`` is the whole registry. A builder gets the value so far and the
transform's arguments and returns the new text value and, for transforms that
can fail (an unparseable date, an unmapped status, a bad NIP checksum), the
condition that marks the input as invalid and the reject rule to report. The
entity compiler turns each such condition into a reject reason that carries
the offending input value, so nothing is silently nulled.

Everything compiles to plain DuckDB SQL; arguments are spec values and enter
the tree only as literals. The builders live by kind: ``text``, ``dates``, ``parse``
(booleans), ``amounts`` (locale decimals), ``taxid`` (NIP, REGON, VAT numbers), ``phone`` (with
``phonemeta``, what it reads of phonenumbers) and
``contact`` (emails); ``base`` has ``Applied``.
"""

from __future__ import annotations

from compiler.sqlgen.transforms.base import Applied, Builder, RowInput
from compiler.sqlgen.transforms.contact import email
from compiler.sqlgen.transforms.amounts import decimal
from compiler.sqlgen.transforms.dates import date, timestamp
from compiler.sqlgen.transforms.parse import boolean
from compiler.sqlgen.transforms.phone import phone
from compiler.sqlgen.transforms.taxid import nip, regon, vat_id
from compiler.sqlgen.transforms.text import (blank_as_null, default, digits, lower, map_values, replace, split,
                                             squish, title, trim, upper)

__all__ = ["TRANSFORMS", "Applied", "Builder", "RowInput"]

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
