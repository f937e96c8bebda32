"""Running one set of expressions on both engines, for the parity tests.

``both`` evaluates named expressions (trees built by ``sqlgen`` for DuckDB) over a column
``v`` of text values: on DuckDB as ferry compiles them, on Spark after ``engines.spark``'s
rewrite. Each engine returns one tuple per input, in input order, values as Python objects
made comparable (dates and decimals as text, floats rounded to 12 digits).
"""

from __future__ import annotations

import datetime
import decimal
from typing import Any

import duckdb
from sqlglot import exp

from compiler import functions
from compiler.engines.spark import passes

CON = functions.register(duckdb.connect())


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 12)
    if isinstance(value, (datetime.date, decimal.Decimal)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    return value


def _query(expressions: dict[str, exp.Expression], table: str, dialect: str) -> str:
    columns = [exp.alias_(e, name, quoted=True) for name, e in expressions.items()]
    return exp.select(exp.column("i"), *columns).from_(table).order_by("i").sql(dialect=dialect)


def on_duckdb(expressions: dict[str, exp.Expression], inputs: list[Any]) -> list[tuple]:
    table = "(SELECT unnest($1::VARCHAR[]) AS v, unnest($2::BIGINT[]) AS i)"
    rows = CON.execute(_query(expressions, table, "duckdb"), [inputs, list(range(len(inputs)))]).fetchall()
    return [tuple(_plain(v) for v in row[1:]) for row in rows]


def on_spark(spark: Any, expressions: dict[str, exp.Expression], inputs: list[Any]) -> list[tuple]:
    frame = spark.createDataFrame(list(enumerate(inputs)), "i BIGINT, v STRING")
    frame.createOrReplaceTempView("ferry_parity")
    rewritten = {name: passes.expression(e) for name, e in expressions.items()}
    rows = spark.sql(_query(rewritten, "ferry_parity", "spark")).collect()
    return [tuple(_plain(v) for v in row[1:]) for row in rows]


def differences(inputs: list[Any], names: list[str], duck: list[tuple], spark: list[tuple]) -> list[str]:
    """One line per value that differs: the input, the expression, and what each engine gave."""
    out = []
    for value, d, s in zip(inputs, duck, spark):
        out.extend(f"{value!r} {name}: duckdb {a!r}, spark {b!r}" for name, a, b in zip(names, d, s) if a != b)
    return out
