"""Connected components on Spark (large-star/small-star) agree with DuckDB's recursive CTE.

The DuckDB side is the query ``sqlgen.dedup`` compiles for an entity's clusters, run on a
pairs table; the Spark side is ``engines.spark.components``. Graphs: random ones (hypothesis; up to
six at a time, side by side in one Spark run),
a long chain (the worst case for label propagation), a large star, and disjoint pieces.
"""

from __future__ import annotations

import duckdb
import pytest
import sqlglot
from hypothesis import HealthCheck, example, given, settings, strategies as st

from compiler.engines.spark.components import TooManyRounds, components
from compiler.sqlgen import dedup, names

Edges = list[tuple[int, int]]


def on_duckdb(edges: Edges) -> set[tuple[int, int]]:
    con = duckdb.connect()
    pairs = names.table_name(names.pairs_table("x"))
    con.execute(f'CREATE TABLE "{pairs}" (a BIGINT, b BIGINT)')
    con.executemany(f'INSERT INTO "{pairs}" VALUES (?, ?)', edges)
    query = sqlglot.parse_one(dedup._COMPONENTS, read="duckdb").transform(
        lambda n: names.pairs_table("x") if isinstance(n, sqlglot.exp.Table) and n.name == "pairs" else n)
    return set(con.execute(query.sql(dialect="duckdb")).fetchall())


def on_spark(spark, edges: Edges, max_rounds: int = 64) -> set[tuple[int, int]]:
    frame = spark.createDataFrame(edges, "a BIGINT, b BIGINT")
    return {(r["node"], r["comp"]) for r in components(frame, max_rounds).collect()}


GRAPHS = st.lists(st.tuples(st.integers(1, 60), st.integers(1, 60)), min_size=1, max_size=80)


def side_by_side(graphs: list[Edges]) -> Edges:
    """The graphs as one: graph k's node n becomes k * 100 + n, so no two graphs share a node and each
    keeps its own components (and its smallest node, moved the same way): many graphs, one Spark run."""
    return [(k * 100 + a, k * 100 + b) for k, edges in enumerate(graphs) for a, b in edges]


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(GRAPHS, min_size=1, max_size=6))
@example([[(1, 2), (3, 4), (2, 3), (10, 11), (5, 5)]])
def test_random_graphs(spark, graphs):
    edges = side_by_side(graphs)
    assert on_spark(spark, edges) == on_duckdb(edges)


def test_a_long_chain_in_shuffled_order(spark):
    import random

    nodes = list(range(1, 201))
    random.Random(7).shuffle(nodes)
    edges = list(zip(nodes, nodes[1:]))
    got = on_spark(spark, edges)
    assert got == on_duckdb(edges)
    assert {c for _, c in got} == {1}


def test_a_large_star_and_pieces(spark):
    edges = [(500, n) for n in range(501, 1500)] + [(2000, 2001), (2002, 2001), (3000, 3000)]
    got = on_spark(spark, edges)
    assert got == on_duckdb(edges)
    assert len({c for _, c in got}) == 3


def test_hitting_the_bound_is_an_error_not_a_hang(spark):
    edges = [(n, n + 1) for n in range(1, 300)]
    with pytest.raises(TooManyRounds) as raised:
        on_spark(spark, edges, max_rounds=2)
    assert raised.value.args[0] == 2
