"""Every statement of every spec's Spark steps is Spark SQL: Spark's own parser reads it.

A statement Spark's parser refuses must be one of the kinds the Spark runner is to carry
out its own way (``TO_THE_RUNNER``: writes to the target and DuckDB macros); anything else
is a translation the Spark engine got wrong. The counts are printed for the record.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlglot import exp

from compiler import api
from compiler.engines.spark import DIALECT, passes
from compiler.order import build_order
from compiler.sqlgen import compile_spec
from tests.helpers import ROOT


def _star_replace(tree: exp.Expression) -> bool:
    return any(s.args.get("replace") for s in tree.find_all(exp.Star)) or any(
        c.this.args.get("replace") for c in tree.find_all(exp.Column) if isinstance(c.this, exp.Star))


#: Statements not yet Spark SQL, by kind: what the Spark runner (round 2) does instead.
TO_THE_RUNNER = {
    "ALTER TABLE ... ADD COLUMN IF NOT EXISTS on the target (the run writes Parquet instead)":
        lambda t: isinstance(t, exp.Alter),
    "UPDATE ... FROM on the target (the deferred references: joined before writing instead)":
        lambda t: isinstance(t, exp.Update),
    "DuckDB macros (the fold of fuzzy rules: a Spark SQL function or UDF instead)":
        lambda t: isinstance(t, exp.Create) and t.kind == "MACRO",
    "SELECT * REPLACE (survivorship: explicit columns instead)": _star_replace,
}


def statements():
    for path in api.discover_specs(ROOT / "specs"):
        spec = api.validate_spec(path)
        bundle = compile_spec(spec, build_order(spec))
        try:
            rewritten = [(f.name, passes.rewrite(f.statements, f.step).statements) for f in bundle.files]
        except passes.Unsupported:
            continue  # no spark/ folder for this spec (the manifest says why)
        for name, trees in rewritten:
            for tree in trees:
                yield spec.name, name, tree


def test_every_spark_statement_parses_or_is_left_to_the_runner(spark):
    parser = spark._jsparkSession.sessionState().sqlParser()
    kinds, wrong, parsed = Counter(), [], 0
    for spec, name, tree in statements():
        text = tree.sql(dialect=DIALECT, pretty=True)
        try:
            parser.parsePlan(text)
            parsed += 1
            continue
        except Exception as exc:  # a ParseException through py4j
            error = " ".join(str(exc).split())[:200]
        kind = next((k for k, is_kind in TO_THE_RUNNER.items() if is_kind(tree)), None)
        if kind is None:
            wrong.append(f"{spec} {name}: {error}")
        else:
            kinds[kind] += 1
    print(f"\n{parsed} statements parse; left to the runner: {dict(kinds)}")
    assert parsed > 0
    assert not wrong, "\n".join(wrong)
