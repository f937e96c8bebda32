"""Field type -> DuckDB type. Values are read as text and cast with TRY_CAST;
a non-empty value that does not cast rejects its row (rule ``invalid_<type>``)."""

from __future__ import annotations

from sqlglot import exp

#: ``decimal`` keeps 4 decimal places and 14 integer digits (money, rates, quantities).
SQL_TYPES: dict[str, str] = {
    "integer": "BIGINT",
    "decimal": "DECIMAL(18, 4)",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "boolean": "BOOLEAN",
}


def sql_type(field_type: str) -> exp.DataType:
    return exp.DataType.build(SQL_TYPES.get(field_type, "VARCHAR"), dialect="duckdb")
