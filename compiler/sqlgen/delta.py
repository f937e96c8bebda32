"""The delta's SQL as sqlglot trees: what ferry wrote last (W), what the target holds (T), what the export gives (C).

In:  an ``Entity``'s columns (fields then references), the tables holding C, W and T, the crosswalks, and the
entity's ``delta:`` policies. Out: trees (queries and statements) that ``compiler.delta`` (a DuckDB run)
and ``compiler.targets.postgres.delta`` (a push to PostgreSQL, whose T is the server's) execute. Pure: no connection here.

The three-way comparison, per record and field i: ``c_i`` (computed), ``w_i`` (last written), ``b_i`` (the
target's, "before"). ``joined`` lines them up; ``resolved`` gives each field's value under the conflict
policy (one CASE per field, the policy deciding when the target's value stays); ``resolution`` adds what
a record needs (``fix``: the target must change; ``moved``: it differs from what the target held);
``gone`` lists the ledger's records the export no longer gives, resolved by the gone policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from sqlglot import exp

from compiler.sqlgen import names
from compiler.sqlgen.ledgers import OWNER

RESOLUTION = {"target_wins": "target_wins", "source_wins": "source_wins", "reject": "rejected"}
GONE_POLICIES = ("keep", "archive", "delete")


@dataclass(frozen=True, slots=True)
class Sides:
    """Where each side of the comparison is: ``computed`` holds C for the ids ``computed_ids`` selects; ``written``
    is the ledger (rows of ``spec``); ``before`` the target's records as they were, with ``present`` columns."""

    spec: str
    columns: tuple[str, ...]
    computed: exp.Table
    computed_ids: exp.Select
    written: exp.Table
    before: exp.Table
    present: frozenset[str]


def _v(prefix: str, i: int, table: str | None = None) -> exp.Column:
    return exp.column(f"{prefix}_{i}", table=table)


def _c(name: str) -> exp.Column:
    return exp.column(name)


def _distinct(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return exp.NullSafeNEQ(this=a, expression=b)


def _or(parts: Sequence[exp.Expression]) -> exp.Expression:
    return exp.or_(*parts) if parts else exp.false()


def _paren(e: exp.Expression) -> exp.Expression:
    return exp.Paren(this=e)


def temporary(table: exp.Table, query: exp.Expression, temporary: bool = True) -> exp.Create:
    """``CREATE OR REPLACE TEMPORARY TABLE table AS query`` (``temporary=False``: a plain table, which other
    cursors of the connection see: a push's in-memory database, read by its COPY threads)."""
    properties = exp.Properties(expressions=[exp.TemporaryProperty()]) if temporary else None
    return exp.Create(this=table, kind="TABLE", replace=True, expression=query, properties=properties)


def of_owner(spec: str, table: str | None = None) -> exp.Expression:
    return exp.EQ(this=names.col(OWNER, table), expression=exp.Literal.string(spec))


def in_query(column: exp.Expression, query: exp.Expression) -> exp.In:
    return exp.In(this=column, query=exp.Subquery(this=query.copy()))


def computed_ids(spec: str, crosswalk: exp.Table) -> exp.Select:
    """This run's records of an entity (loaded, not linked): ids from the crosswalk it just wrote."""
    return (exp.select(names.col(names.ID)).from_(crosswalk.copy())
            .where(exp.and_(exp.EQ(this=names.col("spec"), expression=exp.Literal.string(spec)),
                            exp.EQ(this=names.col("status"), expression=exp.Literal.string(names.LOADED)),
                            exp.not_(exp.func("coalesce", names.col("linked"), exp.false())))))


def joined(s: Sides) -> exp.Select:
    """One row per record of this run: id, in_w, in_b, then c_i, w_i, b_i per column (b_i NULL for a column
    the target's table did not have yet)."""
    values: list[exp.Expression] = []
    for i, c in enumerate(s.columns):
        b = names.col(c, "b") if c in s.present else exp.null()
        values += [exp.alias_(names.col(c, "c"), f"c_{i}"), exp.alias_(names.col(c, "w"), f"w_{i}"),
                   exp.alias_(b, f"b_{i}")]
    written = exp.select(exp.Star()).from_(s.written.copy()).where(of_owner(s.spec))
    return (exp.select(names.col(names.ID, "c"),
                       exp.alias_(exp.not_(exp.Is(this=names.col(names.ID, "w"), expression=exp.null())), "in_w"),
                       exp.alias_(exp.not_(exp.Is(this=names.col(names.ID, "b"), expression=exp.null())), "in_b"),
                       *values)
            .from_(s.computed.copy().as_("c", quoted=True))
            .join(written.subquery(names.ident("w")), join_type="LEFT",
                  on=exp.EQ(this=names.col(names.ID, "w"), expression=names.col(names.ID, "c")))
            .join(s.before.copy().as_("b", quoted=True), join_type="LEFT",
                  on=exp.EQ(this=names.col(names.ID, "b"), expression=names.col(names.ID, "c")))
            .where(in_query(names.col(names.ID, "c"), s.computed_ids)))


def _both() -> exp.Expression:
    return exp.and_(_c("in_w"), _c("in_b"))


def conflict(i: int, table: str | None = None) -> exp.Expression:
    """Field i changed in the source and in the target, to different values."""
    w = _v("w", i, table)
    return _paren(exp.and_(_c("in_w"), _c("in_b"), _distinct(_v("c", i, table), w), _distinct(_v("b", i, table), w.copy()),
                           _distinct(_v("b", i, table), _v("c", i, table))))


def any_conflict(n: int) -> exp.Expression:
    return _or([conflict(i) for i in range(n)])


def _edited(i: int) -> exp.Expression:
    """The target's value of field i is not what ferry wrote."""
    return _distinct(_v("b", i), _v("w", i))


#: When the target's value of field i stays, per conflict policy (within records in the ledger and the target):
#: target_wins: whenever the target edited it; source_wins: an edit the source did not also change; reject:
#: every field of a record with a conflict keeps the target's value, and so does any edited field.
KEEPS_TARGET: dict[str, Callable[[int, int], exp.Expression]] = {
    "target_wins": lambda i, n: _edited(i),
    "source_wins": lambda i, n: exp.and_(_edited(i), exp.not_(conflict(i))),
    "reject": lambda i, n: _paren(exp.or_(_paren(any_conflict(n)), _edited(i))),
}


def resolved(policy: str, n: int) -> list[exp.Expression]:
    """Each field's value under ``policy``: the target's where it stays, else the computed one."""
    return [exp.Case().when(exp.and_(_both(), KEEPS_TARGET[policy](i, n)), _v("b", i)).else_(_v("c", i))
            for i in range(n)]


def resolution(j: exp.Table, policy: str, n: int) -> exp.Select:
    """Per record: id, in_w, in_b, conflicted, c_i, b_i, v_i (the resolved value), ``fix`` (the table, which
    holds C after the steps, must change) and ``moved`` (the record differs from what the target held)."""
    inner = exp.select(_c("id"), _c("in_w"), _c("in_b"), exp.alias_(_paren(any_conflict(n)), "conflicted"))
    for i, v in enumerate(resolved(policy, n)):
        inner = inner.select(_v("c", i), _v("b", i), exp.alias_(v, f"v_{i}"))
    inner = inner.from_(j.copy())
    fix = _or([_distinct(_v("v", i), _v("c", i)) for i in range(n)])
    moved = _or([_distinct(_v("v", i), _v("b", i)) for i in range(n)])
    return (exp.select(exp.Star(), exp.alias_(_paren(fix), "fix"),
                       exp.alias_(exp.and_(_c("in_w"), _c("in_b"), _paren(moved)), "moved"))
            .from_(inner.subquery()))


def put_back(table: exp.Table, r: exp.Table, columns: Sequence[str]) -> exp.Update:
    """The target's values go back where they win (the table holds C after the steps)."""
    return exp.Update(this=table.copy(), expressions=[
        exp.EQ(this=names.col(c), expression=names.col(f"v_{i}", "r")) for i, c in enumerate(columns)],
        from_=exp.From(this=r.copy().as_("r", quoted=True)),
        where=exp.Where(this=exp.and_(exp.EQ(this=exp.column(names.ID, table=table.name, quoted=True),
                                              expression=names.col(names.ID, "r")),
                                       names.col("fix", "r"), names.col("in_b", "r"))))


def deleted_in_target(r: exp.Table) -> exp.Select:
    """Ids of records ferry wrote that the target's users deleted: they stay deleted."""
    return exp.select(_c("id")).from_(r.copy()).where(exp.and_(_c("in_w"), exp.not_(_c("in_b"))))


def in_conflict(j: exp.Table, n: int) -> exp.Select:
    """The records in conflict (few rows, many fields: read once per field by ``conflict_rows``)."""
    return exp.select(exp.Star()).from_(j.copy()).where(any_conflict(n))


def source_key(spec: str, crosswalk: exp.Table, statuses: Sequence[str], alias: str = "j",
               other: exp.Table | None = None) -> exp.Subquery:
    """The smallest old id of record ``alias``.id in ``crosswalk`` with one of ``statuses``."""
    where = [exp.EQ(this=names.col(names.ID, "x"), expression=names.col(names.ID, alias)),
             names.col("status", "x").isin(*(exp.Literal.string(s) for s in statuses))]
    if other is None:
        where.insert(1, exp.EQ(this=names.col("spec", "x"), expression=exp.Literal.string(spec)))
    return exp.Subquery(this=exp.select(exp.Min(this=names.col("source_key", "x")))
                        .from_(crosswalk.copy().as_("x", quoted=True)).where(exp.and_(*where)))


def conflict_rows(spec: str, run: str, entity: str, policy: str, few: exp.Table, crosswalk: exp.Table,
                  columns: Sequence[str]) -> exp.Select:
    """One row per conflicting field, in ``_ferry.conflicts``' column order, by id and field."""
    key = source_key(spec, crosswalk, (names.LOADED,))
    parts = [exp.select(names.col(names.ID, "j"), exp.alias_(key.copy(), "source_key"),
                        exp.alias_(exp.Literal.string(c), "field"),
                        exp.alias_(exp.cast(_v("w", i), "VARCHAR"), "w"), exp.alias_(exp.cast(_v("b", i), "VARCHAR"), "t"),
                        exp.alias_(exp.cast(_v("c", i), "VARCHAR"), "s"))
             .from_(few.copy().as_("j", quoted=True)).where(conflict(i)) for i, c in enumerate(columns)]
    union: exp.Expression = parts[0]
    for p in parts[1:]:
        union = exp.union(union, p, distinct=False)
    lit = exp.Literal.string
    return (exp.select(lit(spec), lit(run), lit(entity), _c("id"), _c("source_key"), _c("field"), _c("w"), _c("t"),
                       _c("s"), lit(RESOLUTION[policy]))
            .from_(exp.Subquery(this=union)).order_by(_c("id"), _c("field")))


def counts(r: exp.Table) -> exp.Select:
    """insert, update, unchanged, conflicted_records, deleted_in_target."""
    def count_if(cond: exp.Expression) -> exp.Expression:
        return exp.func("count_if", cond)
    return exp.select(count_if(exp.not_(_c("in_w"))), count_if(_c("moved")),
                      count_if(exp.and_(_c("in_w"), _c("in_b"), exp.not_(_c("moved")))), count_if(_c("conflicted")),
                      count_if(exp.and_(_c("in_w"), exp.not_(_c("in_b"))))).from_(r.copy())


def changed_ids(j: exp.Table, n: int) -> exp.Select:
    """Records whose ledger row must be rewritten: new ones, and those whose computed values changed."""
    differs = _or([_distinct(_v("c", i), _v("w", i)) for i in range(n)])
    return exp.select(_c("id")).from_(j.copy()).where(exp.or_(exp.not_(_c("in_w")), differs))


def computed_values(j: exp.Table, columns: Sequence[str]) -> exp.Select:
    """The computed values, under the entity table's column names (what the ledger records)."""
    return exp.select(_c("id"), *(exp.alias_(_v("c", i), c, quoted=True) for i, c in enumerate(columns))).from_(j.copy())


# -- the ledger ---------------------------------------------------------------------------------------------


def ledger_delete(spec: str, written: exp.Table, computed: exp.Select, held: exp.Expression | None,
                  changed: exp.Select | None) -> exp.Delete:
    """Before the ledger is written: this spec's rows go, except the ``held`` ids' (a query); with ``changed``,
    only the changed rows and those of records no longer computed go."""
    where = [of_owner(spec)]
    if held is not None:
        where.append(exp.not_(in_query(names.col(names.ID, "t"), held)))
    if changed is not None:
        where.append(_paren(exp.or_(in_query(names.col(names.ID, "t"), changed),
                                    exp.not_(in_query(names.col(names.ID, "t"), computed)))))
    return exp.delete(written.copy().as_("t", quoted=True), where=exp.and_(*where))


def ledger_insert(spec: str, run: str, written: exp.Table, values: exp.Expression, columns: Sequence[str],
                  computed: exp.Select, held: exp.Expression | None, changed: exp.Select | None, *,
                  whole: bool = False) -> exp.Insert:
    """The ledger's rows for this run's records: their computed values (``values``: the entity table itself on a
    replacing run, ``computed_values`` on a delta), with a hash of them; ``held`` ids keep their rows. ``whole``:
    every row of ``values`` (a table) is one of ``computed`` and none is held or unchanged, so the table is copied
    as it lies: no filter, no sort."""
    t = [names.col(c, "t") for c in columns]
    hashed = exp.func("hash", *t) if t else exp.Literal.number(0)
    source = values.copy().as_("t", quoted=True) if isinstance(values, exp.Table) else exp.Subquery(
        this=values.copy(), alias=exp.TableAlias(this=names.ident("t")))
    where = [in_query(names.col(names.ID, "t"), computed)]
    if held is not None:
        where.append(exp.not_(in_query(names.col(names.ID, "t"), held)))
    if changed is not None:
        where.append(in_query(names.col(names.ID, "t"), changed))
    # The same files give the same table, row order included. A replacing run reads the entity table, whose
    # rows are in load order: kept in that order (rowid; the id breaks ties should a field be named rowid), the
    # sort finds them nearly sorted and the insert writes them as they lie. At 1M contacts: 3.1 -> 2.2 CPU s, as
    # with no ORDER BY at all; ORDER BY id shuffled them. A delta's computed values keep the id order.
    # Copied whole (the table holds only this run's records), a scan feeds the insert in that same order
    # (insertion order is preserved) with no semi-join to break it: no sort at all. At 1M contacts: 2.3 -> 1.9 CPU s
    # (contact), 2.1 -> 1.7 (activity), in alternating rounds, same rows in the same order.
    order = [names.col("rowid", "t"), names.col(names.ID, "t")] if isinstance(values, exp.Table) else \
        [names.col(names.ID, "t")]
    query = exp.select(exp.Literal.string(spec), exp.Literal.string(run), hashed, names.col(names.ID, "t"),
                       *(c.copy() for c in t)).from_(source)
    if not (whole and isinstance(values, exp.Table) and held is None and changed is None):
        query = query.where(exp.and_(*where)).order_by(*order)
    return exp.insert(query, written.copy(), columns=[names.ident(c) for c in
                                                      (OWNER, "_ferry_run", "_ferry_hash", names.ID, *columns)])


def union_all(queries: Sequence[exp.Select]) -> exp.Expression | None:
    if not queries:
        return None
    out: exp.Expression = queries[0]
    for q in queries[1:]:
        out = exp.union(out, q, distinct=False)
    return out


# -- gone records -------------------------------------------------------------------------------------------


def gone(s: Sides, old_crosswalk: exp.Table, crosswalk: exp.Table, policy: str) -> exp.Select:
    """The ledger's records this run did not produce: id, source_key, merged_into (the record its old ids now
    belong to, when a cluster bridged two), in_b, and the resolution: merged, deleted_in_target, or ``policy``."""
    assert policy in GONE_POLICIES, policy
    old_key = source_key(s.spec, old_crosswalk, (names.LOADED, names.KEPT), "w", other=old_crosswalk)
    merged = exp.Subquery(this=exp.select(exp.Min(this=names.col(names.ID, "x")))
                          .from_(old_crosswalk.copy().as_("o", quoted=True))
                          .join(crosswalk.copy().as_("x", quoted=True), on=exp.and_(
                              exp.EQ(this=names.col("source", "x"), expression=names.col("source", "o")),
                              exp.EQ(this=names.col("source_key", "x"), expression=names.col("source_key", "o")),
                              exp.EQ(this=names.col("spec", "x"), expression=exp.Literal.string(s.spec)),
                              names.col("status", "x").isin(exp.Literal.string(names.LOADED),
                                                            exp.Literal.string(names.MERGED))))
                          .where(exp.and_(exp.EQ(this=names.col(names.ID, "o"), expression=names.col(names.ID, "w")),
                                          exp.NEQ(this=names.col(names.ID, "x"), expression=names.col(names.ID, "w")))))
    in_b = exp.not_(exp.Is(this=names.col(names.ID, "b"), expression=exp.null()))
    rows = (exp.select(names.col(names.ID, "w"), exp.alias_(old_key, "source_key"), exp.alias_(merged, "merged_into"),
                       exp.alias_(in_b, "in_b"))
            .from_(s.written.copy().as_("w", quoted=True))
            .join(s.before.copy().as_("b", quoted=True), join_type="LEFT",
                  on=exp.EQ(this=names.col(names.ID, "b"), expression=names.col(names.ID, "w")))
            .where(exp.and_(of_owner(s.spec, "w"), exp.not_(in_query(names.col(names.ID, "w"), s.computed_ids)))))
    how = (exp.Case().when(exp.not_(exp.Is(this=_c("merged_into"), expression=exp.null())), exp.Literal.string("merged"))
           .when(exp.not_(_c("in_b")), exp.Literal.string("deleted_in_target")).else_(exp.Literal.string(policy)))
    return exp.select(exp.Star(), exp.alias_(how, "resolution")).from_(rows.subquery("g"))


def gone_ids(g: exp.Table, *resolutions: str, negate: bool = False) -> exp.Select:
    test = _c("resolution").isin(*(exp.Literal.string(r) for r in resolutions))
    return exp.select(_c("id")).from_(g.copy()).where(exp.not_(test) if negate else test)


def drop_kept(spec: str, crosswalk: exp.Table, g: exp.Table) -> exp.Delete:
    """Kept old ids of records not put back (merged, deleted in the target) resolve to nothing from now on."""
    return exp.delete(crosswalk.copy(), where=exp.and_(
        exp.EQ(this=names.col("spec"), expression=exp.Literal.string(spec)),
        exp.EQ(this=names.col("status"), expression=exp.Literal.string(names.KEPT)),
        in_query(names.col(names.ID), gone_ids(g, "keep", negate=True))))


def restore_kept(table: exp.Table, before: exp.Table, present: Sequence[str], g: exp.Table) -> exp.Insert:
    """Kept records back into the table (a DuckDB run's steps removed every record of the spec's)."""
    query = (exp.select(*(names.col(c) for c in present)).from_(before.copy())
             .where(in_query(names.col(names.ID), gone_ids(g, "keep"))))
    return exp.insert(query, table.copy(), columns=[names.ident(c) for c in present])


def gone_rows(spec: str, run: str, entity: str, g: exp.Table, before: exp.Table) -> exp.Select:
    """``_ferry.gone``'s rows: an archived or merged record's values as JSON."""
    lit = exp.Literal.string
    record = exp.Case().when(names.col("resolution", "g").isin(lit("archive"), lit("merged")),
                             exp.cast(exp.func("to_json", exp.column("b")), "VARCHAR"))
    return (exp.select(lit(spec), lit(run), lit(entity), names.col(names.ID, "g"), names.col("source_key", "g"),
                       names.col("resolution", "g"), names.col("merged_into", "g"), record)
            .from_(g.copy().as_("g", quoted=True))
            .join(before.copy().as_("b"), join_type="LEFT",
                  on=exp.EQ(this=names.col(names.ID, "b"), expression=names.col(names.ID, "g")))
            .order_by(names.col(names.ID, "g")))


def repoint(child: exp.Table, column: str, merges: exp.Table) -> exp.Update:
    """Children of a merged-away record point at the record it joined."""
    return exp.Update(this=child.copy(), expressions=[
        exp.EQ(this=names.col(column), expression=names.col("new_id", "m"))],
        from_=exp.From(this=merges.copy().as_("m", quoted=True)),
        where=exp.Where(this=exp.EQ(this=exp.column(column, table=child.name, quoted=True),
                                    expression=names.col("old_id", "m"))))


def merges(g: exp.Table) -> exp.Select:
    return (exp.select(exp.alias_(_c("id"), "old_id"), exp.alias_(_c("merged_into"), "new_id")).from_(g.copy())
            .where(exp.EQ(this=_c("resolution"), expression=exp.Literal.string("merged"))))
