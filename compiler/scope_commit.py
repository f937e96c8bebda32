"""A scoped delta's commit touches only its scope: the I/O edge of ``sqlgen.scope_commit``.

In:  ``compiler.scope``'s connection, the ``Spec``, a scoped entity, its compiled step (text or parts) and the
table of rows kept out of its scope. Out: the step with its two deletes (the spec's records, its crosswalk
rows) narrowed to leave the kept rows' records and crosswalk rows in place (``narrowed``), and the snapshot
``delta.apply`` compares with (``snapshot``): every record of the spec's when the entity is computed whole,
only those the narrowed step deletes when it is scoped.

Everything still happens inside the run's one transaction: a run killed at any point leaves the target as
the last commit did, and the next run starts from there (``tests/e2e/test_delta_scope_commit.py``).
"""

from __future__ import annotations

from typing import Any

import duckdb
from sqlglot import exp

from compiler import delta
from compiler.model import Entity, Spec
from compiler.sqlgen import load
from compiler.sqlgen import scope_commit as sql

_D = "duckdb"


def _flat(text: str) -> str:
    return " ".join(text.split()).rstrip(";").strip()


def lazy(spec: Spec, enabled: bool, structural: Any) -> frozenset[str]:
    """Entities whose snapshot the scope takes itself, after staging (``delta.decide`` skips them): those that
    can be scoped and are the only entity of their source (``Scope.after`` stages a source for one entity)."""
    if not enabled:
        return frozenset()
    sources = [e.source for e in spec.entities]
    return frozenset(e.name for e in spec.entities if structural(spec, e) is None and sources.count(e.source) == 1)


def snapshot(con: duckdb.DuckDBPyConnection, spec: Spec, entity: Entity, keep: exp.Table | None = None) -> None:
    """``delta._before``: the spec's records as the target holds them (``keep``: but the kept rows')."""
    con.execute(exp.Create(this=delta._before(entity), kind="TABLE", replace=True, expression=sql.owned_records(
        spec, entity, keep), properties=exp.Properties(expressions=[exp.TemporaryProperty()])).sql(dialect=_D))


def narrowed(con: duckdb.DuckDBPyConnection, spec: Spec, entity: Entity, source: str, step: Any,
             keep: exp.Table) -> tuple[Any, ...] | None:
    """The step's parts with its two deletes narrowed (None: either was not found, the step stays whole)."""
    wanted = {_flat(load.forget(spec, entity).sql(dialect=_D, pretty=True)):
              sql.narrow_forget(load.forget(spec, entity), keep),
              _flat(load.forget_crosswalk(spec, entity).sql(dialect=_D, pretty=True)):
              sql.narrow_crosswalk(load.forget_crosswalk(spec, entity), source, keep)}
    parts: list[Any] = []
    found = 0
    for part in (step,) if isinstance(step, str) else step:
        if not isinstance(part, str):
            parts.append(part)
            continue
        for s in con.extract_statements(part):
            tree = wanted.get(_flat(s.query)) if s.type == duckdb.StatementType.DELETE else None
            if tree is not None:
                found += 1
            parts.append(tree.sql(dialect=_D) if tree is not None else s.query)
    return tuple(parts) if found == 2 else None
