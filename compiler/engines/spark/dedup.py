"""Duplicate pairs and clusters on Spark, in the middle of the publish.

In:  the spec, the compile manifest, an entity's step (its DuckDB and Spark texts) and a run folder.
Out: ``Work``: which of the entity's dedup tables Spark computes; ``duckdb_parts``: the step's DuckDB
text in parts, a call (``Work`` run on Spark) between them and the statements that computed those
tables reading Spark's Parquet files instead; ``compute``: the Spark side.

Why in the publish and not before it: only valid rows take part in dedup, and a row's validity
depends on the target: a reference (a contact's company) resolves through the crosswalk the
publish writes a moment earlier, in the same transaction, for the entity it points to. So the
checked rows (``names.checked_table``) exist only there. The publish computes them, writes them
to the run folder as Parquet and waits; Spark reads them, runs the step's own Spark statements for
the blocks and the pairs (the same sqlglot trees as DuckDB's, through the engine's passes, from
``generated/<name>/spark/``), then the connected components (``components``, bounded), and writes
blocks, pairs and clusters (row -> component) as Parquet; the publish reads them. Survivorship,
stable ids (``sqlgen.stable``: the crosswalks of earlier runs) and everything that writes the
target stay in the publish. Nothing of the target is snapshotted: the crosswalk join is the
publish's, where the crosswalk is current.

Pairs stay in DuckDB (Spark then computes only the clusters, from DuckDB's pairs) for a match
model (its EM estimation is a loop of statements that write ``_ferry.dedup_model``), ``one_to_one``
links (ranked over every rule's pairs in further tables) and decision files (read through a
DuckDB variable).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp

from compiler.engines.spark import components as cc
from compiler.engines.spark.runner import quiet
from compiler.errors import Diagnostic, FerryError, Span
from compiler.model import Entity, Spec
from compiler.sqlgen import names

#: Test knob: the bound on large-star/small-star rounds (``components.MAX_ROUNDS`` unless set).
MAX_ROUNDS_VARIABLE = "FERRY_SPARK_MAX_ROUNDS"


@dataclass(frozen=True, slots=True)
class Work:
    entity: str
    file: str  # the step file (``050_contact.sql``)
    pairs: bool  # Spark computes the blocks and pairs too (else only the clusters, from DuckDB's pairs)
    folder: Path  # the run folder

    def path(self, what: str) -> Path:
        return self.folder / f"{what}_{self.entity}.parquet"


def _name(entity: Entity | str, table: Any) -> str:
    return names.table_name(table(entity))


def plan(spec: Spec, manifest: dict[str, Any], folder: Path) -> tuple[Work, ...]:
    """One ``Work`` per entity whose clusters the Spark manifest lists (every entity with dedup)."""
    out = []
    for entry in manifest.get("engines", {}).get("spark", {}).get("components", ()):
        entity = spec.entity(entry["entity"])
        d = entity.dedup
        assert d is not None
        on_spark = d.model is None and d.decisions is None and not (entity.multi and d.one_to_one)
        out.append(Work(entity.name, entry["file"], on_spark, folder))
    return tuple(out)


def max_rounds() -> int:
    value = os.environ.get(MAX_ROUNDS_VARIABLE, "")
    return int(value) if value.isdigit() and int(value) > 0 else cc.MAX_ROUNDS


def _created(statement: exp.Expression) -> str | None:
    if isinstance(statement, (exp.Create, exp.Cache)) and isinstance(statement.this, exp.Table):
        return names.table_name(statement.this)
    return None


def _from_parquet(table: exp.Table, path: Path) -> exp.Create:
    read = exp.Table(this=exp.Anonymous(this="read_parquet", expressions=[exp.Literal.string(str(path))]))
    return exp.Create(this=table, kind="TABLE", replace=True,
                      properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
                      expression=exp.select(exp.Star()).from_(read))


def _read_components(statement: exp.Expression, path: Path) -> exp.Expression:
    """The clusters statement with its components (DuckDB's recursive CTE) read from ``path``."""
    found = [w.parent for w in statement.find_all(exp.With) if w.args.get("recursive")]
    assert len(found) == 1, "a clusters statement computes its components in one recursive CTE"
    read = exp.Table(this=exp.Anonymous(this="read_parquet", expressions=[exp.Literal.string(str(path))]))
    found[0].replace(exp.select(names.col("node"), names.col("comp")).from_(read))
    return statement


def duckdb_parts(text: str, work: Work, call: Any) -> list[Any]:
    """The step's DuckDB text as [text before, ``call``, text after]: the tables Spark computes
    (blocks and pairs with ``work.pairs``, and the clusters' components) read from its Parquet files."""
    with quiet():
        statements = [s for s in sqlglot.parse(text, read="duckdb") if s is not None]
    blocks, pairs, clusters = (_name(work.entity, t) for t in (names.blocks_table, names.pairs_table,
                                                              names.clusters_table))
    replaced = {blocks: work.path("blocks"), pairs: work.path("pairs")} if work.pairs else {}
    at = next(i for i, s in enumerate(statements) if _created(s) in (*replaced, clusters))
    after = []
    for statement in statements[at:]:
        name = _created(statement)
        if name in replaced:
            statement = _from_parquet(statement.this.copy(), replaced[name])
        elif name == clusters:
            statement = _read_components(statement, work.path("clusters"))
        after.append(statement)

    def render(part: list[exp.Expression]) -> str:
        return "".join(s.sql(dialect="duckdb", pretty=True) + ";\n" for s in part)
    return [render(statements[:at]), call, render(after)]


def _spark_statements(text: str, work: Work) -> list[exp.Expression]:
    """The step's Spark statements that make the blocks and pairs (views and their CACHE)."""
    wanted = {_name(work.entity, names.blocks_table), _name(work.entity, names.pairs_table)}
    with quiet():
        statements = [s for s in sqlglot.parse(text, read="spark") if s is not None]
    return [s for s in statements if _created(s) in wanted]


def checked_columns(spark_text: str, work: Work, available: list[str]) -> list[str]:
    """The checked rows' columns the blocks and pairs read (all of them if a statement reads ``*``):
    the publish writes only these for Spark."""
    statements = _spark_statements(spark_text, work)
    checked = _name(work.entity, names.checked_table)
    for select in (s for st in statements for s in st.find_all(exp.Select)):
        source = select.args.get("from_")
        reads = [t for t in select.find_all(exp.Table) if names.table_name(t) == checked] if source else []
        if reads and any(isinstance(p, exp.Star) or p.is_star for p in select.expressions):
            return list(available)
    read = {c.name for st in statements for c in st.find_all(exp.Column)}
    return [c for c in available if c in read]


def too_many_rounds(spec: Spec, entity: Entity, rounds: int) -> FerryError:
    d = entity.dedup
    span = d.key_spans[0] if d is not None and d.key_spans else entity.span
    return FerryError(Diagnostic(
        "F929", f"entity '{entity.name}': its duplicate clusters still changed after {rounds} rounds on Spark: "
        "nothing was published", span,
        "a chain of duplicates this long is unusual: tighten a fuzzy rule's `block` or `threshold`, or "
        "look at the pairs with `ferry run` (DuckDB engine) and `_ferry.dedup_stats`"))


def compute(spark: Any, spec: Spec, work: Work, spark_text: str, rounds: int) -> dict[str, float]:
    """Spark's part of ``work``: its input (checked rows, or DuckDB's pairs) is at ``work.path('checked')``
    or ``work.path('pairs')``; writes the blocks, pairs and clusters files. Returns seconds per part."""
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    made: list[str] = []
    try:
        if work.pairs:
            spark.read.parquet(str(work.path("checked"))).createOrReplaceTempView(
                _name(work.entity, names.checked_table))
            made.append(_name(work.entity, names.checked_table))
            for statement in _spark_statements(spark_text, work):
                spark.sql(statement.sql(dialect="spark"))
                if isinstance(statement, exp.Create):
                    made.append(names.table_name(statement.this))
            for what, table in (("blocks", names.blocks_table), ("pairs", names.pairs_table)):
                if _name(work.entity, table) in made:
                    spark.table(_name(work.entity, table)).write.mode("overwrite").parquet(str(work.path(what)))
            seconds["pairs"] = round(time.perf_counter() - t0, 3)
        t1 = time.perf_counter()
        pairs = spark.read.parquet(str(work.path("pairs"))).select("a", "b")
        clusters = cc.components(pairs, rounds)
        clusters.write.mode("overwrite").parquet(str(work.path("clusters")))
        seconds["clusters"] = round(time.perf_counter() - t1, 3)
        return seconds
    except cc.TooManyRounds as exc:
        raise too_many_rounds(spec, spec.entity(work.entity), exc.args[0]) from None
    finally:
        for view in made:
            spark.catalog.dropTempView(view)
