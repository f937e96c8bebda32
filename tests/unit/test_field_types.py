"""A field's column type is the same in the DuckDB target, the PostgreSQL load script and the cast."""

from __future__ import annotations

import pytest
from sqlglot import exp

from compiler.errors import Span
from compiler.model import FIELD_TYPES, Field
from compiler.render.postgres import pg_type
from compiler.sqlgen.casts import typed_value
from compiler.sqlgen.types import sql_type, type_name

#: DuckDB's name of a type -> PostgreSQL's, for the types ferry uses (decimals are compared by digits).
SAME = {"VARCHAR": "text", "BIGINT": "bigint", "DATE": "date", "TIMESTAMP": "timestamp", "BOOLEAN": "boolean"}
DIGITS = [(18, 4), (12, 2), (38, 0), (5, 5), (1, 0)]


def field(type_: str, precision: int | None = None, scale: int | None = None) -> Field:
    return Field("f", ("f",), type_, (), Span("t"), (Span("t"),), precision=precision, scale=scale)


@pytest.mark.parametrize("type_", [t for t in FIELD_TYPES if t != "decimal"])
def test_plain_types_agree(type_):
    f = field(type_)
    assert SAME[type_name(f)] == pg_type(f)
    assert sql_type(f).sql(dialect="duckdb") == exp.DataType.build(type_name(f)).sql(dialect="duckdb")


@pytest.mark.parametrize("precision,scale", DIGITS)
def test_decimals_keep_their_precision_and_scale_everywhere(precision, scale):
    f = field("decimal", precision, scale)
    assert type_name(f) == f"DECIMAL({precision},{scale})"
    assert pg_type(f) == f"numeric({precision},{scale})"
    assert sql_type(f).sql(dialect="duckdb") == f"DECIMAL({precision}, {scale})"
    cast = typed_value(f, exp.column("v")).find(exp.TryCast)
    assert cast is not None and cast.to.sql(dialect="duckdb") == f"DECIMAL({precision}, {scale})"
