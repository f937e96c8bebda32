"""Dry run: compiled output + the current target -> ``Plan``, what ``ferry run`` would change.

In:  the ``Spec``, its compiled folder, the target path, how many sample rows to show.
Out: ``Plan``: per entity, exact counts of inserts, updates, unchanged records and
deletes, the scratch run's rejects and archives, and a sample of changed records with
their field-level changes (old -> new). ``plan_render`` shows it as text, Markdown or JSON.

How: the target file is copied into a temporary folder and ``run.execute`` runs there
(archive files are redirected into that folder too), so nothing outside it is written.
Then both files are attached READ_ONLY to an in-memory DuckDB and each entity table is
compared with one FULL OUTER JOIN on ``id`` and a hash of the compared columns; only the
ids of changed records are kept, and field values are read for the sample alone.

Counting: every record a run inserts or updates is one it loaded (the crosswalk says so),
so ``unchanged = loaded - insert - update`` and no second join is needed. Records ferry
does not manage are never changed by a run; they are counted as ``untouched``.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from compiler import run as run_module
from compiler.errors import Diagnostic, FerryError, Span
from compiler.model import Spec
from compiler.sqlgen.ledgers import OWNER

FORMAT = "ferry.plan/v1"
ACTIONS = ("insert", "update", "delete")  # the order samples are shown in
_CHANGES = "_ferry_plan_changes"
_SAMPLE = "_ferry_plan_sample"


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    old: str | None  # DuckDB's text form of the value; None is SQL NULL
    new: str | None


@dataclass(frozen=True, slots=True)
class RowChange:
    action: str  # insert | update | delete
    id: str
    source_key: str | None  # the old system's id (from the crosswalk), when ferry manages the record
    fields: tuple[FieldChange, ...]  # update: the changed fields; insert/delete: every non-null field


@dataclass(frozen=True, slots=True)
class Conflict:
    """A field changed in the source and edited in the target since ferry wrote it (``compiler.delta``)."""

    id: str
    source_key: str | None
    field: str
    written: str | None  # what ferry wrote last
    target: str | None  # what the target holds
    source: str | None  # what the new export gives
    resolution: str  # target_wins | source_wins | rejected


@dataclass(frozen=True, slots=True)
class EntityPlan:
    entity: str
    table: str
    insert: int
    update: int
    unchanged: int  # records this run loads that stay exactly as they are
    delete: int  # records an earlier run inserted that this run no longer produces
    untouched: int  # records in the table that ferry does not manage
    reject: int
    archive: int
    merged: int
    linked: int
    previous_reject: int | None  # from the target as it is; None when it has no such table
    previous_archive: int | None
    new_table: bool  # the target has no such table yet
    columns_added: tuple[str, ...]  # columns the run would add to an existing table
    samples: tuple[RowChange, ...]
    emptied: int = 0  # values the run would load as NULL (``on_error: null``), listed in _ferry.emptied_values
    conflicts: tuple[Conflict, ...] = ()  # a delta run: fields edited in the target that the source changed too
    gone: tuple[tuple[str, int], ...] = ()  # a delta run: records the export no longer gives, by resolution

    @property
    def changed(self) -> bool:
        return bool(self.insert or self.update or self.delete or self.columns_added or self.new_table)


@dataclass(frozen=True, slots=True)
class Plan:
    spec: dict[str, str]  # name, path, sha256
    target: str
    target_exists: bool
    sample: int
    entities: tuple[EntityPlan, ...]
    run_seconds: float  # copying the target and running the compiled SQL in the scratch copy
    compare_seconds: float
    kind: str = "first"  # what the run would be: first (load), delta, full (--full) or pilot

    @property
    def has_changes(self) -> bool:
        return any(e.changed for e in self.entities)


def _fail(code: str, message: str, where: Span, hint: str) -> FerryError:
    return FerryError(Diagnostic(code, message, where, hint))


def scratch_spec(spec: Spec, workdir: Path) -> Spec:
    """The same spec, placed in ``workdir`` with absolute source paths: its relative archive
    files then land in ``workdir``, while its inputs are still the real files (read only)."""
    base = Path(spec.path).resolve().parent
    sources = tuple(replace(s, path=str(base / s.path)) for s in spec.sources)
    entities = tuple(replace(e, dedup=replace(e.dedup, decisions=str(base / e.dedup.decisions)))
                     if e.dedup is not None and e.dedup.decisions else e for e in spec.entities)  # read too
    return replace(spec, path=str(workdir / Path(spec.path).name), sources=sources, entities=entities)


def scratch_run(spec: Spec, directory: Path, target: Path, workdir: Path,
                progress: run_module.Progress | None = None,
                allow_shrink: bool = False, full: bool = False) -> tuple[Path, run_module.RunManifest]:
    """Copy ``target`` (if it exists) into ``workdir`` and run the compiled SQL on the copy, as ``ferry run``
    would (a source that shrank past its ``shrink_limit`` stops it with F610 unless ``allow_shrink``)."""
    run_module.read_compiled(spec, directory)  # stale or edited output: reported against the real spec
    scratch = workdir / "scratch" / (target.name or "target.duckdb")
    scratch.parent.mkdir(parents=True, exist_ok=True)
    try:
        for original in (target, target.with_name(target.name + ".wal")):
            if original.is_file():
                shutil.copyfile(original, scratch.with_name(scratch.name + original.name[len(target.name):]))
    except OSError as exc:
        raise _fail("F801", f"cannot copy the target {target} for the plan: {exc.strerror or exc}",
                    Span(str(target)), "check that the target is readable and the temp folder has room") from None
    manifest = run_module.execute(spec=scratch_spec(spec, workdir), directory=directory, target=scratch,
                                  progress=progress, allow_shrink=allow_shrink, full=full)
    return scratch, manifest


def build_plan(spec: Spec, directory: Path, target: Path, sample: int = 5,
               progress: run_module.Progress | None = None, allow_shrink: bool = False, full: bool = False) -> Plan:
    """Run in a scratch copy of ``target`` and compare the result with ``target``; the target is only read."""
    compiled, _ = run_module.read_compiled(spec, directory)
    with tempfile.TemporaryDirectory(prefix="ferry-plan-") as tmp:
        t0 = time.perf_counter()
        scratch, manifest = scratch_run(spec, directory, target, Path(tmp), progress, allow_shrink, full)
        t1 = time.perf_counter()
        if progress:
            progress("comparing with the target", 0, len(compiled["entities"]))
        entities = compare(target if target.is_file() else None, scratch, compiled, manifest, sample)
        t2 = time.perf_counter()
    return Plan(spec={"name": spec.name, "path": spec.path, "sha256": spec.sha256}, target=str(target),
                target_exists=target.is_file(), sample=sample, entities=entities,
                run_seconds=round(t1 - t0, 3), compare_seconds=round(t2 - t1, 3),
                kind=manifest.delta.get("kind", "first"))


# -- comparing two DuckDB files --------------------------------------------------------------


def attach(con: duckdb.DuckDBPyConnection, path: Path, alias: str) -> None:
    """ATTACH a DuckDB file READ_ONLY: DuckDB then never writes to it (nor checkpoints its WAL)."""
    literal = exp.Literal.string(str(path)).sql(dialect="duckdb")
    name = exp.to_identifier(alias, quoted=True).sql(dialect="duckdb")
    try:
        con.execute(f"ATTACH {literal} AS {name} (READ_ONLY)")
    except duckdb.Error as exc:
        raise _fail("F802", f"cannot open {path} read-only: {str(exc).splitlines()[0]}", Span(str(path)),
                    "is another process writing to it? Plan again once it has finished") from None


def _table(catalog: str, dotted: str) -> exp.Table:
    schema, _, name = dotted.rpartition(".")
    return exp.table_(name, db=schema or "main", catalog=catalog, quoted=True)


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, dotted: str) -> dict[str, str] | None:
    """column -> type of a table in an attached file, in table order; None if there is no such table."""
    schema, _, name = dotted.rpartition(".")
    rows = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = ? AND schema_name = ? "
        "AND table_name = ? ORDER BY column_index", [catalog, schema or "main", name]).fetchall()
    return dict(rows) if rows else None


def _col(alias: str, name: str) -> exp.Column:
    return exp.column(name, table=alias, quoted=True)


def _hash(alias: str, columns: list[str], present: dict[str, str], types: dict[str, str]) -> exp.Expression:
    """hash() of a row's compared columns; a column this side lacks counts as NULL (of the other side's type)."""
    args = [_col(alias, c) if c in present else exp.cast(exp.null(), types[c]) for c in columns]
    return exp.func("hash", *args) if args else exp.Literal.number(0)


def _scalar(con: duckdb.DuckDBPyConnection, query: exp.Expression) -> Any:
    return con.execute(query.sql(dialect="duckdb")).fetchall()[0][0]


def _count(con, table: exp.Table, where: exp.Expression | None = None) -> int:
    query = exp.select(exp.Count(this=exp.Star())).from_(table)
    return _scalar(con, query.where(where) if where is not None else query)


def compare(before: Path | None, after: Path, compiled: dict[str, Any], manifest: run_module.RunManifest,
            sample: int) -> tuple[EntityPlan, ...]:
    """Compare every entity table of ``after`` (a finished run) with ``before`` (None: no target yet)."""
    con = duckdb.connect()
    try:
        attach(con, after, "after")
        if before is not None:
            attach(con, before, "before")
        counts = {c.entity: c for c in manifest.entities}
        return tuple(_compare_entity(con, before is not None, e, counts[e["name"]], compiled, sample,
                                     manifest.delta, manifest.started_at) for e in compiled["entities"])
    finally:
        con.close()


def _compare_entity(con, has_before: bool, e: dict[str, Any], counts: run_module.EntityCounts,
                    compiled: dict[str, Any], sample: int, manifest_delta: dict[str, Any], run: str) -> EntityPlan:
    after_cols = _columns(con, "after", e["table"]) or {}
    before_cols = _columns(con, "before", e["table"]) if has_before else None
    compared = [c for c in after_cols if c != "id"]
    total = _count(con, _table("after", e["table"]))
    changes = _changed_ids(con, e, compared, after_cols, before_cols)
    insert, update, delete = (changes.get(a, 0) for a in ACTIONS)
    rejects = compiled["tables"]["rejects"]
    archive = e.get("archive")
    previous_reject = previous_archive = None
    if has_before and (reject_cols := _columns(con, "before", rejects)) is not None:
        previous_reject = _count(con, _table("before", rejects), exp.and_(exp.column("entity").eq(
            exp.Literal.string(e["name"])), _own_rows(reject_cols, compiled)))
    if has_before and archive and (archive_cols := _columns(con, "before", archive["table"])) is not None:
        previous_archive = _count(con, _table("before", archive["table"]), _own_rows(archive_cols, compiled, OWNER))
    samples = _samples(con, e, compared, after_cols, before_cols or {}, sample, compiled) if sample > 0 else ()
    changes = manifest_delta.get("entities", {}).get(e["name"], {})
    return EntityPlan(
        entity=e["name"], table=e["table"], insert=insert, update=update,
        unchanged=counts.loaded - insert - update, delete=delete, untouched=total - counts.loaded,
        reject=counts.rejected, archive=counts.archived, merged=counts.merged, linked=counts.linked,
        previous_reject=previous_reject, previous_archive=previous_archive, new_table=before_cols is None,
        columns_added=tuple(c for c in after_cols if before_cols is not None and c not in before_cols),
        samples=samples, emptied=counts.emptied, conflicts=_conflicts(con, compiled, e["name"], run),
        gone=tuple(sorted(changes.get("gone", {}).items())))


def _conflicts(con, compiled: dict[str, Any], entity: str, run: str) -> tuple[Conflict, ...]:
    """The scratch run's conflicts for ``entity`` (``compiler.delta``), by id and field."""
    if _columns(con, "after", "_ferry.conflicts") is None:
        return ()
    rows = con.execute(
        'SELECT CAST(id AS VARCHAR), source_key, field, written, target, source, resolution FROM "after"."_ferry".'
        '"conflicts" WHERE spec = ? AND run = ? AND entity = ? ORDER BY id, field',
        [compiled["spec"]["name"], run, entity]).fetchall()
    return tuple(Conflict(*row) for row in rows)


def _own_rows(columns: dict[str, str], compiled: dict[str, Any], column: str = "spec") -> exp.Expression:
    """This spec's rows of a bookkeeping table (``column``: ``spec``, or ``_ferry_spec`` in an archive);
    in a table from before that column, every row (the run adopts them: ``sqlgen.ledgers``)."""
    if column not in columns:
        return exp.true()
    spec = exp.column(column, quoted=True)
    return exp.or_(spec.eq(exp.Literal.string(compiled["spec"]["name"])), spec.copy().is_(exp.null()))


def _changed_ids(con, e: dict[str, Any], compared: list[str], after_cols: dict[str, str],
                 before_cols: dict[str, str] | None) -> dict[str, int]:
    """One FULL OUTER JOIN on id: the ids of inserted, updated and deleted records go to a temp table."""
    ident = exp.column("id", quoted=True)
    side_after = exp.select(ident.copy(), _hash("a", compared, after_cols, after_cols).as_("h"),
                            exp.column("rowid", table="a").as_("r")).from_(
        _table("after", e["table"]).as_("a")).where(ident.copy().is_(exp.null()).not_())
    if before_cols is None:  # no target table: every record is an insert
        action = exp.Literal.string("insert")
        query = exp.select(exp.column("id", table="s", quoted=True).as_("id"), action.as_("action"),
                           exp.column("r", table="s").as_("after_row"), exp.null().as_("before_row")).from_(
            side_after.subquery("s"))
    else:
        side_before = exp.select(ident.copy(), _hash("b", compared, before_cols, after_cols).as_("h"),
                                 exp.column("rowid", table="b").as_("r")).from_(
            _table("before", e["table"]).as_("b")).where(ident.copy().is_(exp.null()).not_())
        s_id, t_id = exp.column("id", table="s", quoted=True), exp.column("id", table="t", quoted=True)
        action = exp.Case().when(t_id.copy().is_(exp.null()), exp.Literal.string("insert")).when(
            s_id.copy().is_(exp.null()), exp.Literal.string("delete")).else_(exp.Literal.string("update"))
        query = exp.select(exp.func("coalesce", s_id.copy(), t_id.copy()).as_("id"), action.as_("action"),
                           exp.column("r", table="s").as_("after_row"), exp.column("r", table="t").as_("before_row")).from_(
            side_after.subquery("s")).join(side_before.subquery("t"), on=s_id.copy().eq(t_id.copy()),
                                           join_type="FULL OUTER").where(exp.or_(
                s_id.copy().is_(exp.null()), t_id.copy().is_(exp.null()),
                exp.NEQ(this=exp.column("h", table="s"), expression=exp.column("h", table="t"))))
    create = exp.Create(this=exp.to_table(_CHANGES, quoted=True), kind="TABLE", expression=query,
                        replace=True, properties=exp.Properties(expressions=[exp.TemporaryProperty()]))
    con.execute(create.sql(dialect="duckdb"))
    tally = exp.select(exp.column("action"), exp.Count(this=exp.Star())).from_(
        exp.to_table(_CHANGES, quoted=True)).group_by(exp.column("action"))
    return dict(con.execute(tally.sql(dialect="duckdb")).fetchall())


def _samples(con, e: dict[str, Any], compared: list[str], after_cols: dict[str, str],
             before_cols: dict[str, str], sample: int, compiled: dict[str, Any]) -> tuple[RowChange, ...]:
    """Up to ``sample`` records per action, lowest ids first, with their field values as text.

    The sample's ids are picked first, then read from each table with ``id IN (literals)``, a filter
    DuckDB applies inside the scan: no join over the whole tables for a handful of rows."""
    ident = exp.column("id", quoted=True)
    rank = exp.Window(this=exp.func("row_number"), partition_by=[exp.column("action")],
                      order=exp.Order(expressions=[exp.Ordered(this=ident.copy())]))
    ranked = exp.select(ident.copy(), exp.column("action"), exp.column("after_row"), exp.column("before_row")).from_(
        exp.to_table(_CHANGES, quoted=True)).qualify(exp.LTE(this=rank, expression=exp.Literal.number(sample)))
    sampled = exp.to_table(_SAMPLE, quoted=True)
    con.execute(exp.Create(this=sampled, kind="TABLE", expression=ranked, replace=True,
                           properties=exp.Properties(expressions=[exp.TemporaryProperty()])).sql(dialect="duckdb"))
    rows = con.execute(exp.select(exp.Star()).from_(sampled.copy()).sql(dialect="duckdb")).fetchall()
    if not rows:
        return ()
    picked = [(str(i), a) for i, a, _, _ in rows]
    wanted = ident.copy().isin(query=exp.select(ident.copy()).from_(sampled.copy()))  # a semi-join: cheaper than literals

    def values(catalog: str, present: dict[str, str], row_ids: list[int]) -> dict[str, tuple]:
        """By rowid (from the join): a point lookup in the scan, where ``id IN`` would read every row."""
        if not present or not row_ids:
            return {}
        texts = [exp.cast(exp.column(c, quoted=True), "VARCHAR") if c in present else exp.cast(exp.null(), "VARCHAR")
                 for c in compared]
        query = exp.select(exp.cast(ident.copy(), "VARCHAR"), *texts).from_(_table(catalog, e["table"])).where(
            exp.column("rowid").isin(*(exp.Literal.number(r) for r in row_ids)))
        return {row[0]: row[1:] for row in con.execute(query.sql(dialect="duckdb")).fetchall()}

    def keys(catalog: str) -> dict[str, str]:
        if (crosswalk_cols := _columns(con, catalog, e["crosswalk"])) is None:
            return {}
        query = exp.select(exp.cast(ident.copy(), "VARCHAR"), exp.Min(this=exp.column("source_key", quoted=True))).from_(
            _table(catalog, e["crosswalk"])).where(exp.and_(wanted.copy(), exp.column("status").eq(
                exp.Literal.string("loaded")), _own_rows(crosswalk_cols, compiled))).group_by(ident.copy())
        return dict(con.execute(query.sql(dialect="duckdb")).fetchall())

    new_rows = values("after", after_cols, [r[2] for r in rows if r[2] is not None])
    old_rows = values("before", before_cols, [r[3] for r in rows if r[3] is not None])
    new_keys, old_keys = keys("after"), keys("before") if before_cols else {}
    nothing = (None,) * len(compared)
    out = []
    for ident_text, action in sorted(picked, key=lambda p: (ACTIONS.index(p[1]), p[0])):
        new, old = new_rows.get(ident_text, nothing), old_rows.get(ident_text, nothing)
        if action == "insert":
            fields = tuple(FieldChange(c, None, v) for c, v in zip(compared, new) if v is not None)
        elif action == "delete":
            fields = tuple(FieldChange(c, v, None) for c, v in zip(compared, old) if v is not None)
        else:
            fields = tuple(FieldChange(c, o, v) for c, o, v in zip(compared, old, new) if o != v)
        key = old_keys.get(ident_text) if action == "delete" else new_keys.get(ident_text)
        out.append(RowChange(action, ident_text, key, fields))
    return tuple(out)
