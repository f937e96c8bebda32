"""Field -> DuckDB column type. Values are read as text and cast (``sqlgen.casts``);
a non-empty value that does not cast, or would change in the cast, rejects its row."""

from __future__ import annotations

from sqlglot import exp

from compiler.model import Field

#: ``decimal`` takes the field's precision and scale (``decimal_type``).
SQL_TYPES: dict[str, str] = {
    "integer": "BIGINT",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "boolean": "BOOLEAN",
}


def decimal_type(field: Field) -> exp.DataType:
    """DECIMAL(precision, scale); build fills the defaults (18, 4), so both are set."""
    assert field.precision is not None and field.scale is not None, field.name
    return exp.DataType(this=exp.DataType.Type.DECIMAL, expressions=[
        exp.DataTypeParam(this=exp.Literal.number(field.precision)),
        exp.DataTypeParam(this=exp.Literal.number(field.scale))])


def sql_type(field: Field) -> exp.DataType:
    if field.type == "decimal":
        return decimal_type(field)
    return exp.DataType.build(SQL_TYPES.get(field.type, "VARCHAR"), dialect="duckdb")


#: How DuckDB names a column's type in ``information_schema.columns`` (``decimal``: ``DECIMAL(p,s)``).
TYPE_NAMES: dict[str, str] = {"string": "VARCHAR", "integer": "BIGINT", "date": "DATE", "timestamp": "TIMESTAMP",
                              "boolean": "BOOLEAN"}


def type_name(field: Field) -> str:
    if field.type == "decimal":
        return f"DECIMAL({field.precision},{field.scale})"
    return TYPE_NAMES[field.type]
