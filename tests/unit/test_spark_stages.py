"""``engines.spark.stages.split`` keeps a query's meaning: the split query gives the same rows.

Checked on DuckDB (no JVM needed): the company step's per-row query (every field's transforms,
~260 kB of Spark SQL with the phone number's digits repeated ~330 times) and small cases with
guards, lambdas and a UDF-like call that must stay inside its CASE.
"""

from __future__ import annotations

import duckdb
import sqlglot
from sqlglot import exp

from compiler.engines.spark import stages
from tests.helpers import ROOT


def rows(query: exp.Expression, table: str, values: list) -> list:
    con = duckdb.connect()
    con.execute(f'CREATE TABLE "{table}" (a VARCHAR, b VARCHAR)')
    con.executemany(f'INSERT INTO "{table}" VALUES (?, ?)', values)
    return con.execute(query.sql(dialect="duckdb")).fetchall()


VALUES = [(" 601 234 567 ", "x"), (None, None), ("", "  "), ("+48 601-234-567", "Ab"), ("abc", "abc")]


def test_repeated_values_are_computed_once_with_the_same_rows():
    query = sqlglot.parse_one(
        "SELECT CASE WHEN upper(trim(s.a)) = 'ABC' THEN lower(trim(s.a)) || 'y' ELSE lower(trim(s.a)) END AS c, "
        "upper(trim(s.a)) AS d, length(regexp_replace(trim(s.a), '[^0-9]', '', 'g')) AS e, "
        "regexp_replace(trim(s.a), '[^0-9]', '', 'g') AS f FROM t AS s", read="duckdb")
    split = stages.split(query)
    assert split.sql(dialect="duckdb").count("REGEXP_REPLACE") == 1  # computed once, read twice
    assert rows(split, "t", VALUES) == rows(query, "t", VALUES)


def test_a_cast_and_a_lambda_variable_stay_where_they_are():
    query = sqlglot.parse_one(
        "SELECT CASE WHEN trim(s.a) SIMILAR TO '[0-9]+' THEN CAST(trim(s.a) AS INT) END AS n, "
        "CASE WHEN trim(s.a) SIMILAR TO '[0-9]+' THEN CAST(trim(s.a) AS INT) + 1 END AS m, "
        "list_transform([trim(s.b), trim(s.b)], x -> upper(x) || upper(x)) AS l FROM t AS s", read="duckdb")
    split = stages.split(query)
    assert not any(isinstance(n, exp.Cast) and not n.to.is_type(*exp.DataType.TEXT_TYPES)
                   for layer in split.find_all(exp.Subquery) for p in layer.this.expressions for n in p.walk())
    assert rows(split, "t", VALUES) == rows(query, "t", VALUES)


def test_a_query_of_another_shape_is_left_alone():
    query = sqlglot.parse_one("SELECT trim(s.a), trim(s.a) FROM t AS s JOIN u ON TRUE", read="duckdb")
    assert stages.split(query) is query


def test_the_company_steps_transforms_shrink_and_parse_as_spark_sql():
    text = (ROOT / "generated/legacy_crm/spark/020_company.sql").read_text("utf-8")
    checked = next(s for s in sqlglot.parse(text, read="spark")
                   if isinstance(s, exp.Create) and s.this.name == "_ferry_checked_company")
    mapped = checked.expression.args["with_"].expressions[0].this
    split = stages.split(mapped)
    before, after = len(mapped.sql(dialect="spark")), len(split.sql(dialect="spark"))
    # sqlgen builds a field's repeated values once (sqlgen.shared): 260 kB before, which Spark's analyzer
    # did not plan in 10 minutes; the split shares what still repeats across fields, and never adds.
    assert after <= before < 100_000, (before, after)
    assert [p.alias_or_name for p in split.expressions] == [p.alias_or_name for p in mapped.expressions]
    sqlglot.parse_one(split.sql(dialect="spark"), read="spark")
    # the phone UDF is still called only inside the CASE branch that guards it
    for call in split.find_all(exp.Anonymous):
        if call.name.upper() in stages.GUARDED_CALLS:
            assert any(isinstance(a, (exp.If, exp.Case)) for a in _ancestors(call))


def _ancestors(node: exp.Expression):
    while node.parent is not None:
        node = node.parent
        yield node
