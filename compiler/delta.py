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
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import duckdb
from sqlglot import exp

from compiler.errors import Diagnostic, FerryError, Span
from compiler.model import Entity, Spec
from compiler.sqlgen import names
from compiler.sqlgen.ledgers import OWNER, WRITTEN_LEAD
from compiler.sqlgen.types import sql_type

CONFLICTS = (("spec", "VARCHAR"), ("run", "VARCHAR"), ("entity", "VARCHAR"), ("id", "UUID"), ("source_key", "VARCHAR"),
             ("field", "VARCHAR"), ("written", "VARCHAR"), ("target", "VARCHAR"), ("source", "VARCHAR"),
             ("resolution", "VARCHAR"))
GONE = (("spec", "VARCHAR"), ("run", "VARCHAR"), ("entity", "VARCHAR"), ("id", "UUID"), ("source_key", "VARCHAR"),
        ("resolution", "VARCHAR"), ("merged_into", "UUID"), ("record", "VARCHAR"))
RESOLUTION = {"target_wins": "target_wins", "source_wins": "source_wins", "reject": "rejected"}


@dataclass(frozen=True, slots=True)
class Kind:
    """first: no earlier full run (replace, start the ledger); delta; full: ``--full`` (replace, restart the
    ledger); pilot: ``--sample`` (replace, no ledger)."""

    name: str
    fresh: tuple[str, ...] = ()  # in a delta, entities the target has no table or ledger for yet: a first load


def _q(name: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(dialect="duckdb")


def _lit(value: str) -> str:
    return exp.Literal.string(value).sql(dialect="duckdb")


def _t(table: exp.Table) -> str:
    return table.sql(dialect="duckdb")


def _exists(con: duckdb.DuckDBPyConnection, table: exp.Table) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ? "
                            "AND database_name = current_database()", [table.db or "main", table.name]).fetchone()[0])


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    return con.execute(sql, params or []).fetchone()[0]


def _previous(con: duckdb.DuckDBPyConnection, spec: str) -> dict[str, Any] | None:
    """The manifest of this spec's last full (not pilot) run in the target, if any."""
    if not _exists(con, names.runs_table()):
        return None
    row = con.execute(f"SELECT manifest FROM {_t(names.runs_table())} WHERE spec = ? AND NOT sample "
                      "ORDER BY started_at DESC LIMIT 1", [spec]).fetchone()
    return None if row is None else json.loads(row[0])


def _has_column(con: duckdb.DuckDBPyConnection, table: exp.Table, column: str) -> bool:
    """A crosswalk from before ``spec`` existed lacks it (its rows are adopted by the spec that runs)."""
    return bool(_one(con, "SELECT count(*) FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
                     "AND column_name = ? AND database_name = current_database()", [table.db, table.name, column]))


def _holds_records(con: duckdb.DuckDBPyConnection, spec: Spec) -> bool:
    """Any crosswalk row of this spec's (in a crosswalk from before ``spec`` existed, any row)."""
    for e in spec.entities:
        table = names.crosswalk_table(e)
        if not _exists(con, table):
            continue
        mine = "spec = ? OR spec IS NULL" if _has_column(con, table, "spec") else "? IS NOT NULL"
        if _one(con, f"SELECT count(*) FROM {_t(table)} WHERE {mine}", [spec.name]):
            return True
    return False


def decide(con: duckdb.DuckDBPyConnection, spec: Spec, sample: int | None, full: bool) -> Kind:
    """The run's kind, from the target's history (F620, F621 when it cannot be a delta nor a replacement);
    for a delta, each entity's records and crosswalk as they are now, kept for ``apply``."""
    previous = _previous(con, spec.name)
    ledgered = previous is not None and "delta" in previous
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
                con.execute(f"DELETE FROM {_t(names.written_table(entity))} WHERE {_q(OWNER)} = ?", [spec.name])
        return Kind("full")
    if previous is None:
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
        if not _exists(con, names.written_table(entity)) or not _one(
                con, f"SELECT count(*) FROM {_t(names.written_table(entity))} WHERE {_q(OWNER)} = ?", [spec.name]):
            fresh.append(entity.name)  # an entity new to the spec, or one that had no records: loaded as new
            continue
        if not _exists(con, table):
            raise FerryError(Diagnostic("F622", f"table {names.table_name(table)} of spec '{spec.name}' is no longer "
                                        "in the target: a delta run has nothing to compare with", where,
                                        "restore the table, or run with --full to load every record again"))
        con.execute(f"CREATE OR REPLACE TEMPORARY TABLE {_q(_before(entity))} AS SELECT t.* FROM {_t(table)} AS t "
                    f"WHERE t.id IN (SELECT id FROM {_t(names.written_table(entity))} WHERE {_q(OWNER)} = ?)",
                    [spec.name])
        mine = "(spec = ? OR spec IS NULL)" if _has_column(con, names.crosswalk_table(entity), "spec") else "? IS NOT NULL"
        con.execute(f"CREATE OR REPLACE TEMPORARY TABLE {_q(_crosswalk(entity))} AS SELECT source, source_key, id, "
                    f"status FROM {_t(names.crosswalk_table(entity))} WHERE {mine} AND NOT coalesce(linked, false)",
                    [spec.name])
    return Kind("delta", tuple(fresh))


def _before(entity: Entity) -> str:
    return f"_ferry_delta_before_{entity.name}"


def _crosswalk(entity: Entity) -> str:
    return f"_ferry_delta_crosswalk_{entity.name}"


def _columns(entity: Entity) -> list[tuple[str, str]]:
    """The entity table's columns after ``id`` (fields, references) with their SQL types."""
    return [*((f.name, sql_type(f).sql(dialect="duckdb")) for f in entity.fields),
            *((r.name, "UUID") for r in entity.references)]


def _ensure(con: duckdb.DuckDBPyConnection) -> None:
    for table, columns in ((names.table("conflicts", "_ferry"), CONFLICTS), (names.table("gone", "_ferry"), GONE)):
        con.execute(exp.Create(this=exp.Schema(this=table, expressions=[
            exp.ColumnDef(this=names.ident(n), kind=exp.DataType.build(t)) for n, t in columns]),
            kind="TABLE", exists=True).sql(dialect="duckdb"))


def _computed(spec: Spec, entity: Entity) -> str:
    """This run's records of the entity (loaded, not linked): ids from the crosswalk just written."""
    return (f"SELECT id FROM {_t(names.crosswalk_table(entity))} WHERE spec = {_lit(spec.name)} "
            "AND status = 'loaded' AND NOT coalesce(linked, false)")


def _write_ledger(con: duckdb.DuckDBPyConnection, spec: Spec, entity: Entity, run: str, held: str | None,
                  computed: str | None = None, changed: str | None = None) -> None:
    """The ledger: this run's records with the values computed from the export (``computed``: a query with the
    entity table's columns; by default the table itself, as a replacing run wrote it), except ids in ``held``
    (SQL), whose rows stay as they were (a rejected conflict, a record deleted in the target, a kept gone
    record). Computed, not resolved: a target's value that won is the target's, and the next run compares
    the next export with this one. ``changed`` (SQL, ids): only these rows are rewritten (with gone ones
    removed); the others already hold these values and keep the run that wrote them."""
    cols = [n for n, _ in _columns(entity)]
    written = _t(names.written_table(entity))
    table = f"({computed})" if computed else _t(names.entity_table(spec.target, entity))
    keep = f" AND t.id NOT IN ({held})" if held else ""
    if changed:  # rewrite the changed rows, remove the gone ones
        con.execute(f"DELETE FROM {written} AS t WHERE {_q(OWNER)} = ?{keep} AND (t.id IN ({changed}) "
                    f"OR t.id NOT IN ({_computed(spec, entity)}))", [spec.name])
        keep += f" AND t.id IN ({changed})"
    else:
        con.execute(f"DELETE FROM {written} AS t WHERE {_q(OWNER)} = ?{keep}", [spec.name])
    values = ", ".join(f"t.{_q(c)}" for c in cols)
    hashed = f"hash({values})" if cols else "0"
    con.execute(f"INSERT INTO {written} ({_q(OWNER)}, _ferry_run, _ferry_hash, id{''.join(', ' + _q(c) for c in cols)}) "
                f"SELECT ?, ?, {hashed}, t.id{''.join(', t.' + _q(c) for c in cols)} FROM {table} AS t "
                f"WHERE t.id IN ({_computed(spec, entity)}){keep}", [spec.name, run])


def apply(con: duckdb.DuckDBPyConnection, spec: Spec, kind: Kind, run: str) -> dict[str, Any]:
    """After the compiled steps: the delta resolved (or, on a first or --full run, the ledger started).
    Returns what the manifest records: the kind, and per entity its counts."""
    if kind.name == "pilot":
        return {"kind": "pilot", "entities": {}}
    _ensure(con)
    counts: dict[str, dict[str, Any]] = {}
    merges: dict[str, str] = {}  # entity -> temp table of (old id, new id) for bridged clusters
    for entity in spec.entities:
        if kind.name == "delta" and entity.name not in kind.fresh:
            counts[entity.name], merged = _delta_entity(con, spec, entity, run)
            if merged:
                merges[entity.name] = merged
        else:
            _write_ledger(con, spec, entity, run, None)
            n = _one(con, f"SELECT count(*) FROM ({_computed(spec, entity)})")
            counts[entity.name] = {"insert": n, "update": 0, "unchanged": 0, "conflicts": 0, "conflicted_records": 0,
                                   "deleted_in_target": 0, "gone": {}}
    for parent, table in merges.items():  # children of a merged-away record point at the record it joined
        for child in spec.entities:
            target = _t(names.entity_table(spec.target, child))
            for ref in (r for r in child.references if r.entity == parent):
                con.execute(f"UPDATE {target} SET {_q(ref.name)} = m.new_id FROM {_q(table)} AS m "
                            f"WHERE {target}.{_q(ref.name)} = m.old_id")
    return {"kind": kind.name, "entities": counts}


def _delta_entity(con: duckdb.DuckDBPyConnection, spec: Spec, entity: Entity, run: str) -> tuple[dict[str, Any], str | None]:
    cols = _columns(entity)
    policy, gone_policy = entity.delta.conflicts, entity.delta.gone
    table = _t(names.entity_table(spec.target, entity))
    written = _t(names.written_table(entity))
    before, name = _q(_before(entity)), entity.name
    present = {r[0] for r in con.execute(f"DESCRIBE {before}").fetchall()}
    b = lambda i, c: f"b.{_q(c)}" if c in present else "NULL"  # noqa: E731  a column the run just added
    j, r = _q(f"_ferry_delta_j_{name}"), _q(f"_ferry_delta_r_{name}")
    # One row per record of this run: computed (c_i), last written (w_i) and the target's (b_i) values.
    select = ", ".join(f"c.{_q(c)} AS c_{i}, w.{_q(c)} AS w_{i}, {b(i, c)} AS b_{i}" for i, (c, _) in enumerate(cols))
    con.execute(f"CREATE OR REPLACE TEMPORARY TABLE {j} AS SELECT c.id, w.id IS NOT NULL AS in_w, "
                f"b.id IS NOT NULL AS in_b{', ' + select if cols else ''} FROM {table} AS c "
                f"LEFT JOIN (SELECT * FROM {written} WHERE {_q(OWNER)} = {_lit(spec.name)}) AS w ON w.id = c.id "
                f"LEFT JOIN {before} AS b ON b.id = c.id WHERE c.id IN ({_computed(spec, entity)})")
    n = len(cols)
    conflict = [f"(in_w AND in_b AND c_{i} IS DISTINCT FROM w_{i} AND b_{i} IS DISTINCT FROM w_{i} "
                f"AND b_{i} IS DISTINCT FROM c_{i})" for i in range(n)]
    any_conflict = " OR ".join(conflict) or "false"
    if policy == "source_wins":
        resolved = [f"CASE WHEN in_w AND in_b AND b_{i} IS DISTINCT FROM w_{i} AND NOT {conflict[i]} THEN b_{i} "
                    f"ELSE c_{i} END" for i in range(n)]
    elif policy == "reject":
        resolved = [f"CASE WHEN in_w AND in_b AND (({any_conflict}) OR b_{i} IS DISTINCT FROM w_{i}) THEN b_{i} "
                    f"ELSE c_{i} END" for i in range(n)]
    else:
        resolved = [f"CASE WHEN in_w AND in_b AND b_{i} IS DISTINCT FROM w_{i} THEN b_{i} ELSE c_{i} END"
                    for i in range(n)]
    fix = " OR ".join(f"v_{i} IS DISTINCT FROM c_{i}" for i in range(n)) or "false"
    moved = " OR ".join(f"v_{i} IS DISTINCT FROM b_{i}" for i in range(n)) or "false"
    con.execute(f"CREATE OR REPLACE TEMPORARY TABLE {r} AS SELECT *, ({fix}) AS fix, in_w AND in_b AND ({moved}) "
                f"AS moved FROM (SELECT id, in_w, in_b, ({any_conflict}) AS conflicted"
                f"{''.join(f', c_{i}, b_{i}, {v} AS v_{i}' for i, v in enumerate(resolved))} FROM {j})")
    # The target's values go back where they win; a record its users deleted stays deleted.
    if n:
        sets = ", ".join(f"{_q(c)} = r.v_{i}" for i, (c, _) in enumerate(cols))
        con.execute(f"UPDATE {table} SET {sets} FROM {r} AS r WHERE {table}.id = r.id AND r.fix AND r.in_b")
    con.execute(f"DELETE FROM {table} WHERE id IN (SELECT id FROM {r} WHERE in_w AND NOT in_b)")
    key = (f"(SELECT min(x.source_key) FROM {_t(names.crosswalk_table(entity))} AS x WHERE x.id = j.id "
           f"AND x.spec = {_lit(spec.name)} AND x.status = 'loaded')")
    if n:
        few = _q(f"_ferry_delta_few_{name}")  # the records in conflict, read once per field: few rows, many fields
        con.execute(f"CREATE OR REPLACE TEMPORARY TABLE {few} AS SELECT * FROM {j} WHERE {any_conflict}")
        parts = [f"SELECT j.id, {key} AS source_key, {_lit(c)} AS field, CAST(w_{i} AS VARCHAR) AS w, "
                 f"CAST(b_{i} AS VARCHAR) AS t, CAST(c_{i} AS VARCHAR) AS s FROM {few} AS j WHERE {conflict[i]}"
                 for i, (c, _) in enumerate(cols)]
        con.execute(f"INSERT INTO _ferry.conflicts SELECT ?, ?, ?, id, source_key, field, w, t, s, ? FROM "
                    f"({' UNION ALL '.join(parts)}) ORDER BY id, field", [spec.name, run, name, RESOLUTION[policy]])
    counts = dict(zip(("insert", "update", "unchanged", "conflicted_records", "deleted_in_target"), con.execute(
        f"SELECT count_if(NOT in_w), count_if(moved), count_if(in_w AND in_b AND NOT moved), count_if(conflicted), "
        f"count_if(in_w AND NOT in_b) FROM {r}").fetchone()))
    counts = {k: v or 0 for k, v in counts.items()}  # count_if over no rows (an empty export) is NULL
    counts["conflicts"] = _one(con, "SELECT count(*) FROM _ferry.conflicts WHERE spec = ? AND run = ? AND entity = ?",
                               [spec.name, run, name])
    counts["gone"], merged = _gone(con, spec, entity, run, gone_policy)
    held = [f"SELECT id FROM {r} WHERE in_w AND NOT in_b"]
    if policy == "reject":
        held.append(f"SELECT id FROM {r} WHERE conflicted")
    if gone_policy == "keep":
        held.append(f"SELECT id FROM {_q(_gone_table(entity))} WHERE resolution = 'keep'")
    computed = "SELECT id" + "".join(f", c_{i} AS {_q(c)}" for i, (c, _) in enumerate(cols)) + f" FROM {j}"
    differs = " OR ".join(f"c_{i} IS DISTINCT FROM w_{i}" for i in range(n)) or "false"
    _write_ledger(con, spec, entity, run, " UNION ALL ".join(held), computed,
                  f"SELECT id FROM {j} WHERE NOT in_w OR {differs}")
    for t in (j, r, _q(f"_ferry_delta_few_{name}"), _q(_gone_table(entity)), _q(_before(entity)), _q(_crosswalk(entity))):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return counts, merged


def _gone_table(entity: Entity) -> str:
    return f"_ferry_delta_gone_{entity.name}"


def _gone(con: duckdb.DuckDBPyConnection, spec: Spec, entity: Entity, run: str,
          policy: str) -> tuple[dict[str, int], str | None]:
    """Records in the ledger this run did not produce: merged into another (their old ids now map to it: a
    record of this run's, or one already in the target that ``match`` links them to),
    already deleted in the target, or handled by ``policy``. Listed in _ferry.gone, counted by resolution."""
    table = _t(names.entity_table(spec.target, entity))
    written, crosswalk = _t(names.written_table(entity)), _t(names.crosswalk_table(entity))
    before, old = _q(_before(entity)), _q(_crosswalk(entity))
    gone = _q(_gone_table(entity))
    con.execute(
        f"CREATE OR REPLACE TEMPORARY TABLE {gone} AS SELECT w.id, "
        f"(SELECT min(o.source_key) FROM {old} AS o WHERE o.id = w.id AND o.status IN ('loaded', 'kept')) AS source_key, "
        f"(SELECT min(x.id) FROM {old} AS o JOIN {crosswalk} AS x ON x.source = o.source AND x.source_key = o.source_key "
        f"AND x.spec = {_lit(spec.name)} AND x.status IN ('loaded', 'merged') "
        f"WHERE o.id = w.id AND x.id <> w.id) AS merged_into, b.id IS NOT NULL AS in_b "
        f"FROM {written} AS w LEFT JOIN {before} AS b ON b.id = w.id "
        f"WHERE w.{_q(OWNER)} = {_lit(spec.name)} AND w.id NOT IN ({_computed(spec, entity)})")
    con.execute(f"ALTER TABLE {gone} ADD COLUMN resolution VARCHAR")
    con.execute(f"UPDATE {gone} SET resolution = CASE WHEN merged_into IS NOT NULL THEN 'merged' "
                f"WHEN NOT in_b THEN 'deleted_in_target' ELSE {_lit(policy)} END")
    # Kept old ids of records not put back (merged, deleted in the target) resolve to nothing from now on.
    con.execute(f"DELETE FROM {crosswalk} WHERE spec = ? AND status = 'kept' AND id IN "
                f"(SELECT id FROM {gone} WHERE resolution <> 'keep')", [spec.name])
    # Put kept records back (the steps removed every record of the spec's); the rest stay removed.
    present = [r[0] for r in con.execute(f"DESCRIBE {before}").fetchall()]
    columns = ", ".join(_q(c) for c in present)
    con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {before} "
                f"WHERE id IN (SELECT id FROM {gone} WHERE resolution = 'keep')")
    con.execute(f"INSERT INTO _ferry.gone SELECT ?, ?, ?, g.id, g.source_key, g.resolution, g.merged_into, "
                f"CASE WHEN g.resolution IN ('archive', 'merged') THEN CAST(to_json(b) AS VARCHAR) END "
                f"FROM {gone} AS g LEFT JOIN {before} AS b ON b.id = g.id ORDER BY g.id", [spec.name, run, entity.name])
    tally = dict(con.execute(f"SELECT resolution, count(*) FROM {gone} GROUP BY resolution ORDER BY 1").fetchall())
    if not tally.get("merged"):
        return tally, None
    merges = f"_ferry_delta_merges_{entity.name}"
    con.execute(f"CREATE OR REPLACE TEMPORARY TABLE {_q(merges)} AS SELECT id AS old_id, merged_into AS new_id "
                f"FROM {gone} WHERE resolution = 'merged'")
    return tally, merges


def check_push(con: duckdb.DuckDBPyConnection, spec: Spec, catalog: str) -> None:
    """F623: ``ferry push --to postgres`` sends the records the crosswalk lists and deletes, on the server,
    the ones its last push sent that are no longer listed; a record a delta run kept (gone from the export,
    ``gone: keep``) is not listed, and the push would delete it there. Until the push knows kept records,
    it stops before writing anything."""
    for entity in spec.entities:
        written, crosswalk = names.written_table(entity), names.crosswalk_table(entity)
        if not _one(con, "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND schema_name = ? "
                    "AND table_name = ?", [catalog, written.db, written.name]):
            continue
        kept = _one(con, f"SELECT count(*) FROM {_q(catalog)}.{_t(written)} WHERE {_q(OWNER)} = ? AND id NOT IN "
                    f"(SELECT id FROM {_q(catalog)}.{_t(crosswalk)} WHERE spec = ? AND status = 'loaded')",
                    [spec.name, spec.name])
        if kept:
            raise FerryError(Diagnostic(
                "F623", f"{kept} records of entity '{entity.name}' were kept by a delta run though gone from the "
                "export (gone: keep): pushing would delete them in PostgreSQL; nothing was pushed",
                entity.delta.gone_span or entity.span,
                "pushing kept records is not supported yet: give the entity `delta: {gone: archive}` or "
                "`{gone: delete}` and run again, or push from a target loaded with --full"))
