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
from compiler.order import build_order
from compiler.sqlgen import compile_spec
from tests.helpers import ROOT

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
