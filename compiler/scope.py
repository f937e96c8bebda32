"""A delta that does only the changed rows' work: the row-hash scope (the I/O edge of ``sqlgen.scope``).

In:  a DuckDB connection inside a run's transaction, the ``Spec``, its compile manifest, the run's kind
(``delta.Kind``) and the previous run's manifest. Out: hooks ``run.execute`` calls around each compiled
step, and what the run manifest records per entity (``summary``): whether its scope was used, and why not.

Every run (first, delta, ``--full``) stores per source row of an entity that can be scoped its old id, a
hash of its raw values and its outcome (``_ferry.<entity>_rowhash``, and which run wrote it in
``_ferry.rowhash_runs``). A delta hashes the new export's rows after the entity's staging step, classifies
them new / changed / unchanged and narrows the staging view to the scope (``sqlgen.scope.classified``); the
compiled steps then compute only those rows. After the entity's step the unchanged rows' records (as the
target holds them), crosswalk rows and outcomes are put back, so the records, the accounting and the
comparison (``delta.apply``, over the scope's records only) are what a delta over the whole export gives.
Rows that did not settle only because a reference resolved to nothing are carried the same way, their
unresolved-reference and reject ledger rows derived again from this run's parents (``sqlgen.scope_refs``).

An entity is computed whole, and the manifest says why, when the scope cannot be trusted: not a delta, a
spec or compiled SQL or ferry or DuckDB change since the last run, no stored hashes from the last run,
``match`` (links depend on the target's records), several sources, deferred references or a key other
than the old id, a referenced entity loaded for the first time, or a scope above ``LIMIT`` of
the rows (the whole path is then cheaper). An entity that dedups widens its scope to every row whose
cluster can change (``scope_dedup``, which says when it cannot be trusted).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import duckdb
from sqlglot import exp

from compiler import __version__, delta, scope_commit, scope_dedup
from compiler.model import Entity, Spec
from compiler.sqlgen import ledgers, load, names
from compiler.sqlgen import scope as sql
from compiler.sqlgen import scope_refs as carry

LIMIT = 0.3  # above this share of the rows in scope, the entity is computed whole
#: ``FERRY_DELTA_SCOPE=off`` computes every entity whole (the parity tests and the bench compare both paths).
SWITCH = "FERRY_DELTA_SCOPE"
_D = "duckdb"


def _run(con: duckdb.DuckDBPyConnection, tree: exp.Expression) -> duckdb.DuckDBPyConnection:
    return con.execute(tree.sql(dialect=_D))


def _t(name: str) -> exp.Table:
    return names.table(name)


def structural(spec: Spec, entity: Entity) -> str | None:
    """Why the entity can never be scoped (None: it can).

    ``match`` stays whole until the rule below is built and tested. A row's link can change only if
    (1) the row is in scope for any other reason (new, changed, its cluster or natural-key group changed);
    (2) another row with its match key, now or at the last run, is in scope (the first survivor in file order
    with a key links, the later ones merge into it: the order can move); (3) the records the key can match
    changed in the target since the last run: ``existing`` (records this spec does not own, the smallest id
    per key) is not what it was, per key, for the key's id or, with ``mode: update``, for a hash of the
    ``update`` fields of that record (a whole run writes them again on every run, so an edit made there is
    undone by it). (3) needs each run to store ``existing`` as it matched it (key, id, hash), and the next
    to compare it with ``existing`` now, key by key (as ``changed_keys`` compares crosswalks); (2) is a
    closure over match keys like ``scope_dedup``'s over dedup keys. A scope built from the changed rows
    alone misses a record edited in the target to take a row's key (the row must now link, and its earlier
    record merge into it), a linked record deleted there (the row must now insert) and an edited update
    field. In the example companies also have a natural key and a deferred self reference, each of which
    keeps them whole on its own."""
    if entity.match is not None:
        return "match: links to records already in the target"
    if entity.multi:
        return "several sources"
    if entity.key:
        return "a natural key merges rows"
    if entity.dedup is not None:  # its self references are in its closure (``scope_dedup``)
        return scope_dedup.unsupported(entity)
    if entity.deferred_references or any(r.entity == entity.name for r in entity.references):
        return "deferred or self references"
    if any(r.source for r in entity.references):
        return "a reference to a named source"
    return None


def lazy(spec: Spec, enabled: bool) -> frozenset[str]:
    """Entities whose snapshot the scope takes after staging, not ``delta.decide`` (``scope_commit.lazy``)."""
    return scope_commit.lazy(spec, enabled and os.environ.get(SWITCH, "on") != "off", structural)


@dataclass
class _Entity:
    entity: Entity
    source: str
    stage: exp.Table
    reason: str | None = None  # why it is computed whole
    hashed: bool = False
    scoped: bool = False
    narrowed: bool = False  # its step's deletes leave the unchanged rows' records in place (``scope_commit``)
    snapped: bool = False  # its snapshot taken (a lazy entity's, ``scope_commit.snapshot``)
    counts: dict[str, int] = field(default_factory=dict)
    step: str | None = None  # a dedup entity's step, and its text (``scope_dedup``)
    text: str | None = None


class Scope:
    """The run's scope: created after ``delta.decide``, called around every compiled step."""

    def __init__(self, con: duckdb.DuckDBPyConnection, spec: Spec, manifest: dict[str, Any], kind: Any,
                 previous: dict[str, Any] | None, manifest_sha: str, enabled: bool = True,
                 texts: dict[str, Any] | None = None) -> None:
        self.con, self.spec, self.kind, self.texts = con, spec, kind, texts if texts is not None else {}
        self.entities: dict[str, _Entity] = {}
        self.manifest, self.lazy = manifest, lazy(spec, enabled)
        self.changed: dict[str, exp.Table] = {}  # entity -> old ids whose mapping changed in this run
        self._staged: set[str] = set()
        switched_on = os.environ.get(SWITCH, "on") != "off"
        self.run_reason = (self._run_reason(previous, manifest_sha) if enabled else "not a DuckDB run") \
            if switched_on else f"turned off ({SWITCH}=off)"
        self.enabled = enabled = enabled and switched_on
        stages = {e["name"]: e["stage_table"] for e in manifest["sources"]}
        for e in spec.entities:
            self.entities[e.name] = _Entity(e, e.source, names.table(stages[e.source]), structural(spec, e))
            if e.dedup is not None and self.entities[e.name].reason is None:
                self._capture(self.entities[e.name], manifest)
        self.referenced = {r.entity for e in spec.entities for r in e.references if r.entity != e.name}
        if kind.name == "delta" and enabled and self.run_reason is None and not all(
                delta._has_column(con, names.crosswalk_table(spec.entity(name)), "spec") for name in self.referenced
                if name not in kind.fresh):
            self.run_reason = "a crosswalk predates its spec column (this run adopts its rows)"
        if kind.name == "delta" and enabled and self.run_reason is None:
            for name in self.referenced:
                if name not in kind.fresh:
                    _run(con, sql.temporary(self._mapping(name), sql.mapping(spec.name, names.crosswalk_table(
                        spec.entity(name)))))

    def _capture(self, e: _Entity, manifest: dict[str, Any]) -> None:
        """A dedup entity's step keeps its rows' values and pairs for the next delta (``scope_dedup.capture``)."""
        if not self.enabled:
            return
        steps = [f["name"] for f in manifest["files"] if f.get("reads") == e.source]
        text = self.texts.get(steps[-1]) if len(steps) == 2 else None
        parts = scope_dedup.with_capture(self.con, text, e.entity, lambda con: scope_dedup.capture(
            con, e.entity) or []) if isinstance(text, str) else None
        if parts is None:
            e.reason = "dedup: its step could not be followed"
            return
        e.step, e.text = steps[-1], text
        self.texts[steps[-1]] = parts

    def _run_reason(self, previous: dict[str, Any] | None, manifest_sha: str) -> str | None:
        if self.kind.name != "delta":
            return f"a {self.kind.name} run"
        if previous is None:
            return "no earlier run"
        if previous.get("generated", {}).get("manifest_sha256") != manifest_sha:
            return "the spec or its compiled SQL changed since the last run"
        if previous.get("ferry_version") != __version__:
            return "ferry's version changed since the last run"
        if previous.get("tools", {}).get("duckdb") != duckdb.__version__:
            return "DuckDB's version changed since the last run (row hashes may differ)"
        self.previous_run = previous.get("started_at")
        return None

    @staticmethod
    def _mapping(entity: str) -> exp.Table:
        return _t(f"_ferry_scope_map_{entity}")

    def _names(self, e: _Entity) -> dict[str, exp.Table]:
        n = e.entity.name
        return {k: _t(f"_ferry_scope_{k}_{n}") for k in ("hash", "all", "class", "rows", "unchanged", "ids",
                                                         "changed", "carried", "rejected")}

    # -- hooks ---------------------------------------------------------------------------------------------

    def after(self, entry: dict[str, Any]) -> None:
        """After a compiled step: the first step reading a source stages it, the next one loads its entity."""
        source = entry.get("reads")
        if source is None:
            return
        if source not in self._staged:
            self._staged.add(source)
            self.after_stage(source)
            return
        e = next((x for x in self.entities.values() if x.source == source and not x.entity.multi), None)
        if e is not None and e.scoped:
            self.after_entity(e.entity.name)

    def after_stage(self, source: str) -> None:
        """The source's rows hashed; in a delta, classified, and the staging view narrowed to the scope; a lazy
        entity's records snapshot (only those its narrowed step deletes, when it is scoped)."""
        e = next((x for x in self.entities.values() if x.source == source), None)
        self._after_stage(source, e)
        if e is not None and e.entity.name in self.lazy and self.kind.name == "delta" and \
                e.entity.name not in self.kind.fresh and not e.snapped:
            scope_commit.snapshot(self.con, self.spec, e.entity)
            e.snapped = True

    def _after_stage(self, source: str, e: _Entity | None) -> None:
        if e is None or e.reason is not None or self.kind.name == "pilot" or not self.enabled:
            return
        t = self._names(e)
        entity, spec = e.entity, self.spec
        refs = [entity.reference_column(r, source) for r in entity.references]
        columns = [r[0] for r in self.con.execute(exp.Describe(this=e.stage.copy()).sql(dialect=_D)).fetchall()]
        is_delta = self.kind.name == "delta" and entity.name not in self.kind.fresh
        reason = self.run_reason if is_delta else f"a {self.kind.name} run" if self.kind.name != "delta" else \
            "its first load"
        if reason is None:
            reason = self._stored_reason(e) or next((f"entity '{r.entity}' it refers to is loaded for the first time"
                                                      for r in entity.references if r.entity in self.kind.fresh), None)
        if reason is not None or not is_delta:
            _run(self.con, sql.temporary(t["hash"], sql.hashed(e.stage, spec.source(source).id_column, columns, refs)))
            e.hashed, e.reason = True, e.reason or reason
            return
        _run(self.con, sql.temporary(t["all"], sql.materialized(e.stage)))
        _run(self.con, sql.temporary(t["hash"], sql.hashed(t["all"], spec.source(source).id_column, columns, refs)))
        e.hashed = True
        # a self reference's targets are computed in the same step: the dedup closure covers them
        changed = [self._changed(r.entity) if r.entity != entity.name else None for r in entity.references]
        _run(self.con, carry.add_carry(sql.store_table(entity.name)))
        before = scope_commit.sql.owned_ids(spec, entity) if entity.name in self.lazy else delta._before(entity)
        _run(self.con, sql.temporary(t["class"], sql.classified(spec.name, t["hash"], sql.store_table(entity.name),
                                                               before, changed)))
        total, scoped, new, diff = (int(n or 0) for n in _run(self.con, sql.class_counts(t["class"])).fetchone())
        if entity.dedup is not None and not (total and scoped > LIMIT * total):
            why = scope_dedup.widen(self.con, spec, entity, source, e.text or "", e.stage, t["all"], t["hash"],
                                    t["class"], delta._crosswalk(entity))
            total, scoped, new, diff = (int(n or 0) for n in _run(self.con, sql.class_counts(t["class"])).fetchone())
            if why is not None or (total and scoped > LIMIT * total):
                _run(self.con, exp.Create(this=e.stage.copy(), kind="VIEW", replace=True, expression=exp.select(
                    exp.Star()).from_(t["all"]).order_by(names.col(names.ROW)), properties=exp.Properties(
                    expressions=[exp.TemporaryProperty()])))  # the whole export again
            e.reason = why
        e.counts = {"rows": total, "scope": scoped, "new": new, "changed": diff, "unchanged": total - new - diff}
        # rows without an old id are always "new" (nothing stored can match them): counted apart for the summary
        e.counts["keyless"] = _run(self.con, exp.select(exp.func("count_if", exp.Is(this=names.col(names.KEY),
                                   expression=exp.null()))).from_(t["class"])).fetchone()[0] or 0
        if e.reason is not None:
            return
        if total and scoped > LIMIT * total:
            e.reason = f"the scope holds {scoped} of {total} rows (more than {LIMIT:.0%}): computed whole"
            return
        _run(self.con, sql.temporary(t["rows"], sql.scope_rows(t["class"])))
        _run(self.con, sql.temporary(t["unchanged"], carry.unchanged_rows(t["class"])))
        _run(self.con, sql.temporary(t["carried"], carry.carried_rows(entity, t["class"], t["hash"])))
        e.counts["carried"] = _run(self.con, carry.count_carried(t["class"])).fetchone()[0]
        _run(self.con, exp.Create(this=e.stage.copy(), kind="VIEW", replace=True, expression=sql.narrowed(
            t["all"], t["rows"]), properties=exp.Properties(expressions=[exp.TemporaryProperty()])))
        e.scoped = True
        self._narrow(e, t["unchanged"])

    def _narrow(self, e: _Entity, keep: exp.Table) -> None:
        """The entity step's deletes narrowed to the scope, and its snapshot to what they delete."""
        steps = [f["name"] for f in self.manifest["files"] if f.get("reads") == e.source]
        parts = scope_commit.narrowed(self.con, self.spec, e.entity, e.source, self.texts.get(steps[-1]), keep) \
            if len(steps) == 2 and steps[-1] in self.texts else None
        if parts is None:
            return
        self.texts[steps[-1]] = parts
        e.narrowed = True
        if e.entity.name in self.lazy:
            scope_commit.snapshot(self.con, self.spec, e.entity, keep)
            e.snapped = True
            e.counts["snapshot"] = _run(self.con, exp.select(exp.Count(this=exp.Star())).from_(
                delta._before(e.entity))).fetchone()[0]

    def _stored_reason(self, e: _Entity) -> str | None:
        if not (delta._exists(self.con, sql.store_table(e.entity.name)) and delta._exists(self.con, sql.runs_table())):
            return "no row hashes stored by the last run"
        written = _run(self.con, sql.stored_run(self.spec.name, e.entity.name)).fetchone()[0]
        if written != getattr(self, "previous_run", None):
            return "the row hashes stored are not the last run's"
        if e.entity.dedup is not None and not (delta._exists(self.con, scope_dedup.dsql.store_table(e.entity.name)) and _run(
                self.con, sql.stored_run(self.spec.name, f"{e.entity.name}#dedup")).fetchone()[0] == self.previous_run):
            return "dedup: no rows' dedup values stored by the last run"
        dups = names.duplicates_table(e.entity)
        if e.entity.dedup is not None and delta._exists(self.con, dups) and not delta._has_column(
                self.con, dups, ledgers.OWNER):
            return "dedup: its duplicates table predates its owner column (this run adopts its rows)"
        return None

    def after_entity(self, entity_name: str) -> None:
        """Unchanged rows put back after a scoped entity's step; the old ids whose mapping changed, for its children."""
        e = self.entities[entity_name]
        spec, entity = self.spec, e.entity
        if e.scoped:
            t = self._names(e)
            table, rows = names.entity_table(spec.target, entity), names.rows_table(entity)
            _run(self.con, sql.temporary(t["ids"], sql.scope_ids(rows)))
            crosswalk = names.crosswalk_table(entity)
            if not e.narrowed:  # the step removed every record of the spec's: the unchanged ones go back
                present = [r[0] for r in self.con.execute(exp.Describe(this=delta._before(entity)).sql(
                    dialect=_D)).fetchall()]
                _run(self.con, sql.restore_records(table, delta._before(entity), present, t["unchanged"]))
                _run(self.con, sql.drop_kept(spec.name, crosswalk, e.source, t["unchanged"]))
            status, kept = None, t["unchanged"]
            if entity.dedup is not None:  # merged rows too: each with its status and its cluster's record
                status, kept = "status", _t(f"_ferry_scope_status_{entity.name}")
                _run(self.con, sql.temporary(kept, scope_dedup.with_status(t["unchanged"], delta._crosswalk(entity),
                                                                           e.source)))
            if not e.narrowed:
                _run(self.con, sql.restore_crosswalk(spec.name, crosswalk, e.source, kept, status))
            _run(self.con, sql.restore_outcomes(rows, kept, status))
            if entity.dedup is not None:
                scope_dedup.restore(self.con, spec, entity, t["hash"], t["unchanged"])
            # carried rows (unresolved references only): their ledger rows derived again from this run's parents
            unresolved = load.record_unresolved(spec, entity, t["carried"])
            if unresolved is not None:
                _run(self.con, unresolved)
            _run(self.con, sql.temporary(t["rejected"], carry.rejected_rows(spec, entity, t["carried"])))
            _run(self.con, carry.restore_rejected(rows, t["rejected"]))
            _run(self.con, carry.record_rejects(spec, entity, t["rejected"]))
            loaded = exp.select(exp.Count(this=exp.Star())).from_(kept)
            e.counts["unchanged_records"] = self.con.execute((loaded.where(names.col("status").eq(exp.Literal.string(
                names.LOADED))) if status else loaded).sql(dialect=_D)).fetchone()[0]

    def _changed(self, entity_name: str) -> exp.Table:
        """The referenced entity's old ids whose mapping changed in this run (its steps have run)."""
        if entity_name not in self.changed:
            changed = _t(f"_ferry_scope_changed_{entity_name}")
            _run(self.con, sql.temporary(changed, sql.changed_keys(self._mapping(entity_name), sql.mapping(
                self.spec.name, names.crosswalk_table(self.spec.entity(entity_name))))))
            self.changed[entity_name] = changed
        return self.changed[entity_name]

    def scoped_ids(self, entity_name: str) -> exp.Select | None:
        """For ``delta.apply``: the records the steps computed (None: every record of the entity)."""
        e = self.entities.get(entity_name)
        if e is None or not e.scoped:
            return None
        return exp.select(names.col(names.ID)).from_(self._names(e)["ids"])

    def unchanged(self, entity_name: str) -> int:
        e = self.entities.get(entity_name)
        return e.counts.get("unchanged_records", 0) if e else 0

    def store(self, run: str) -> None:
        """After the delta is resolved: the row hashes and outcomes of this run, for the next one."""
        for e in self.entities.values():
            if not e.hashed:
                continue
            _run(self.con, sql.create(sql.runs_table(), sql.RUNS_COLUMNS))
            t, store = self._names(e), sql.store_table(e.entity.name)
            _run(self.con, sql.create(store, sql.STORE_COLUMNS))
            _run(self.con, carry.add_carry(store))
            rows = names.rows_table(e.entity)
            only = exp.select(names.col(names.KEY)).from_(t["rows"]) if e.scoped else None
            if e.scoped:  # the scope's rows, and keys gone from the export
                gone = exp.select(names.col("source_key")).from_(store).where(exp.and_(
                    names.col("spec").eq(exp.Literal.string(self.spec.name)),
                    exp.not_(sql._in(names.col("source_key"), exp.select(names.col(names.KEY)).from_(t["hash"])))))
                _run(self.con, sql.store_delete(self.spec.name, store, exp.union(only, gone, distinct=False)))
            else:
                _run(self.con, sql.store_delete(self.spec.name, store, None))
            dups = None
            if e.entity.dedup is not None:  # two stores leave out the same old ids: found once
                dups = _t(f"_ferry_scope_dupkeys_{e.entity.name}")
                _run(self.con, sql.temporary(dups, sql.duplicated_keys(t["hash"])))
            _run(self.con, sql.store_insert(self.spec.name, store, t["hash"], rows, e.entity.name, only, dups))
            if e.entity.dedup is not None:
                scope_dedup.store(self.con, self.spec, e.entity, t["hash"], t["rows"] if e.scoped else None, run, dups)
            runs = sql.runs_table()
            _run(self.con, exp.delete(runs, where=exp.and_(names.col("spec").eq(exp.Literal.string(self.spec.name)),
                                                          names.col("entity").eq(exp.Literal.string(e.entity.name)))))
            _run(self.con, exp.insert(exp.select(exp.Literal.string(self.spec.name), exp.Literal.string(e.entity.name),
                                                 exp.Literal.string(run)), runs))

    def summary(self) -> dict[str, Any]:
        """Per entity: scoped (and its rows new / changed / unchanged, and the scope) or the reason it was not."""
        out = {}
        for name, e in self.entities.items():
            entry: dict[str, Any] = {"scoped": e.scoped, **e.counts}
            if e.scoped:
                entry["narrowed"] = e.narrowed
            if not e.scoped:
                entry["reason"] = e.reason or self.run_reason or "not hashed"
            out[name] = entry
        return out
