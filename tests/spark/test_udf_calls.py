"""The phone and e-mail UDFs run on Spark exactly once per row the SQL fast path leaves.

Spark calls a Python UDF on every row that reaches it, whatever CASE holds it; ferry guards
the input (``engines.spark.guards``) and the Arrow UDF skips a NULL input. Counted here: the
UDFs are registered through a wrapper that writes one line per call (the value it was given)
to a file, the transform's value and reject conditions run on Spark as a per-row query, and
the calls are compared, value for value, with the rows DuckDB's fast path leaves over the same
inputs: there the library call is replaced by a marker and its input, so DuckDB says which rows
reach it (no UDF, no Spark).
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from sqlglot import exp

from compiler.engines.spark import passes, udfs
from compiler.errors import Span
from compiler.sqlgen.transforms import TRANSFORMS
from compiler.validate.build import _transform
from tests.spark.parity import _plain, on_duckdb
from tests.spark.test_parity import CORPUS, V

#: Each leads the fast path somewhere: settled in SQL, NULL or empty, hopeless, or the library's
#: (an extension, letters, a calling code no named region has, a national form SQL leaves).
PHONES = ["+48 601 234 567", "601 234 567", "601-234-567", "0601234567", "48601234567", "+49 30 1234567",
          "0049 30 1234567", "+33 1 23 45 67 89", "+380 44 123 4567", "601 234 567 w. 12", "tel. 601234567",
          "+1 650 253 0000", "+44 20 7946 0958", "030 1234567", "01 23 45 67 89", "123", "brak", "-", "",
          "  ", None, "(22) 123-45-67", "+48 (22) 123 45 67", "22 123 45 67", "+48601234567 ext 5", "0048 601 234 567",
          "+7 495 123 45 67", "044 123 4567", "+48 601 234 567", "tel. 601234567", "x" * 300, "6012345678901234"]
EMAILS = ["jan.kowalski@example.com", " Jan@Example.COM ", "bad@@x", "@x.pl", "x@", "noat", None, "", "zażółć@example.pl",
          "a@b", "postmaster@example.com", "ab@xn--e1afmkfd.xn--p1ai", "user+tag@sub.example.co.uk", "\"quoted\"@example.com",
          "jan@exa_mple.com", "jan..kowalski@example.com", "jan@[127.0.0.1]", "jan.kowalski@example.com"]
CASES = {
    "ferry_phone_e164": ({"phone": {"region": "PL", "fallback": ["DE", "FR", "UA"]}}, PHONES + CORPUS),
    "ferry_email": ("email", EMAILS + CORPUS),
}
MARK = "+ferry-udf@"  # a phone answer must start with '+' to be kept as the value; an e-mail's is kept as it is


def per_row(spec) -> dict[str, exp.Expression]:
    """The transform's value and each reject condition: the columns a per-row query computes from it."""
    t = _transform(Span("t"), spec)
    applied = TRANSFORMS[t.name](V.copy(), dict(t.args))
    out = {"value": applied.value}
    for i, failure in enumerate(applied.failures):
        out[f"{failure.rule} {i}"] = exp.func("coalesce", failure.invalid, exp.false())
        if failure.detail is not None:
            out[f"{failure.rule} detail {i}"] = failure.detail
    return out


def leftovers(name: str, expressions: dict[str, exp.Expression], inputs: list) -> Counter:
    """The inputs DuckDB's fast path hands to ``name``: each call becomes the marker and its first argument."""
    def marked(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous) and node.name.lower() == name:
            return exp.DPipe(this=exp.Literal.string(MARK), expression=node.expressions[0].copy(), safe=True)
        return node
    values = [row[0] for row in on_duckdb({"value": expressions["value"].transform(marked)}, inputs)]
    return Counter(v[len(MARK):] for v in values if v is not None and v.startswith(MARK))


def on_spark_once(spark, expressions: dict[str, exp.Expression], inputs: list, folder) -> list[tuple]:
    """The per-row query run as the Spark runner runs one: written once to Parquet (a query with ORDER BY
    would run twice, once to sample the sort's ranges), then read back in input order."""
    spark.createDataFrame(list(enumerate(inputs)), "i BIGINT, v STRING").createOrReplaceTempView("ferry_calls")
    columns = [exp.alias_(passes.expression(e), name, quoted=True) for name, e in expressions.items()]
    spark.sql(exp.select(exp.column("i"), *columns).from_("ferry_calls").sql(dialect="spark")).write.parquet(str(folder))
    rows = sorted(spark.read.parquet(str(folder)).collect(), key=lambda row: row[0])
    return [tuple(_plain(v) for v in row[1:]) for row in rows]


def counting(log):
    def wrap(name, function):
        def counted(*args):
            with open(log, "a", encoding="utf-8") as out:  # one short line per call: appends do not interleave
                out.write(json.dumps([name, args[0]]) + "\n")
            return function(*args)
        return counted
    return wrap


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_udf_runs_exactly_once_per_leftover_row(spark, tmp_path, name):
    spec, inputs = CASES[name]
    expressions = per_row(spec)
    want = leftovers(name, expressions, inputs)
    present = sum(1 for v in inputs if v is not None and v.strip(" "))
    assert 0 < sum(want.values()) < present  # some rows are the library's, most are settled in SQL
    log = tmp_path / "calls.jsonl"
    udfs.register(spark, wrap=counting(log))
    try:
        got = on_spark_once(spark, expressions, inputs, tmp_path / "rows.parquet")
    finally:
        udfs.register(spark)  # the shared session's UDFs as the other tests expect them
    calls = [json.loads(line) for line in log.read_text("utf-8").splitlines()] if log.exists() else []
    assert Counter(value for called, value in calls if called == name) == want
    assert got == on_duckdb(expressions, inputs)  # and the same answers
