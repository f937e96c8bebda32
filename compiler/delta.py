"""A later export into a target that holds this spec's records: a delta, not a replacement.

In:  a DuckDB connection inside a run's transaction, the ``Spec`` and its compile manifest.
Out: ``decide`` (before the compiled steps): the run's kind, and snapshots of what the target holds;
``apply`` (after them, before accounting): the target's own edits put back, conflicts and gone
records resolved by the entity's ``delta:`` policy and listed (``_ferry.conflicts``, ``_ferry.gone``),
the written ledger (``<entity>_written``) rewritten, and the counts the run manifest records.

The compiled steps compute the whole new export and replace the spec's records as they always did
(same ids: ``sqlgen.ids``, clusters kept by ``sqlgen.stable``). For each record the ledger gives
three values per field: what ferry wrote last (W), what the target holds now (T, snapshotted
before the steps) and what the new export gives (C). The field becomes C when T = W (unchanged in
the target), stays T when C = W (only the target changed); when both changed to different values it
is a conflict: ``target_wins`` keeps T, ``source_wins`` writes C, ``reject`` leaves the whole record
as T and reports the conflict on every run until the two agree (its ledger row is not advanced).
The source row of a held-back record stays accounted as loaded: its record is in the target.

A record in the ledger that the export no longer produces is gone: ``keep`` puts it back, ``archive``
moves its values into ``_ferry.gone`` (JSON), ``delete`` leaves it removed. Whatever the policy, a gone
record whose old ids now belong to another record (a cluster that bridges two earlier ones) is a
merge: it is removed and everything that referred to it points at the record it joined. A record
the target's users deleted stays deleted. Nothing here is silent: every case has a row.

The SQL is built as trees in ``sqlgen.delta``; this module only executes it (an I/O edge).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

import duckdb
from sqlglot import exp

from compiler.errors import Diagnostic, FerryError, Span
from compiler.model import Entity, Spec
from compiler.sqlgen import delta as sql
from compiler.sqlgen import names
from compiler.sqlgen.ledgers import written_ids
from compiler.sqlgen.types import sql_type

CONFLICTS = (("spec", "VARCHAR"), ("run", "VARCHAR"), ("entity", "VARCHAR"), ("id", "UUID"), ("source_key", "VARCHAR"),
             ("field", "VARCHAR"), ("written", "VARCHAR"), ("target", "VARCHAR"), ("source", "VARCHAR"),
             ("resolution", "VARCHAR"))
GONE = (("spec", "VARCHAR"), ("run", "VARCHAR"), ("entity", "VARCHAR"), ("id", "UUID"), ("source_key", "VARCHAR"),
        ("resolution", "VARCHAR"), ("merged_into", "UUID"), ("record", "VARCHAR"))
RESOLUTION = sql.RESOLUTION
_D = "duckdb"


@dataclass(frozen=True, slots=True)
class Kind:
    """first: no earlier full run (replace, start the ledger); delta; full: ``--full`` (replace, restart the
    ledger); pilot: ``--sample`` (replace, no ledger)."""

    name: str
    fresh: tuple[str, ...] = ()  # in a delta, entities the target has no table or ledger for yet: a first load


def _run(con: duckdb.DuckDBPyConnection, tree: exp.Expression) -> duckdb.DuckDBPyConnection:
    return con.execute(tree.sql(dialect=_D))


def _one(con: duckdb.DuckDBPyConnection, tree: exp.Expression) -> Any:
    return _run(con, tree).fetchone()[0]


def _count(table: exp.Table, where: exp.Expression | None = None) -> exp.Select:
    query = exp.select(exp.Count(this=exp.Star())).from_(table.copy())
    return query.where(where) if where is not None else query


def _catalog(function: str, table: exp.Table, column: str | None = None, database: str | None = None) -> exp.Select:
    """count(*) of a table (or of one of its columns) in DuckDB's catalog."""
    lit = exp.Literal.string
    where = [exp.column("schema_name").eq(lit(table.db or "main")), exp.column("table_name").eq(lit(table.name)),
             exp.column("database_name").eq(lit(database) if database else exp.func("current_database"))]
    if column is not None:
        where.append(exp.column("column_name").eq(lit(column)))
    return exp.select(exp.Count(this=exp.Star())).from_(exp.func(function)).where(exp.and_(*where))


def _exists(con: duckdb.DuckDBPyConnection, table: exp.Table, database: str | None = None) -> bool:
    return bool(_one(con, _catalog("duckdb_tables", table, database=database)))


def _has_column(con: duckdb.DuckDBPyConnection, table: exp.Table, column: str) -> bool:
    """A crosswalk from before ``spec`` existed lacks it (its rows are adopted by the spec that runs)."""
    return bool(_one(con, _catalog("duckdb_columns", table, column)))


def previous(con: duckdb.DuckDBPyConnection, spec: str) -> dict[str, Any] | None:
    """The manifest of this spec's last full (not pilot) run in the target, if any."""
    if not _exists(con, names.runs_table()):
        return None
    query = (exp.select(names.col("manifest")).from_(names.runs_table())
             .where(exp.and_(names.col("spec").eq(exp.Literal.string(spec)), exp.not_(names.col("sample"))))
             .order_by(exp.Ordered(this=names.col("started_at"), desc=True)).limit(1))
    row = _run(con, query).fetchone()
    return None if row is None else json.loads(row[0])


def _mine(con: duckdb.DuckDBPyConnection, spec: Spec, crosswalk: exp.Table) -> exp.Expression:
    """This spec's crosswalk rows (in a crosswalk from before ``spec`` existed, every row)."""
    if not _has_column(con, crosswalk, "spec"):
        return exp.true()
    return exp.Paren(this=exp.or_(names.col("spec").eq(exp.Literal.string(spec.name)),
                                  exp.Is(this=names.col("spec"), expression=exp.null())))


def _holds_records(con: duckdb.DuckDBPyConnection, spec: Spec) -> bool:
    """Any crosswalk row of this spec's (in a crosswalk from before ``spec`` existed, any row)."""
    for e in spec.entities:
        table = names.crosswalk_table(e)
        if _exists(con, table) and _one(con, _count(table, _mine(con, spec, table))):
            return True
    return False


def _ledgered(spec: Spec, entity: Entity) -> exp.Select:
    return _count(names.written_table(entity), sql.of_owner(spec.name))


def decide(con: duckdb.DuckDBPyConnection, spec: Spec, sample: int | None, full: bool,
           lazy: frozenset[str] = frozenset()) -> Kind:
    """The run's kind, from the target's history (F620, F621 when it cannot be a delta nor a replacement);
    for a delta, each entity's records and crosswalk as they are now, kept for ``apply``. ``lazy``: entities
    whose records ``compiler.scope`` snapshots itself, before their step (only those the step will delete)."""
    last = previous(con, spec.name)
    ledgered = last is not None and "delta" in last
    where = Span(spec.path)
    if sample is not None:
        if ledgered:
            raise FerryError(Diagnostic(
                "F621", f"the target already holds a full run of spec '{spec.name}': a pilot (--sample) would "
                "replace its records with a sample, and the edits made in the target since with them", where,
                "run without --sample (a delta run changes only what changed), or pilot into another target "
                "(--target)"))
        return Kind("pilot")
    if full:  # the ledger starts again: records kept for it (crosswalk rows ``kept``) go with the others
        for entity in spec.entities:
            if _exists(con, names.written_table(entity)):
                _run(con, exp.delete(names.written_table(entity), where=sql.of_owner(spec.name)))
        return Kind("full")
    if last is None:
        return Kind("first")
    if not ledgered:
        if not _holds_records(con, spec):
            return Kind("first")
        raise FerryError(Diagnostic(
            "F620", f"the target holds records of spec '{spec.name}' from a ferry that did not record what it "
            "wrote: a delta run cannot tell the target's edits from its own values", where,
            "run once with --full to replace this spec's records as before (edits made in the target since "
            "are overwritten; `ferry plan --full` shows them) and start the record of what ferry wrote; later runs "
            "are deltas"))
    fresh = []
    for entity in spec.entities:
        table = names.entity_table(spec.target, entity)
        if not _exists(con, names.written_table(entity)) or not _one(con, _ledgered(spec, entity)):
            fresh.append(entity.name)  # an entity new to the spec, or one that had no records: loaded as new
            continue
        if not _exists(con, table):
            raise FerryError(Diagnostic("F622", f"table {names.table_name(table)} of spec '{spec.name}' is no longer "
                                        "in the target: a delta run has nothing to compare with", where,
                                        "restore the table, or run with --full to load every record again"))
        if entity.name not in lazy:
            ids = written_ids(spec.name, entity)
            _run(con, sql.temporary(_before(entity), exp.select(exp.Star()).from_(table.copy())
                                    .where(sql.in_query(names.col(names.ID), ids))))
        crosswalk = names.crosswalk_table(entity)
        mine = exp.and_(_mine(con, spec, crosswalk), exp.not_(exp.func("coalesce", names.col("linked"), exp.false())))
        _run(con, sql.temporary(_crosswalk(entity), exp.select(
            *(names.col(c) for c in ("source", "source_key", names.ID, "status"))).from_(crosswalk).where(mine)))
    return Kind("delta", tuple(fresh))


def _temp(name: str) -> exp.Table:
    return names.table(name)


def _before(entity: Entity) -> exp.Table:
    return _temp(f"_ferry_delta_before_{entity.name}")


def _crosswalk(entity: Entity) -> exp.Table:
    return _temp(f"_ferry_delta_crosswalk_{entity.name}")


def _gone_table(entity: Entity) -> exp.Table:
    return _temp(f"_ferry_delta_gone_{entity.name}")


def columns(entity: Entity) -> list[tuple[str, str]]:
    """The entity table's columns after ``id`` (fields, references) with their SQL types."""
    return [*((f.name, sql_type(f).sql(dialect=_D)) for f in entity.fields),
            *((r.name, "UUID") for r in entity.references)]


def _ensure(con: duckdb.DuckDBPyConnection) -> None:
    for table, cols in ((names.table("conflicts", "_ferry"), CONFLICTS), (names.table("gone", "_ferry"), GONE)):
        _run(con, exp.Create(this=exp.Schema(this=table, expressions=[
            exp.ColumnDef(this=names.ident(n), kind=exp.DataType.build(t)) for n, t in cols]),
            kind="TABLE", exists=True))


def _computed(spec: Spec, entity: Entity) -> exp.Select:
    """This run's records of the entity (loaded, not linked): ids from the crosswalk just written."""
    return sql.computed_ids(spec.name, names.crosswalk_table(entity))


def _write_ledger(con: duckdb.DuckDBPyConnection, spec: Spec, entity: Entity, run: str, held: exp.Expression | None,
                  computed: exp.Select | None = None, changed: exp.Select | None = None) -> None:
    """The ledger: this run's records with the values computed from the export (``computed``: a query with the
    entity table's columns; by default the table itself, as a replacing run wrote it), except ids in ``held``
    (a query), whose rows stay as they were (a rejected conflict, a record deleted in the target, a kept gone
    record). Computed, not resolved: a target's value that won is the target's, and the next run compares
    the next export with this one. ``changed`` (a query, ids): only these rows are rewritten (with gone ones
    removed); the others already hold these values and keep the run that wrote them."""
    cols = [n for n, _ in columns(entity)]
    written, ids = names.written_table(entity), _computed(spec, entity)
    values = computed if computed is not None else names.entity_table(spec.target, entity)
    _run(con, sql.ledger_delete(spec.name, written, ids, held, changed))
    whole = computed is None and held is None and changed is None and _only_these(con, values, ids)
    _run(con, sql.ledger_insert(spec.name, run, written, values, cols, ids, held, changed, whole=whole))


def _only_these(con: duckdb.DuckDBPyConnection, table: exp.Table, ids: exp.Select) -> bool:
    """Every record of ``table`` is one of ``ids`` (a replacing run into a table no other spec or tool shares):
    the ledger then copies the table as it lies, without a filter or a sort (``sql.ledger_insert``'s ``whole``)."""
    every = _one(con, _count(table))
    return every == _one(con, _count(table, sql.in_query(names.col(names.ID), ids)))


def apply(con: duckdb.DuckDBPyConnection, spec: Spec, kind: Kind, run: str, scoped: Any = None) -> dict[str, Any]:
    """After the compiled steps: the delta resolved (or, on a first or --full run, the ledger started).
    ``scoped`` (``scope.Scope``): entities whose steps computed only their scope's records are compared
    over those; their other records are unchanged. Returns what the manifest records: the kind, and per
    entity its counts (and the scope's, under ``scope``)."""
    if kind.name == "pilot":
        return {"kind": "pilot", "entities": {}}
    _ensure(con)
    counts: dict[str, dict[str, Any]] = {}
    merges: dict[str, exp.Table] = {}  # entity -> temp table of (old id, new id) for bridged clusters
    for entity in spec.entities:
        if kind.name == "delta" and entity.name not in kind.fresh:
            ids = scoped.scoped_ids(entity.name) if scoped is not None else None
            counts[entity.name], merged = _delta_entity(con, spec, entity, run, ids)
            if ids is not None:
                counts[entity.name]["unchanged"] += scoped.unchanged(entity.name)
            if merged is not None:
                merges[entity.name] = merged
        else:
            _write_ledger(con, spec, entity, run, None)
            n = _one(con, exp.select(exp.Count(this=exp.Star())).from_(_computed(spec, entity).subquery()))
            counts[entity.name] = {"insert": n, "update": 0, "unchanged": 0, "conflicts": 0, "conflicted_records": 0,
                                   "deleted_in_target": 0, "gone": {}}
    for parent, table in merges.items():  # children of a merged-away record point at the record it joined
        for child in spec.entities:
            for ref in (r for r in child.references if r.entity == parent):
                _run(con, sql.repoint(names.entity_table(spec.target, child), ref.name, table))
    out = {"kind": kind.name, "entities": counts}
    if scoped is not None and kind.name != "pilot":
        out["scope"] = scoped.summary()
    return out


def _present(con: duckdb.DuckDBPyConnection, table: exp.Table) -> list[str]:
    return [r[0] for r in _run(con, exp.Describe(this=table.copy())).fetchall()]


def sides(spec: Spec, entity: Entity, present: list[str], before: exp.Table | None = None,
          written: exp.Table | None = None) -> sql.Sides:
    return sql.Sides(spec.name, tuple(n for n, _ in columns(entity)), names.entity_table(spec.target, entity),
                     _computed(spec, entity), written or names.written_table(entity), before or _before(entity),
                     frozenset(present))


def _delta_entity(con: duckdb.DuckDBPyConnection, spec: Spec, entity: Entity, run: str,
                  ids: exp.Select | None = None) -> tuple[dict[str, Any], exp.Table | None]:
    policy, gone_policy = entity.delta.conflicts, entity.delta.gone
    table = names.entity_table(spec.target, entity)
    present = _present(con, _before(entity))
    s = sides(spec, entity, present)
    cols, n, name = s.columns, len(s.columns), entity.name
    j, r, few = (_temp(f"_ferry_delta_{x}_{name}") for x in ("j", "r", "few"))
    # One row per record of this run: computed (c_i), last written (w_i) and the target's (b_i) values.
    _run(con, sql.temporary(j, sql.joined(s if ids is None else replace(s, computed_ids=ids))))
    _run(con, sql.temporary(r, sql.resolution(j, policy, n)))
    # The target's values go back where they win; a record its users deleted stays deleted.
    if n:
        _run(con, sql.put_back(table, r, cols))
    _run(con, exp.delete(table.copy(), where=sql.in_query(names.col(names.ID), sql.deleted_in_target(r))))
    if n:
        _run(con, sql.temporary(few, sql.in_conflict(j, n)))
        _run(con, exp.insert(sql.conflict_rows(spec.name, run, name, policy, few, names.crosswalk_table(entity), cols),
                             names.table("conflicts", "_ferry")))
    counts = dict(zip(("insert", "update", "unchanged", "conflicted_records", "deleted_in_target"),
                      _run(con, sql.counts(r)).fetchone()))
    counts = {k: v or 0 for k, v in counts.items()}  # count_if over no rows (an empty export) is NULL
    counts["conflicts"] = _one(con, _count(names.table("conflicts", "_ferry"), exp.and_(
        *(names.col(k).eq(exp.Literal.string(v)) for k, v in (("spec", spec.name), ("run", run), ("entity", name))))))
    counts["gone"], merged = _gone(con, spec, entity, run, gone_policy, s, present)
    held = [sql.deleted_in_target(r)]
    if policy == "reject":
        held.append(exp.select(names.col(names.ID)).from_(r.copy()).where(exp.column("conflicted")))
    if gone_policy == "keep":
        held.append(sql.gone_ids(_gone_table(entity), "keep"))
    _write_ledger(con, spec, entity, run, sql.union_all(held), sql.computed_values(j, cols), sql.changed_ids(j, n))
    for t in (j, r, few, _gone_table(entity), _before(entity), _crosswalk(entity)):
        _run(con, exp.Drop(tables=[t.copy()], kind="TABLE", exists=True))
    return counts, merged


def _gone(con: duckdb.DuckDBPyConnection, spec: Spec, entity: Entity, run: str, policy: str,
          s: sql.Sides, present: list[str]) -> tuple[dict[str, int], exp.Table | None]:
    """Records in the ledger this run did not produce: merged into another (their old ids now map to it: a
    record of this run's, or one already in the target that ``match`` links them to),
    already deleted in the target, or handled by ``policy``. Listed in _ferry.gone, counted by resolution."""
    table, crosswalk, gone = names.entity_table(spec.target, entity), names.crosswalk_table(entity), _gone_table(entity)
    _run(con, sql.temporary(gone, sql.gone(s, _crosswalk(entity), crosswalk, policy)))
    _run(con, sql.drop_kept(spec.name, crosswalk, gone))
    # Put kept records back (the steps removed every record of the spec's); the rest stay removed.
    _run(con, sql.restore_kept(table, s.before, present, gone))
    _run(con, exp.insert(sql.gone_rows(spec.name, run, entity.name, gone, s.before), names.table("gone", "_ferry")))
    tally = dict(_run(con, exp.select(names.col("resolution"), exp.Count(this=exp.Star())).from_(gone.copy())
                      .group_by(names.col("resolution")).order_by(exp.Literal.number(1))).fetchall())
    if not tally.get("merged"):
        return tally, None
    merges = _temp(f"_ferry_delta_merges_{entity.name}")
    _run(con, sql.temporary(merges, sql.merges(gone)))
    return tally, merges

