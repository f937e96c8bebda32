"""The compiled Spark session functions (``000_functions.sql``: ferry's fold) give the DuckDB macros' values.

The file the Spark runner runs first is run here as it runs it (``runner.define_functions``), in the
shared session; the fold is then called as the Spark steps call it, on texts with every letter the
fold spells out and on generated ones, and compared with the DuckDB prelude's macro.
"""

from __future__ import annotations

import json

import duckdb
from hypothesis import HealthCheck, example, given, settings, strategies as st
from sqlglot import exp

from compiler.engines.spark import runner, sqlfunctions
from compiler.sqlgen import fold
from tests.helpers import ROOT

FOLDER = ROOT / "generated" / "legacy_crm"
LETTERS = "".join([*fold.COMMON, *fold.COMMON_LONG, *fold.RARE])
TEXTS = ["Łukasz Wójcik", "STRAßE", "Ærøskøbing", "ﬁlip Ĳsselmeer", "Ｆｕｌｌ", "plain", "", None, LETTERS,
         "Ωμέγα ς", "😀 ǅ"]


def on_duckdb(texts: list) -> list:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA _ferry")
    for create in fold.compile_macros():
        con.execute(create.sql(dialect="duckdb"))
    rows = con.execute("SELECT i, _ferry.fold(t) FROM (SELECT unnest($1::VARCHAR[]) AS t, "
                       "unnest(range(len($1))) AS i) ORDER BY i", [texts]).fetchall()
    return [r[1] for r in rows]


def on_spark(spark, texts: list) -> list:
    manifest = json.loads((FOLDER / "manifest.json").read_text("utf-8"))
    runner.define_functions(spark, manifest, {sqlfunctions.FILE: (FOLDER / "spark" / sqlfunctions.FILE).read_text("utf-8")})
    spark.createDataFrame(list(enumerate(texts)), "i BIGINT, t STRING").createOrReplaceTempView("ferry_fold_texts")
    call = exp.Anonymous(this="FERRY_FOLD", expressions=[exp.column("t")])
    query = exp.select("i", call).from_("ferry_fold_texts").order_by("i").sql(dialect="spark")
    return [r[1] for r in spark.sql(query).collect()]


def test_the_compiled_fold_function_gives_the_macros_values(spark):
    want = on_duckdb(TEXTS)
    assert want[0] == "Lukasz Wojcik" and want[1] == "STRAssE"
    assert on_spark(spark, TEXTS) == want


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet=st.sampled_from(LETTERS + "aeéóąÅ Ως1-"), max_size=20), min_size=1, max_size=40))
@example(["ǅ", "ĳ ß", ""])
def test_the_fold_function_on_generated_text(spark, texts):
    assert on_spark(spark, texts) == on_duckdb(texts)
