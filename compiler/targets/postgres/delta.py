"""The delta on PostgreSQL: the server's records and written ledger read into DuckDB, resolved as a run would.

In:  a psycopg connection (inside the push's transaction, or a plan's read-only one), a DuckDB connection with
the run's file attached as ``target``, the ``Spec``. Out: ``read`` -> ``ServerDelta``: per entity its mode,
counts, conflicts and gone records, and DuckDB temporary tables holding what the push writes (records,
conflicts, gone records, the new ledger); ``writes``: the statements that write them on the server
(``targets.postgres.push`` executes them, ``targets.postgres.plan`` only shows the counts). An I/O edge: reads only.

When PostgreSQL is the target, the server holds what users edit: the run's DuckDB file is ferry's working
copy, and its records are the computed values (C). The server keeps its own ledger of what ferry pushed
(W, ``"<schema>"."_ferry_<entity>_written"``), written in the push's transaction; its records are T. The
resolution is ``sqlgen.delta``'s, the same trees as a DuckDB run's, so the plan and the push agree by
construction. An entity is pushed as a delta when the server's ledger holds rows of this spec; otherwise
(a first push, or after ``ferry run --full``) it is replaced as pushes always did, and the ledger starts.
The server's tables are locked against writes (``SHARE ROW EXCLUSIVE``) before they are read, so an edit
made during the push waits for it instead of being overwritten.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from compiler import delta as run_delta
from compiler.targets.postgres import diff as pgdiff
from compiler.errors import Diagnostic, FerryError
from compiler.model import Entity, Spec
from compiler.sqlgen import delta as sql
from compiler.sqlgen import names
from compiler.sqlgen.ledgers import OWNER

_PG, _D = "postgres", "duckdb"
CATALOG = "target"  # the run's DuckDB file, attached read-only
CONFLICTS = tuple(n for n, _ in run_delta.CONFLICTS)
GONE = tuple(n for n, _ in run_delta.GONE)
_REMOVED = ("archive", "delete", "merged")  # gone records the push deletes on the server


@dataclass(frozen=True, slots=True)
class EntityDelta:
    entity: str
    mode: str  # delta (the server's ledger holds this spec's rows) | replace (first push, --full) | pilot
    counts: dict[str, Any]
    conflicts: tuple[tuple[Any, ...], ...] = ()  # rows of _ferry_conflicts, in its column order
    scoped: tuple[str, ...] | None = None  # a delta that resolved only these ids (``diff``); None: every record
    seconds: float = 0.0  # reading the server and resolving
    crosswalk_same: bool = False  # nothing moved and the server's crosswalk rows are the run's: not replaced


@dataclass(frozen=True, slots=True)
class ServerDelta:
    kind: str  # the DuckDB run's kind: first | delta | full | pilot
    run: str
    entities: tuple[EntityDelta, ...] = field(default_factory=tuple)

    def mode(self, entity: str) -> str:
        return next((e.mode for e in self.entities if e.entity == entity), "replace")


def _table(table: exp.Table, query: exp.Expression) -> exp.Create:
    return sql.temporary(table, query, temporary=False)  # the push's COPY threads read them on other cursors


def pg_table(spec: Spec, name: str) -> exp.Table:
    return names.table(name, spec.target.postgres_schema)


def entity_table(spec: Spec, entity: Entity) -> exp.Table:
    return pg_table(spec, f"{spec.target.table_prefix}{entity.table}")


def ledger_table(spec: Spec, entity: Entity) -> exp.Table:
    return pg_table(spec, f"_ferry_{entity.name}_written")


def _crosswalk(spec: Spec, entity: Entity) -> exp.Table:
    return pg_table(spec, f"_ferry_{entity.name}_crosswalk")


def _local(entity: Entity, what: str) -> exp.Table:
    return names.table(f"_ferry_pg_{what}_{entity.name}")


def _attached(table: exp.Table) -> exp.Table:
    return exp.table_(table.this.copy(), db=(table.args.get("db") or names.ident("main")).copy(),
                      catalog=names.ident(CATALOG))


def run_kind(duck: duckdb.DuckDBPyConnection, spec: Spec) -> tuple[str, str]:
    """The kind and start of the last run of ``spec`` in the DuckDB file (its manifest in ``_ferry.runs``)."""
    runs = _attached(names.runs_table())
    if not run_delta._exists(duck, names.runs_table(), CATALOG):
        return "first", ""
    row = duck.execute(exp.select(names.col("manifest")).from_(runs).where(
        names.col("spec").eq(exp.Literal.string(spec.name))).order_by(
        exp.Ordered(this=names.col("started_at"), desc=True)).limit(1).sql(dialect=_D)).fetchone()
    manifest = json.loads(row[0]) if row else {}
    return manifest.get("delta", {}).get("kind", "first"), manifest.get("started_at", "")


def _server_columns(pg: Any, table: exp.Table) -> list[str] | None:
    rows = pg.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = %s "
                      "AND table_name = %s ORDER BY ordinal_position", [table.db, table.name]).fetchall()
    return [r[0] for r in rows] or None


def _pull(pg: Any, duck: duckdb.DuckDBPyConnection, tmp: Path, table: exp.Table, into: exp.Table,
          wanted: list[tuple[str, str]], where: exp.Expression | None) -> None:
    """Rows of a server table into a DuckDB temporary table with the ``wanted`` columns (name, DuckDB type);
    a column the server's table lacks (a field added since) is NULL; no table: no rows."""
    duck.execute(exp.Create(this=exp.Schema(this=into.copy(), expressions=[
        exp.ColumnDef(this=names.ident(n), kind=exp.DataType.build(t, dialect=_D)) for n, t in wanted]),
        kind="TABLE", replace=True).sql(dialect=_D))
    present = _server_columns(pg, table)
    if present is None:
        return
    query = exp.select(*(exp.alias_(names.col(n) if n in present else exp.null(), n, quoted=True) for n, _ in wanted)
                       ).from_(table.copy())
    if where is not None:
        query = query.where(where)
    path = tmp / f"{into.name}.csv"
    with pg.cursor() as cur, path.open("wb") as fh:
        with cur.copy(f"COPY ({query.sql(dialect=_PG)}) TO STDOUT (FORMAT csv)") as copy:
            for chunk in copy:
                fh.write(chunk)
    if path.stat().st_size == 0:  # no rows (DuckDB cannot sniff an empty file)
        path.unlink()
        return
    # COPY TO STDOUT ends rows in \n: said, so that a value holding \r\n does not fail DuckDB's dialect sniffing.
    duck.execute(f"COPY {into.sql(dialect=_D)} FROM {exp.Literal.string(str(path)).sql(dialect=_D)} "
                 "(FORMAT csv, HEADER false, ALLOW_QUOTED_NULLS false, NEW_LINE '\\n')")
    path.unlink()


def _spec_rows(pg: Any, table: exp.Table, column: str, spec: Spec) -> exp.Expression | None:
    """This spec's rows of a server bookkeeping table (in one from before the column: every row)."""
    if column not in (_server_columns(pg, table) or ()):
        return None
    return names.col(column).eq(exp.Literal.string(spec.name))


def _held_ledger(pg: Any, spec: Spec, entity: Entity) -> bool:
    table = ledger_table(spec, entity)
    if _server_columns(pg, table) is None:
        return False
    query = exp.select(exp.Count(this=exp.Star())).from_(table).where(sql.of_owner(spec.name))
    return bool(pg.execute(query.sql(dialect=_PG)).fetchone()[0])


def _holds_records(pg: Any, spec: Spec, entity: Entity) -> bool:
    crosswalk = _crosswalk(spec, entity)
    if _server_columns(pg, crosswalk) is None:
        return False
    mine = _spec_rows(pg, crosswalk, "spec", spec)
    query = exp.select(exp.Count(this=exp.Star())).from_(crosswalk).where(
        exp.and_(names.col("status").eq(exp.Literal.string(names.LOADED)), *([mine] if mine is not None else [])))
    return bool(pg.execute(query.sql(dialect=_PG)).fetchone()[0])


def read(pg: Any, duck: duckdb.DuckDBPyConnection, spec: Spec, tmp: Path, run: str, lock: bool) -> ServerDelta:
    """Every entity's delta against the server (F630 when the server holds this spec's records but no ledger
    while the run is a delta; F631 for a pilot over a server with a ledger). ``lock``: take the push's locks."""
    kind, _ = run_kind(duck, spec)
    out = []
    for entity in spec.entities:
        held = _held_ledger(pg, spec, entity)
        if kind == "pilot" and held:
            raise FerryError(Diagnostic(
                "F631", f"the PostgreSQL schema {spec.target.postgres_schema} holds records pushed from full runs of "
                f"spec '{spec.name}': pushing a pilot (--sample) would replace them, and the edits made there since",
                spec.target.span, "run without --sample before pushing, or push the pilot into another schema "
                "(target.postgres.schema)"))
        if kind == "delta" and not held and _holds_records(pg, spec, entity):
            raise FerryError(Diagnostic(
                "F630", f"PostgreSQL holds records of entity '{entity.name}' of spec '{spec.name}' from a push that did "
                "not record what it wrote: a delta push cannot tell the server's edits from its own values",
                spec.target.span, "run once with `ferry run --full` and push: this spec's records on the server are "
                "replaced as before (edits made there since are overwritten; `ferry plan --full --to postgres` shows "
                "them) and later pushes are deltas"))
        mode = "delta" if held and kind in ("first", "delta") else "pilot" if kind == "pilot" else "replace"
        if lock and _server_columns(pg, entity_table(spec, entity)) is not None:
            pg.execute(f"LOCK TABLE {entity_table(spec, entity).sql(dialect=_PG)} IN SHARE ROW EXCLUSIVE MODE")
        t0 = time.perf_counter()
        e = _entity(pg, duck, spec, entity, tmp, run, mode)
        out.append(replace(e, seconds=round(time.perf_counter() - t0, 3)))
    return ServerDelta(kind, run, tuple(out))


def _entity(pg: Any, duck: duckdb.DuckDBPyConnection, spec: Spec, entity: Entity, tmp: Path, run: str,
            mode: str) -> EntityDelta:
    cols = run_delta.columns(entity)
    names_ = tuple(n for n, _ in cols)
    crosswalk = _crosswalk(spec, entity)
    old = _local(entity, "crosswalk")
    mine = _spec_rows(pg, crosswalk, "spec", spec)
    linked = exp.not_(exp.func("coalesce", names.col("linked"), exp.false()))
    computed_ids = sql.computed_ids(spec.name, _attached(names.crosswalk_table(entity)))
    scope = None if mode != "delta" else pgdiff.scope(
        pg, duck, spec.name, names_, entity_table(spec, entity), ledger_table(spec, entity),
        _attached(names.entity_table(spec.target, entity)), computed_ids, _server_columns, tmp, entity.name)
    only = [] if scope is None else [pgdiff.id_filter(scope.ids)]  # the server's rows of the records resolved
    if scope is not None and not scope.ids:  # nothing moved on either side: nothing to read, resolve or write
        return replace(_untouched(duck, entity, cols, scope.same), crosswalk_same=pgdiff.same_crosswalk(
            pg, duck, spec.name, crosswalk, _attached(names.crosswalk_table(entity)), _server_columns))
    if scope is not None:
        computed_ids = computed_ids.where(sql.in_query(names.col(names.ID), scope.selects()))
    _pull(pg, duck, tmp, crosswalk, old, [("source", "VARCHAR"), ("source_key", "VARCHAR"), ("id", "UUID"),
                                          ("status", "VARCHAR")],
          exp.and_(linked, *([mine] if mine is not None else []), *(o.copy() for o in only)))
    if mode == "replace" and not duck.execute(exp.select(exp.Count(this=exp.Star())).from_(old.copy()).sql(
            dialect=_D)).fetchone()[0]:
        return _first(duck, spec, entity, cols, computed_ids, run)
    written, before = _local(entity, "written"), _local(entity, "before")
    full = [("id", "UUID"), *cols]
    if mode == "delta":  # W: the server's ledger; T: the server's records ferry wrote
        _pull(pg, duck, tmp, ledger_table(spec, entity), written, [(OWNER, "VARCHAR"), ("_ferry_run", "VARCHAR"), *full],
              exp.and_(sql.of_owner(spec.name), *(o.copy() for o in only)))
        ids = exp.select(names.col(names.ID)).from_(ledger_table(spec, entity)).where(
            exp.and_(sql.of_owner(spec.name), *(o.copy() for o in only)))
    else:  # replacing: W is what the server holds, so every difference is an update and nothing is an edit
        ids = exp.select(names.col(names.ID)).from_(crosswalk).where(exp.and_(
            names.col("status").eq(exp.Literal.string(names.LOADED)), linked.copy(),
            *([mine.copy()] if mine is not None else [])))
    if mode != "delta" and _server_columns(pg, crosswalk) is None:  # no crosswalk: none of the records is ferry's
        ids = ids.where(exp.false(), append=False).from_(entity_table(spec, entity))
    _pull(pg, duck, tmp, entity_table(spec, entity), before, full, sql.in_query(names.col(names.ID), ids))
    if mode != "delta":
        duck.execute(_table(written, exp.select(exp.alias_(exp.Literal.string(spec.name), OWNER, quoted=True),
                                                       exp.alias_(exp.null(), "_ferry_run", quoted=True), exp.Star())
                                   .from_(before.copy())).sql(dialect=_D))
    s = sql.Sides(spec.name, names_, _attached(names.entity_table(spec.target, entity)),
                  computed_ids, written, before, frozenset(names_))
    policy = entity.delta.conflicts if mode == "delta" else "source_wins"
    gone_policy = entity.delta.gone if mode == "delta" else "delete"
    j, r, few, g = (_local(entity, x) for x in ("j", "r", "few", "gone"))
    run_sql = lambda tree: duck.execute(tree.sql(dialect=_D))  # noqa: E731
    run_sql(_table(j, sql.joined(s)))
    run_sql(_table(r, sql.resolution(j, policy, len(names_))))
    run_sql(_table(g, sql.gone(s, old, _attached(names.crosswalk_table(entity)), gone_policy)))
    # What the push writes: new records and those whose resolved values differ from the server's.
    run_sql(_table(_local(entity, "writes"), exp.select(
        names.col(names.ID), *(exp.alias_(exp.column(f"v_{i}"), c, quoted=True) for i, c in enumerate(names_)))
        .from_(r.copy()).where(exp.or_(exp.not_(exp.column("in_w")), exp.column("moved")))))
    conflicts: list[tuple[Any, ...]] = []
    if names_ and mode == "delta":
        run_sql(_table(few, sql.in_conflict(j, len(names_))))
    if names_ and mode == "delta" and run_sql(exp.select(exp.Count(this=exp.Star())).from_(few.copy())).fetchone()[0]:
        conflict_rows = sql.conflict_rows(spec.name, run, entity.name, policy, few,
                                          _attached(names.crosswalk_table(entity)), names_)
        run_sql(_table(_local(entity, "conflicts"), conflict_rows))
        conflicts = [tuple(row) for row in run_sql(exp.select(exp.Star()).from_(_local(entity, "conflicts"))).fetchall()]
    else:  # none (building the per-field query costs more than running it)
        pgdiff.empty(duck, _local(entity, "conflicts"), list(run_delta.CONFLICTS))
    run_sql(_table(_local(entity, "gone_rows"), sql.gone_rows(spec.name, run, entity.name, g, before)))
    # The new ledger: computed values, except held records (deleted on the server, rejected conflicts, kept
    # gone records), whose rows stay as they were.
    held = [sql.deleted_in_target(r)]
    if policy == "reject":
        held.append(exp.select(names.col(names.ID)).from_(r.copy()).where(exp.column("conflicted")))
    if gone_policy == "keep":
        held.append(sql.gone_ids(g, "keep"))
    held_ids = sql.union_all(held)
    c_values = [exp.column(f"c_{i}") for i in range(len(names_))]
    fresh = (exp.select(exp.alias_(exp.Literal.string(spec.name), OWNER, quoted=True),
                        exp.alias_(exp.Literal.string(run), "_ferry_run", quoted=True),
                        exp.alias_(pgdiff.row_hash(c_values), pgdiff.HASH, quoted=True),
                        names.col(names.ID), *(c.copy() for c in c_values)).from_(j.copy())
             .where(exp.not_(sql.in_query(names.col(names.ID), held_ids))))
    kept = (exp.select(names.col(OWNER), names.col("_ferry_run"), pgdiff.row_hash([names.col(c) for c in names_]),
                       *(names.col(c) for c in (names.ID, *names_))).from_(written.copy())
            .where(exp.and_(sql.of_owner(spec.name), sql.in_query(names.col(names.ID), held_ids))))
    run_sql(_table(_local(entity, "ledger"), exp.union(fresh, kept, distinct=False) if mode != "pilot"
                          else fresh.where(exp.false())))
    counts = dict(zip(("insert", "update", "unchanged", "conflicted_records", "deleted_in_target"),
                      (v or 0 for v in run_sql(sql.counts(r)).fetchone())))
    counts["unchanged"] += scope.same if scope is not None else 0  # left alone: nothing moved on either side
    counts["conflicts"] = len(conflicts)
    counts["gone"] = dict(run_sql(exp.select(names.col("resolution"), exp.Count(this=exp.Star())).from_(g.copy())
                                  .group_by(names.col("resolution")).order_by(exp.Literal.number(1))).fetchall())
    if mode != "delta":  # a replacing push lists no conflicts nor gone records: it deletes what it no longer gives
        counts["delete"] = sum(counts.pop("gone").values())
        counts["gone"] = {}
    else:
        counts["delete"] = sum(n for k, n in counts["gone"].items() if k in _REMOVED)
    return EntityDelta(entity.name, mode, counts, tuple(conflicts), None if scope is None else scope.ids)


def _untouched(duck: duckdb.DuckDBPyConnection, entity: Entity, cols: list[tuple[str, str]], same: int) -> EntityDelta:
    """A delta in which no record moved: nothing to write (``writes`` leaves the ledger as it is)."""
    for what, columns in (("writes", [("id", "UUID"), *cols]), ("conflicts", run_delta.CONFLICTS),
                          ("gone_rows", run_delta.GONE)):
        pgdiff.empty(duck, _local(entity, what), list(columns))
    counts: dict[str, Any] = {"insert": 0, "update": 0, "unchanged": same, "conflicted_records": 0,
                              "deleted_in_target": 0, "conflicts": 0, "gone": {}, "delete": 0}
    return EntityDelta(entity.name, "delta", counts, (), ())


def _first(duck: duckdb.DuckDBPyConnection, spec: Spec, entity: Entity, cols: list[tuple[str, str]],
           computed_ids: exp.Select, run: str) -> EntityDelta:
    """Replacing where the server holds none of the spec's records (a first push): all inserts, no resolving."""
    names_ = [names.col(n) for n, _ in cols]
    ledger = (exp.select(exp.alias_(exp.Literal.string(spec.name), OWNER, quoted=True),
                         exp.alias_(exp.Literal.string(run), "_ferry_run", quoted=True),
                         exp.alias_(pgdiff.row_hash(names_), pgdiff.HASH, quoted=True),
                         names.col(names.ID), *(c.copy() for c in names_))
              .from_(_attached(names.entity_table(spec.target, entity)))
              .where(sql.in_query(names.col(names.ID), computed_ids)))
    duck.execute(_table(_local(entity, "ledger"), ledger).sql(dialect=_D))
    pgdiff.empty(duck, _local(entity, "conflicts"), list(run_delta.CONFLICTS))
    counts: dict[str, Any] = {"insert": duck.execute(exp.select(exp.Count(this=exp.Star())).from_(
        _local(entity, "ledger")).sql(dialect=_D)).fetchone()[0], "update": 0, "unchanged": 0, "conflicted_records": 0,
                              "deleted_in_target": 0, "conflicts": 0, "delete": 0, "gone": {}}
    return EntityDelta(entity.name, "replace", counts)


# -- the writes --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Write:
    sql: str  # for PostgreSQL
    copy_from: str | None = None  # DuckDB query feeding a COPY ... FROM STDIN
    entity: str = ""


def _copy(table: exp.Table, columns: tuple[str, ...]) -> str:
    cols = ", ".join(names.ident(c).sql(dialect=_PG) for c in columns)
    return f"COPY {table.sql(dialect=_PG)} ({cols}) FROM STDIN (FORMAT csv)"


def records_query(entity: Entity, columns: tuple[str, ...]) -> str:
    """The DuckDB query feeding a delta entity's load: only the records to write, resolved."""
    return exp.select(*(names.col(c) for c in columns)).from_(_local(entity, "writes")).order_by(
        names.col(names.ID)).sql(dialect=_D)


def writes(spec: Spec, delta: ServerDelta) -> tuple[Write, ...]:
    """After the records are loaded (the push's finish phase): conflicts and gone records listed, gone records
    removed and what referred to a merged one re-pointed, and the ledger replaced (without the records ``match``
    linked to ones the server had: their ids are the server's records', not ferry's)."""
    out: list[Write] = []
    lit = exp.Literal.string
    for e in delta.entities:
        entity = spec.entity(e.entity)
        table, ledger = entity_table(spec, entity), ledger_table(spec, entity)
        cols = tuple(n for n, _ in run_delta.columns(entity))
        if e.mode == "delta" and e.conflicts:
            out.append(Write(_copy(pg_table(spec, "_ferry_conflicts"), CONFLICTS), exp.select(exp.Star()).from_(
                _local(entity, "conflicts")).sql(dialect=_D), e.entity))
        if e.mode == "delta" and e.counts["gone"]:  # gone records listed, removed, and merged ones re-pointed
            out.append(Write(_copy(pg_table(spec, "_ferry_gone"), GONE), exp.select(exp.Star()).from_(
                _local(entity, "gone_rows")).sql(dialect=_D), e.entity))
            gone = (exp.select(names.col(names.ID)).from_(pg_table(spec, "_ferry_gone")).where(exp.and_(
                *(names.col(k).eq(lit(v)) for k, v in (("spec", spec.name), ("run", delta.run), ("entity", e.entity))),
                names.col("resolution").isin(*(lit(x) for x in _REMOVED)))))
            out.append(Write(exp.delete(table, where=sql.in_query(names.col(names.ID), gone)).sql(dialect=_PG),
                             entity=e.entity))
            merged = (exp.select(names.col(names.ID), names.col("merged_into")).from_(pg_table(spec, "_ferry_gone"))
                      .where(exp.and_(*(names.col(k).eq(lit(v)) for k, v in (
                          ("spec", spec.name), ("run", delta.run), ("entity", e.entity), ("resolution", "merged"))))))
            for child in spec.entities:
                for ref in (r for r in child.references if r.entity == e.entity):
                    target = entity_table(spec, child)
                    out.append(Write(exp.Update(
                        this=target, expressions=[exp.EQ(this=names.col(ref.name), expression=names.col("merged_into", "m"))],
                        from_=exp.From(this=merged.subquery(names.ident("m"))),
                        where=exp.Where(this=exp.EQ(this=exp.column(ref.name, table=target.name, quoted=True),
                                                    expression=names.col(names.ID, "m")))).sql(dialect=_PG),
                        entity=child.name))
        # The ledger's rows of the records resolved are rewritten (all without a scope, none if nothing moved).
        if e.scoped != ():
            only = [] if e.scoped is None else [pgdiff.id_filter(e.scoped)]
            out.append(Write(exp.delete(ledger, where=exp.and_(sql.of_owner(spec.name), *only)).sql(dialect=_PG),
                             entity=e.entity))
            out.append(Write(_copy(ledger, (OWNER, "_ferry_run", pgdiff.HASH, names.ID, *cols)),
                             exp.select(exp.Star()).from_(_local(entity, "ledger")).sql(dialect=_D), e.entity))
        if entity.match is not None and entity.match.mode != "insert_only":  # the push's links (pg_temp)
            links = exp.select(names.col("ferry_id")).from_(names.table(f"_ferry_{entity.name}_links", "pg_temp"))
            out.append(Write(exp.delete(ledger, where=exp.and_(sql.of_owner(spec.name), sql.in_query(
                names.col(names.ID), links))).sql(dialect=_PG), entity=e.entity))
    return tuple(out)


def summary(delta: dict[str, Any] | None, schema: str) -> list[str]:
    """What a delta push did, per entity, for the terminal; where its conflicts and gone records are listed."""
    entities = (delta or {}).get("entities", {})
    out = [f"delta {name}: +{c['insert']} ~{c['update']} ={c['unchanged']} -{c['delete']}, {c['conflicts']} conflicts"
           + (f", gone: {', '.join(f'{n} {r}' for r, n in sorted(c['gone'].items()))}" if c["gone"] else "")
           for name, c in entities.items() if c["mode"] == "delta"]
    if any(c["conflicts"] for c in entities.values()):
        out.append(f"conflicts (edited on the server, changed in the source), with both values: {schema}._ferry_conflicts")
    if any(c["gone"] for c in entities.values() if c["mode"] == "delta"):
        out.append(f"records gone from the export, under their entity's `delta: {{gone: ...}}`: {schema}._ferry_gone")
    return out
