"""A delta's carried rows as sqlglot trees: unchanged rows that did not settle only because a reference resolved to
nothing, kept out of the scope and their outcomes re-derived for this run.

In:  an entity, the scope's classified rows and row hashes (``sqlgen.scope``). Out: trees ``compiler.scope``
executes. Pure: no connection here.

A row whose reference resolves to nothing (its parent rejected, archived or missing) did not settle: its
ledger row names the parent's row in *that* export and its reasons then, and both can differ in the next
one. Such a row is carried, not computed, when its hash is unchanged and no old id it refers to changed its
mapping in the referenced entity (so each reference resolves, or not, as before). Two kinds are carried
(``carry`` in the stored row hashes):

* ``loaded``: loaded, not linked, no value emptied, one or more ``on_missing: null`` references unresolved.
  Its record, crosswalk row and outcome are put back like an unchanged row's; its unresolved-reference
  ledger rows are derived again (``load.record_unresolved``) against this run's crosswalks and parent
  outcomes (``references.parent_outcomes``), so the detail names the parent's row in this export.
* ``rejected``: rejected, and every reason an unresolved ``on_missing: reject`` reference (no value emptied).
  Its reasons are derived again with the compiled step's own check (``entity.resolve_reference``), and its
  reject ledger row and outcome are written from them.

Archived rows, rows with an emptied value and rows rejected for any other reason stay in the scope.
"""

from __future__ import annotations

from sqlglot import exp

from compiler.model import Entity, Spec
from compiler.sqlgen import ledgers, names, origin
from compiler.sqlgen.entity import reason_list, resolve_reference

CARRY = "carry"  # stored per row: 'loaded', 'rejected' or NULL (not carried)
LOADED, REJECTED = names.LOADED, names.REJECTED
UNRESOLVED = "unresolved_reference"


def _col(name: str, table: str | None = None) -> exp.Column:
    return names.col(name, table)


def _lit(value: str) -> exp.Literal:
    return exp.Literal.string(value)


def _is(column: exp.Expression, value: str) -> exp.Expression:
    return exp.EQ(this=column, expression=_lit(value))


def _none_emptied(r: str) -> exp.Expression:
    return exp.EQ(this=exp.func("coalesce", exp.func("len", _col(names.EMPTIED, r)), exp.Literal.number(0)),
                  expression=exp.Literal.number(0))


def carry(r: str, unresolved_rows: exp.Select) -> exp.Expression:
    """What a row of the working table (alias ``r``) can be carried as in the next delta (NULL: it cannot);
    ``unresolved_rows``: the rows this entity's run recorded an unresolved reference for."""
    item = names.ident("_ferry_reason")
    other = exp.ArrayFilter(this=_col(names.REASONS, r), expression=exp.Lambda(
        this=exp.NEQ(this=exp.Dot(this=exp.column(item.copy()), expression=names.ident("rule")),
                     expression=_lit(UNRESOLVED)), expressions=[item.copy()]))
    loaded = exp.and_(_is(_col(names.STATUS, r), LOADED),
                      exp.not_(exp.func("coalesce", _col(names.LINKED, r), exp.false())), _none_emptied(r),
                      exp.In(this=_col(names.ROW, r), query=exp.Subquery(this=unresolved_rows.copy())))
    rejected = exp.and_(_is(_col(names.STATUS, r), REJECTED), _none_emptied(r),
                        exp.GT(this=exp.func("len", _col(names.REASONS, r)), expression=exp.Literal.number(0)),
                        exp.EQ(this=exp.func("len", other), expression=exp.Literal.number(0)))
    return exp.Case().when(loaded, _lit(LOADED)).when(rejected, _lit(REJECTED))


def unchanged_rows(c: exp.Table) -> exp.Select:
    """Rows out of the scope whose record is put back as it was: the unchanged ones and the carried loaded ones."""
    return exp.select(exp.Star()).from_(c.copy()).where(exp.and_(
        exp.not_(_col("scoped")), exp.func("coalesce", _col(CARRY), _lit(LOADED)).eq(_lit(LOADED))))


def carried_rows(entity: Entity, c: exp.Table, h: exp.Table) -> exp.Select:
    """Rows out of the scope that are carried, in the working table's shape: row, old id, status and each
    reference's raw old id (the hash's ``r_i``, computed as the compiled step computes it)."""
    return (exp.select(_col(names.ROW, "c"), _col(names.KEY, "c"), exp.alias_(_col(CARRY, "c"), names.STATUS, quoted=True),
                       *(exp.alias_(_col(f"r_{i}", "h"), names.raw_reference(r.name), quoted=True)
                         for i, r in enumerate(entity.references)))
            .from_(c.copy().as_("c", quoted=True))
            .join(h.copy().as_("h", quoted=True), on=exp.EQ(this=_col(names.ROW, "h"), expression=_col(names.ROW, "c")))
            .where(exp.and_(exp.not_(_col("scoped", "c")), exp.not_(exp.Is(this=_col(CARRY, "c"),
                                                                            expression=exp.null()))))
            .order_by(_col(names.ROW, "c")))


def rejected_rows(spec: Spec, entity: Entity, carried: exp.Table) -> exp.Select:
    """The carried rejected rows with their reasons as this run's step gives them (every reference
    ``on_missing: reject`` resolved against this run's crosswalk, its detail from this run's parent outcomes)."""
    m = "m"
    select = (exp.select(_col(names.ROW, m), _col(names.KEY, m))
              .from_(carried.copy().as_(m, quoted=True)).where(_is(_col(names.STATUS, m), REJECTED)))
    checks = []
    for ref in entity.references:
        if ref.deferred:
            continue
        select, check = resolve_reference(spec, entity, ref, select, m)
        if check is not None:
            checks.append(check)
    reasons = reason_list(checks) if checks else exp.cast(exp.null(), ledgers.REASON_TYPE)
    return select.select(exp.alias_(reasons, names.REASONS, quoted=True))


def restore_rejected(rows: exp.Table, rejected: exp.Table) -> exp.Insert:
    """The carried rejected rows' outcomes into the entity's working table (the run's accounting)."""
    query = exp.select(_col(names.ROW), _col(names.KEY), exp.alias_(_lit(REJECTED), names.STATUS, quoted=True),
                       exp.alias_(exp.false(), names.LINKED, quoted=True), _col(names.REASONS)).from_(rejected.copy())
    return exp.insert(query, rows.copy(), columns=[names.ident(c) for c in (
        names.ROW, names.KEY, names.STATUS, names.LINKED, names.REASONS)])


def record_rejects(spec: Spec, entity: Entity, rejected: exp.Table) -> exp.Insert:
    """Their reject ledger rows, as the load step writes them."""
    query = exp.select(_lit(entity.name), origin.source_of(entity), origin.source_row(entity), origin.source_key(entity),
                       _col(names.REASONS)).from_(rejected.copy()).order_by(_col(names.ROW))
    return ledgers.insert(names.rejects_table(), query, spec.name)


def add_carry(store: exp.Table) -> exp.Alter:
    """A store written before ``carry`` existed gets it (NULL: its rows are not carried)."""
    return exp.Alter(this=store.copy(), kind="TABLE", actions=[exp.ColumnDef(
        this=names.ident(CARRY), kind=exp.DataType.build("VARCHAR"), exists=True)])


def count_carried(c: exp.Table) -> exp.Select:
    return exp.select(exp.Count(this=exp.Star())).from_(c.copy()).where(exp.and_(
        exp.not_(_col("scoped")), exp.not_(exp.Is(this=_col(CARRY), expression=exp.null()))))
