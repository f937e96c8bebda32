"""sqlgen builds its trees without copying what it just built (``copy=False`` where a tree is fresh):
so no node may sit in two places. A node in two statements, or twice in one, would be changed in
both by any later pass that edits one in place (the Spark passes, the generator), silently.

Every compiled tree here must be a tree: each node reached once over the whole bundle, its parent
the node it was reached from.
"""

from __future__ import annotations

import pytest
from sqlglot import exp

from compiler import api
from compiler.errors import Span
from compiler.order import build_order
from compiler.sqlgen import compile_spec
from compiler.sqlgen.transforms import TRANSFORMS, RowInput
from compiler.validate.build import _transform
from tests.helpers import ROOT
from tests.unit.test_transform_sql import SPECS as TRANSFORM_SPECS

SPECS = (*api.discover_specs(ROOT / "specs"), *sorted((ROOT / "tests" / "e2e" / "fixtures").glob("*/*.yaml")))


def misplaced(statements: list[exp.Expression]) -> list[str]:
    """Nodes met twice, or whose parent is not the node above them: the SQL of each, cut short."""
    seen: set[int] = set()
    bad: list[str] = []
    for statement in statements:
        stack: list[tuple[exp.Expression, exp.Expression | None]] = [(statement, None)]
        while stack:
            node, above = stack.pop()
            if id(node) in seen or (above is not None and node.parent is not above):
                bad.append(node.sql(dialect="duckdb")[:120])
            seen.add(id(node))
            stack.extend((child, node) for child in node.iter_expressions())
    return bad


def test_misplaced_finds_a_shared_node():
    shared = exp.column("x")
    one, two = exp.select(shared), exp.select(exp.column("y"))
    two.expressions.append(shared)  # in two trees; its parent says the first
    assert misplaced([one, two]) != []
    assert misplaced([one]) == []


@pytest.mark.parametrize("spec", SPECS, ids=[p.stem for p in SPECS])
def test_every_node_in_one_place(spec):
    validated = api.validate_spec(spec, read_rows=False)
    bundle = compile_spec(validated, build_order(validated))
    assert misplaced([s for f in bundle.files for s in f.statements]) == []


def test_every_transform_builds_trees():
    """Each transform's value and failures (the golden cases: every transform, some the specs above do not use;
    phone with fallbacks and with a row's region too)."""
    specs = {**TRANSFORM_SPECS, "phone_fallback": {"phone": {"region": "PL", "fallback": ["DE", "FR"]}},
             "phone_row_region": {"phone": {"region": "PL", "fallback": ["US"]}}}
    for name, spec in specs.items():
        t = _transform(Span("t"), spec)
        args = dict(t.args)
        if name == "phone_row_region":
            args["region_from"] = RowInput(exp.column("country", quoted=True), "country")
        applied = TRANSFORMS[t.name](exp.column("value", quoted=True), args)
        trees = [applied.value, *(x for f in applied.failures for x in (f.invalid, f.given, f.detail) if x is not None)]
        assert misplaced(trees) == [], name
