"""The SQL UUIDv5 must equal Python's uuid.uuid5 for any old id, including non-ASCII ones."""

from __future__ import annotations

import uuid

import duckdb
from hypothesis import example, given, settings, strategies as st
from sqlglot import exp

from compiler.sqlgen import ids

CON = duckdb.connect()


def sql_uuid(entity: str, source: str, key: str) -> uuid.UUID:
    name = ids.name_for(entity, source, exp.Literal.string(key))
    query = exp.select(ids.uuid5(name))
    return CON.execute(query.sql(dialect="duckdb")).fetchone()[0]


@given(st.text(min_size=1, max_size=40))
@example("1001")
@example("Łódź ' \"; DROP TABLE x; --")
@example("Київ")
@settings(max_examples=200, deadline=None)
def test_sql_uuid5_matches_python(key):
    assert sql_uuid("contact", "contacts", key) == uuid.uuid5(ids.FERRY_NAMESPACE, f"contact/contacts/{key}")


def test_namespace_is_the_documented_constant():
    assert ids.FERRY_NAMESPACE == uuid.uuid5(uuid.NAMESPACE_URL, "https://ferry.dev/ids/v1")
    assert sql_uuid("company", "companies", "1001").version == 5
