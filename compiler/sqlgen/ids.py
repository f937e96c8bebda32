"""Stable record ids: UUIDv5 over the entity, the source and the surviving record's old id.

``id = uuid5(FERRY_NAMESPACE, f"{entity}/{source}/{old id}")``, the same value
Python's ``uuid.uuid5`` gives (tested), computed in SQL so no row ever passes
through Python. The same input therefore always gets the same ids, and anyone
can recompute an id from a crosswalk row.
"""

from __future__ import annotations

import uuid

from sqlglot import exp

#: uuid5(NAMESPACE_URL, "https://ferry.dev/ids/v1"); never change it: every id depends on it.
FERRY_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://ferry.dev/ids/v1")


def name_for(entity: str, source: str, key: exp.Expression) -> exp.Expression:
    return exp.DPipe(this=exp.Literal.string(f"{entity}/{source}/"), expression=key, safe=True)


def sha1_of_name(name: exp.Expression) -> exp.Expression:
    """SHA-1 (hex) of namespace bytes + UTF-8 name bytes, as RFC 4122 section 4.3 asks."""
    namespace = exp.func("unhex", exp.Literal.string(FERRY_NAMESPACE.hex), dialect="duckdb")
    return exp.func("sha1", exp.DPipe(this=namespace, expression=exp.func("encode", name, dialect="duckdb")),
                    dialect="duckdb")


def _hex(h: exp.Expression, start: int, length: int) -> exp.Expression:
    return exp.Substring(this=h.copy(), start=exp.Literal.number(start), length=exp.Literal.number(length))


def uuid_from_sha1(h: exp.Expression) -> exp.Expression:
    """Format the first 128 bits as a UUID, setting version 5 and the RFC 4122 variant."""
    variant = exp.Substring(
        this=exp.Literal.string("89ab" * 4),
        start=exp.StrPosition(this=exp.Literal.string("0123456789abcdef"), substr=_hex(h, 17, 1)),
        length=exp.Literal.number(1),
    )
    parts = [_hex(h, 1, 8), exp.Literal.string("-"), _hex(h, 9, 4), exp.Literal.string("-5"), _hex(h, 14, 3),
             exp.Literal.string("-"), variant, _hex(h, 18, 3), exp.Literal.string("-"), _hex(h, 21, 12)]
    text = parts[0]
    for part in parts[1:]:
        text = exp.DPipe(this=text, expression=part, safe=True)
    return exp.cast(text, exp.DataType.build("UUID"))
