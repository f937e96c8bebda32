"""Connected components on Spark: the duplicate graph's clusters without a recursive CTE.

In:  a DataFrame of pairs ``(a, b)`` (row numbers) and a bound on the rounds.
Out: a DataFrame ``(node, comp)``: every node of the graph with the smallest node it reaches,
the same rows DuckDB's label propagation (``sqlgen.dedup``) gives.

Large-star / small-star (Kiveris et al., "Connected Components in MapReduce and Beyond",
2014): each round links every node to the smallest node of its neighbourhood, and the graph
shrinks to one star per component, centred on its smallest node, in O(log² n) rounds (about
9 on 267k edges). A graph that has not settled after ``max_rounds`` rounds is an error
(``TooManyRounds``), never a hang. Each round is checkpointed so the plan does not grow.
"""

from __future__ import annotations

from typing import Any, Callable

MAX_ROUNDS = 64


class TooManyRounds(Exception):
    """The edges still changed after ``args[0]`` rounds."""


def _large_star(edges: Any, F: Any) -> Any:
    """Each node u links its larger neighbours to the smallest of u and its neighbours."""
    both = edges.union(edges.select(F.col("b").alias("a"), F.col("a").alias("b")))
    smallest = both.groupBy("a").agg(F.least(F.min("b"), F.col("a")).alias("m"))
    return (both.join(smallest, "a").where(F.col("b") > F.col("a"))
            .select(F.col("b").alias("a"), F.col("m").alias("b")))


def _small_star(edges: Any, F: Any) -> Any:
    """Each node u links itself and its smaller neighbours to the smallest of them."""
    down = edges.select(F.greatest("a", "b").alias("a"), F.least("a", "b").alias("b"))
    smallest = down.groupBy("a").agg(F.least(F.min("b"), F.col("a")).alias("m"))
    linked = down.join(smallest, "a").select(F.col("b").alias("a"), F.col("m").alias("b"))
    centre = smallest.select(F.col("a"), F.col("m").alias("b"))
    return linked.union(centre)


def _settled(edges: Any, F: Any) -> Any:
    return (edges.where(F.col("a") != F.col("b"))
            .select(F.greatest("a", "b").alias("a"), F.least("a", "b").alias("b")).distinct())


def components(pairs: Any, max_rounds: int = MAX_ROUNDS, progress: Callable[[int], None] | None = None) -> Any:
    """``(node, comp)`` for every node in ``pairs``; raises ``TooManyRounds`` past ``max_rounds``.
    ``progress`` is told the number of each round as it ends."""
    from pyspark.sql import functions as F

    nodes = pairs.select(F.col("a").alias("node")).union(pairs.select(F.col("b").alias("node"))).distinct()
    edges = _settled(pairs.select("a", "b"), F).localCheckpoint()
    size = edges.count()
    for done in range(1, max_rounds + 1):
        changed = _settled(_small_star(_settled(_large_star(edges, F), F), F), F).localCheckpoint()
        if progress is not None:
            progress(done)
        # Both are sets (``_settled``): equal when they are as large and one holds all of the other;
        # the count of a checkpointed frame is cheap, the comparison runs only when the counts agree.
        changed_size = changed.count()
        if changed_size == size and changed.exceptAll(edges).isEmpty():
            break
        edges, size = changed, changed_size
    else:
        raise TooManyRounds(max_rounds)
    # A union of stars, each centred on its smallest node: b is the centre of every edge.
    centres = edges.groupBy("a").agg(F.min("b").alias("comp"))
    return (nodes.join(centres, nodes["node"] == centres["a"], "left")
            .select("node", F.coalesce(F.col("comp"), F.col("node")).alias("comp")))
