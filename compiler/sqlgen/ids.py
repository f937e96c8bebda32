"""Stable record ids: UUIDv5 over the entity, the source and the surviving record's old id.

``id = uuid5(FERRY_NAMESPACE, f"{entity}/{source}/{old id}")``, the same value
Python's ``uuid.uuid5`` gives (tested), computed in SQL so no row ever passes
through Python. The same input therefore always gets the same ids, and anyone
can recompute an id from a crosswalk row.
"""

from __future__ import annotations

import uuid

from sqlglot import exp

from compiler.model import Entity
from compiler.sqlgen import names

#: uuid5(NAMESPACE_URL, "https://ferry.dev/ids/v1"); never change it: every id depends on it.
FERRY_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://ferry.dev/ids/v1")


def name_for(entity: str, source: str, key: exp.Expression) -> exp.Expression:
    return exp.DPipe(this=exp.Literal.string(f"{entity}/{source}/"), expression=key, safe=True)


def record_id(entity: Entity, source: str, survivor: exp.Expression) -> exp.Expression:
    """The new id of a record whose surviving row has the old id ``survivor``. With several sources
    the old id is "<source>/<id>": the same id as if the entity had that one source."""
    if entity.multi:
        return uuid5(exp.DPipe(this=exp.Literal.string(f"{entity.name}/"), expression=survivor, safe=True))
    return uuid5(name_for(entity.name, source, survivor))


#: Bit masks over the first 128 bits of the SHA-1: clear, then set, the version (5) and variant (10) bits.
_VERSION_VARIANT_CLEAR = ((1 << 128) - 1) & ~(0xF << 76) & ~(0x3 << 62)
_VERSION_VARIANT_SET = (0x5 << 76) | (0x2 << 62)


def _uint128(value: int) -> exp.Expression:
    return exp.cast(exp.Literal.string(str(value)), exp.DataType.build("UHUGEINT", dialect="duckdb"))


def uuid5(name: exp.Expression) -> exp.Expression:
    """UUIDv5 of ``name`` (RFC 4122 section 4.3): SHA-1 of namespace bytes + UTF-8 name, first 128 bits,
    version and variant bits set with integer masks.

    The hash is referenced once, on purpose: a string-slicing formulation refers to it
    several times, and DuckDB then computes the SHA-1 once per reference.
    """
    namespace = exp.func("unhex", exp.Literal.string(FERRY_NAMESPACE.hex), dialect="duckdb")
    digest = exp.func("sha1", exp.DPipe(this=namespace, expression=exp.func("encode", name, dialect="duckdb")),
                      dialect="duckdb")
    first_128_bits = exp.DPipe(this=exp.Literal.string("0x"), safe=True, expression=exp.Substring(
        this=digest, start=exp.Literal.number(1), length=exp.Literal.number(32)))
    as_int = exp.cast(first_128_bits, exp.DataType.build("UHUGEINT", dialect="duckdb"))
    masked = exp.BitwiseOr(this=exp.paren(exp.BitwiseAnd(this=as_int, expression=_uint128(_VERSION_VARIANT_CLEAR))),
                           expression=_uint128(_VERSION_VARIANT_SET))
    uuid = exp.cast(masked, exp.DataType.build("UUID"))
    uuid.meta[names.UUID5] = name.copy()  # engines without 128-bit integers build it from the hex digest
    return uuid
