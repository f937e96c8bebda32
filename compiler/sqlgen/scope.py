"""A delta's scope as sqlglot trees: which source rows a later export must run through the compiled steps.

In:  an entity's names (its source's staged rows, the stored row hashes, the target's records as they
were), its references' raw columns and, per referenced entity, the old ids whose mapping changed. Out:
trees (queries and statements) that ``compiler.scope`` executes. Pure: no connection here.

Every run stores, per source row of an entity that can be scoped, its old id, a hash of its raw values
and its outcome (``store``: the record id, and ``settled``: loaded with no emptied value and no
unresolved reference; ``carry``: whether it did not settle only because a reference resolved to nothing,
``sqlgen.scope_refs``). A delta hashes the new export's rows (``hashed``) and puts in its scope every row
that is new, changed, unsettled last time (and not carried), keyless or sharing its old id, whose record the
target's users deleted, or that refers to an old id whose mapping changed in the referenced entity
(``scope_rows``). The rest are unchanged: their records, crosswalk rows and outcomes are the stored ones
(``unchanged``), or carried (their ledger rows derived again, ``sqlgen.scope_refs``).
"""

from __future__ import annotations

from typing import Sequence

from sqlglot import exp

from compiler.sqlgen import names
from compiler.sqlgen import scope_refs as refs

STORE_COLUMNS = (("spec", "VARCHAR"), ("source_key", "VARCHAR"), ("hash", "UBIGINT"), ("id", "UUID"),
                 ("settled", "BOOLEAN"), (refs.CARRY, "VARCHAR"))
RUNS_COLUMNS = (("spec", "VARCHAR"), ("entity", "VARCHAR"), ("run", "VARCHAR"))
HASH, KEY, ROW = "_ferry_hash", names.KEY, names.ROW


def _lit(value: str) -> exp.Literal:
    return exp.Literal.string(value)


def _col(name: str, table: str | None = None) -> exp.Column:
    return names.col(name, table)


def _in(column: exp.Expression, query: exp.Expression) -> exp.In:
    return exp.In(this=column, query=exp.Subquery(this=query.copy()))


def store_table(entity: str) -> exp.Table:
    return names.table(f"{entity}_rowhash", "_ferry")


def runs_table() -> exp.Table:
    return names.table("rowhash_runs", "_ferry")


def create(table: exp.Table, columns: Sequence[tuple[str, str]]) -> exp.Create:
    return exp.Create(this=exp.Schema(this=table.copy(), expressions=[
        exp.ColumnDef(this=names.ident(n), kind=exp.DataType.build(t, dialect="duckdb")) for n, t in columns]), kind="TABLE",
        exists=True)


def temporary(table: exp.Table, query: exp.Expression) -> exp.Create:
    return exp.Create(this=table.copy(), kind="TABLE", replace=True, expression=query,
                      properties=exp.Properties(expressions=[exp.TemporaryProperty()]))


def old_id(column: str, table: str | None = None) -> exp.Expression:
    """As the compiled steps compare old ids: trimmed, an empty one is none."""
    return exp.Nullif(this=exp.Trim(this=_col(column, table)), expression=_lit(""))


def hashed(stage: exp.Table, id_column: str, columns: Sequence[str], references: Sequence[str | None]) -> exp.Select:
    """Per staged row: its number, old id, a hash of every raw column, and each reference's old id (r_i)."""
    values = [_col(c) for c in columns if c != ROW]
    refs = [exp.alias_(old_id(c) if c else exp.null(), f"r_{i}") for i, c in enumerate(references)]
    return exp.select(_col(ROW), exp.alias_(old_id(id_column), KEY, quoted=True),
                      exp.alias_(exp.func("hash", *values) if values else exp.Literal.number(0), HASH, quoted=True),
                      *refs).from_(stage.copy())


def materialized(stage: exp.Table) -> exp.Select:
    return exp.select(exp.Star()).from_(stage.copy())


def narrowed(rows: exp.Table, scope: exp.Table) -> exp.Select:
    """The staged rows in scope, in file order (what the stage view becomes)."""
    return (exp.select(exp.Star()).from_(rows.copy()).where(_in(_col(ROW), exp.select(_col(ROW)).from_(scope.copy())))
            .order_by(_col(ROW)))


def _duplicated(h: exp.Table) -> exp.Select:
    return (exp.select(_col(KEY)).from_(h.copy()).where(exp.not_(exp.Is(this=_col(KEY), expression=exp.null())))
            .group_by(_col(KEY)).having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1))))


def classified(spec: str, h: exp.Table, store: exp.Table, before: exp.Table | exp.Select,
               changed: Sequence[exp.Table | None]) -> exp.Select:
    """Per staged row: row, key, hash, the stored id, ``kind`` (new, changed, unchanged) and ``scoped``. ``changed``:
    per reference, a table of the referenced entity's old ids whose mapping changed (None: it has none).
    ``before``: the target's records of the spec (a snapshot), or a query of their ids."""
    ids = before.copy() if isinstance(before, exp.Select) else exp.select(_col(names.ID)).from_(before.copy())
    st = exp.select(_col("source_key"), _col(names.ID), _col("hash"), _col("settled"), _col(refs.CARRY)).from_(
        store.copy()).where(
        exp.EQ(this=_col("spec"), expression=_lit(spec)))
    stored = exp.not_(exp.Is(this=_col("source_key", "st"), expression=exp.null()))
    kind = (exp.Case().when(exp.not_(stored.copy()), _lit("new"))
            .when(exp.NEQ(this=_col("hash", "st"), expression=_col(HASH, "h")), _lit("changed")).else_(_lit("unchanged")))
    reasons: list[exp.Expression] = [
        exp.Is(this=_col(KEY, "h"), expression=exp.null()),
        exp.NEQ(this=kind.copy(), expression=_lit("unchanged")),
        exp.not_(exp.or_(_col("settled", "st"), exp.not_(exp.Is(this=_col(refs.CARRY, "st"), expression=exp.null())))),
        _in(_col(KEY, "h"), _duplicated(h)),
        exp.not_(_in(_col(names.ID, "st"), ids.where(
            exp.not_(exp.Is(this=_col(names.ID), expression=exp.null()))))),  # deleted in the target
    ]
    for i, table in enumerate(changed):
        if table is not None:
            reasons.append(_in(_col(f"r_{i}", "h"), exp.select(_col("source_key")).from_(table.copy())))
    # each reason is false when it cannot be told (a NULL reference is in no referenced entity's changed ids)
    sure = [exp.func("coalesce", r, exp.false()) for r in reasons]
    return (exp.select(_col(ROW, "h"), _col(KEY, "h"), _col(HASH, "h"), _col(names.ID, "st"), exp.alias_(kind, "kind"),
                       exp.alias_(exp.or_(*sure), "scoped"), _col(refs.CARRY, "st"))
            .from_(h.copy().as_("h", quoted=True))
            .join(st.subquery(names.ident("st")), join_type="LEFT",
                  on=exp.EQ(this=_col("source_key", "st"), expression=_col(KEY, "h"))))


def scope_rows(c: exp.Table, scoped: bool = True) -> exp.Select:
    return exp.select(exp.Star()).from_(c.copy()).where(_col("scoped") if scoped else exp.not_(_col("scoped")))


def restore_records(table: exp.Table, before: exp.Table, present: Sequence[str], unchanged: exp.Table) -> exp.Insert:
    """Unchanged rows' records back as the target held them (the steps removed every record of the spec's)."""
    query = (exp.select(*(_col(c) for c in present)).from_(before.copy())
             .where(_in(_col(names.ID), exp.select(_col(names.ID)).from_(unchanged.copy()))))
    return exp.insert(query, table.copy(), columns=[names.ident(c) for c in present])


def drop_kept(spec: str, crosswalk: exp.Table, source: str, unchanged: exp.Table) -> exp.Delete:
    """The steps kept unchanged rows' old ids as gone records' (status kept): they are loaded rows."""
    return exp.delete(crosswalk.copy(), where=exp.and_(
        exp.EQ(this=_col("spec"), expression=_lit(spec)), exp.EQ(this=_col("source"), expression=_lit(source)),
        exp.EQ(this=_col("status"), expression=_lit(names.KEPT)),
        _in(_col("source_key"), exp.select(_col(KEY)).from_(unchanged.copy()))))


def restore_crosswalk(spec: str, crosswalk: exp.Table, source: str, unchanged: exp.Table,
                      status: str | None = None) -> exp.Insert:
    """``status``: the column holding each row's status (a dedup entity's merged rows); else all loaded."""
    query = exp.select(_lit(source), _col(KEY), _col(names.ID), _col(status) if status else _lit(names.LOADED),
                       exp.false(), _lit(spec)).from_(
        unchanged.copy()).order_by(_col(ROW))
    return exp.insert(query, crosswalk.copy(), columns=[names.ident(c) for c in (
        "source", "source_key", names.ID, "status", "linked", "spec")])


def restore_outcomes(rows: exp.Table, unchanged: exp.Table, status: str | None = None) -> exp.Insert:
    """Unchanged rows' outcomes into the entity's working table, so the run's accounting covers every row."""
    query = exp.select(_col(ROW), exp.alias_(_col(KEY), KEY, quoted=True),
                       exp.alias_(_col(status) if status else _lit(names.LOADED), "_ferry_status", quoted=True),
                       _col(names.ID),
                       exp.alias_(exp.false(), "_ferry_linked", quoted=True)).from_(unchanged.copy())
    return exp.insert(query, rows.copy(), columns=[names.ident(c) for c in (
        ROW, KEY, "_ferry_status", names.ID, "_ferry_linked")])


def scope_ids(rows: exp.Table) -> exp.Select:
    """The records the steps computed in this run (the scope's loaded rows)."""
    return exp.select(_col(names.ID)).from_(rows.copy()).where(exp.and_(
        exp.EQ(this=_col("_ferry_status"), expression=_lit(names.LOADED)),
        exp.not_(exp.func("coalesce", _col("_ferry_linked"), exp.false()))))


def mapping(spec: str, crosswalk: exp.Table) -> exp.Select:
    """An entity's old ids as the crosswalk maps them (every status, linked ones too: references resolve by all)."""
    return exp.select(*(_col(c) for c in ("source", "source_key", names.ID, "status", "linked"))).from_(
        crosswalk.copy()).where(exp.EQ(this=_col("spec"), expression=_lit(spec)))


def changed_keys(old: exp.Table, new: exp.Select) -> exp.Select:
    """Old ids whose mapping differs between two snapshots of a crosswalk (either side)."""
    a = exp.except_(exp.select(exp.Star()).from_(old.copy()), new.copy(), distinct=True)
    b = exp.except_(new.copy(), exp.select(exp.Star()).from_(old.copy()), distinct=True)
    both = exp.union(exp.select(exp.Star()).from_(a.subquery("a")), exp.select(exp.Star()).from_(b.subquery("b")),
                     distinct=False)  # (old - new) + (new - old): each side its own subquery, not left to precedence
    return exp.select(_col("source_key")).from_(exp.Subquery(this=both, alias=exp.TableAlias(this=names.ident("d")))) \
        .where(exp.not_(exp.Is(this=_col("source_key"), expression=exp.null()))).distinct()


def store_delete(spec: str, store: exp.Table, keys: exp.Select | None) -> exp.Delete:
    where: list[exp.Expression] = [exp.EQ(this=_col("spec"), expression=_lit(spec))]
    if keys is not None:
        where.append(_in(_col("source_key"), keys))
    return exp.delete(store.copy(), where=exp.and_(*where))


def duplicated_keys(h: exp.Table) -> exp.Select:
    """The old ids more than one staged row has (each once): what the stores leave out."""
    return _duplicated(h)


def unique_key(h: exp.Table, duplicated: exp.Table | None = None, table: str | None = None) -> exp.Expression:
    """The staged row's old id is set and no other row has it (``duplicated``: those ids, already computed)."""
    dups = exp.select(_col(KEY)).from_(duplicated.copy()) if duplicated is not None else _duplicated(h)
    return exp.and_(exp.not_(exp.Is(this=_col(KEY, table), expression=exp.null())), exp.not_(_in(_col(KEY, table), dups)))


def store_insert(spec: str, store: exp.Table, h: exp.Table, rows: exp.Table, entity: str,
                 only: exp.Select | None, duplicated: exp.Table | None = None) -> exp.Insert:
    """Each staged row with a unique old id: its hash, record id and whether it settled (loaded, no emptied value,
    no unresolved reference); ``only``: the keys to write (a delta's scope); ``duplicated``: a table of the old ids
    several rows share (``duplicated_keys``), computed once for both stores of a dedup entity."""
    unresolved = (exp.select(_col("source_row")).from_(names.unresolved_table())
                  .where(exp.and_(exp.EQ(this=_col("spec"), expression=_lit(spec)),
                                  exp.EQ(this=_col("entity"), expression=_lit(entity)))))
    settled = exp.and_(_col("_ferry_status", "r").isin(_lit(names.LOADED), _lit(names.MERGED)),
                       exp.not_(exp.func("coalesce", _col("_ferry_linked", "r"), exp.false())),
                       exp.EQ(this=exp.func("coalesce", exp.func("len", _col("_ferry_emptied", "r")),
                                            exp.Literal.number(0)), expression=exp.Literal.number(0)),
                       exp.not_(_in(_col(ROW, "r"), unresolved)))
    where: list[exp.Expression] = [unique_key(h, duplicated, "h")]
    if only is not None:
        where.append(_in(_col(KEY, "h"), only))
    query = (exp.select(_lit(spec), _col(KEY, "h"), _col(HASH, "h"),
                        exp.If(this=_col("_ferry_status", "r").isin(_lit(names.LOADED), _lit(names.MERGED)),
                               true=_col(names.ID, "r")),
                        exp.func("coalesce", exp.Paren(this=settled), exp.false()),
                        exp.If(this=exp.func("coalesce", exp.Paren(this=settled.copy()), exp.false()),
                               true=exp.cast(exp.null(), "VARCHAR"), false=refs.carry("r", unresolved)))
             .from_(h.copy().as_("h", quoted=True))
             .join(rows.copy().as_("r", quoted=True), join_type="LEFT",
                   on=exp.EQ(this=_col(KEY, "r"), expression=_col(KEY, "h")))
             .where(exp.and_(*where)).order_by(_col(KEY, "h")))
    return exp.insert(query, store.copy(), columns=[names.ident(c) for c, _ in STORE_COLUMNS])


def class_counts(c: exp.Table) -> exp.Select:
    """rows, in scope, new, changed."""
    return exp.select(exp.Count(this=exp.Star()), exp.func("count_if", _col("scoped")),
                      *(exp.func("count_if", exp.EQ(this=_col("kind"), expression=_lit(k))) for k in ("new", "changed"))
                      ).from_(c.copy())


def stored_run(spec: str, entity: str) -> exp.Select:
    """The run that last wrote an entity's row hashes."""
    return exp.select(exp.Max(this=_col("run"))).from_(runs_table()).where(exp.and_(
        exp.EQ(this=_col("spec"), expression=_lit(spec)), exp.EQ(this=_col("entity"), expression=_lit(entity))))
