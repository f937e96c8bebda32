"""Writing one entity to the target: crosswalk, records, rejects, archive, duplicates, second pass.

In:  the ``Spec`` and one ``Entity`` whose working table ``sqlgen.entity`` builds.
Out: the statements of its load step (``compile_load``) and of its second pass
(``compile_link``), and the target tables' DDL (``compile_tables``).

Target tables persist between runs, so records loaded by anyone else stay and
can be matched. A spec replaces only its own records: those its previous run
inserted, as its rows of the previous crosswalk list them (not the linked ones;
never another spec's). The crosswalk maps every old id of a loaded or merged
row to the id of the record it became, so references from other entities
follow merges and matches; each spec's rows are its own (``sqlgen.ledgers``).
"""

from __future__ import annotations

from sqlglot import exp

from compiler.model import Entity, Reference, Spec
from compiler.sqlgen import collisions, dedup, duplicates, ledgers, linkage, linkmodel, names, origin, references, stable
from compiler.sqlgen.entity import UUID, compile_rows, xw
from compiler.sqlgen.existing import owned
from compiler.sqlgen.types import sql_type, type_name

def _status_is(status: str, table: str | None = None, column: str = names.STATUS) -> exp.Expression:
    return exp.EQ(this=names.col(column, table), expression=exp.Literal.string(status))


def _update_matched(spec: Spec, entity: Entity) -> tuple[exp.Expression, ...]:
    """``match: {mode: update}``: write the chosen fields to the existing records rows linked to."""
    if entity.match is None or entity.match.mode != "update":
        return ()
    fields = entity.match.update
    linked = (exp.select(names.col(names.ID), *(names.col(f) for f in fields)).from_(names.rows_table(entity))
              .where(exp.and_(_status_is(names.LOADED), names.col(names.LINKED))))
    table = names.entity_table(spec.target, entity)
    return (exp.Update(
        this=table,
        expressions=[exp.EQ(this=names.col(f), expression=names.col(f, "l")) for f in fields],
        from_=exp.From(this=exp.Subquery(this=linked, alias=exp.TableAlias(this=names.ident("l")))),
        where=exp.Where(this=exp.EQ(this=exp.column(names.ID, table=table.name, quoted=True),
                                    expression=names.col(names.ID, "l"))),
    ),)


def _by_row() -> exp.Order:
    return exp.Order(expressions=[exp.Ordered(this=names.col(names.ROW))])


def _columns(entity: Entity) -> list[tuple[str, exp.DataType]]:
    """The entity table's columns, in order: id, the fields, the references."""
    return [(names.ID, UUID), *((f.name, sql_type(f)) for f in entity.fields),
            *((r.name, UUID) for r in entity.references)]


def compile_tables(spec: Spec) -> tuple[exp.Expression, ...]:
    """Create the target tables and crosswalks if missing, and add columns a changed spec needs."""
    statements: list[exp.Expression] = []
    for entity in spec.entities:
        table = names.entity_table(spec.target, entity)
        columns = [exp.ColumnDef(this=names.ident(n), kind=t.copy()) for n, t in _columns(entity)]
        statements.append(exp.Create(this=exp.Schema(this=table.copy(), expressions=columns), kind="TABLE",
                                     exists=True))
        statements += [exp.Alter(this=table.copy(), kind="TABLE", actions=[exp.ColumnDef(
            this=names.ident(n), kind=t.copy(), exists=True)]) for n, t in _columns(entity)[1:]]
        if entity.fields:
            statements.append(_same_column_types(table, [(f.name, type_name(f)) for f in entity.fields]))
        statements.append(exp.Create(this=exp.Schema(this=names.crosswalk_table(entity), expressions=[
            exp.ColumnDef(this=names.ident(n), kind=exp.DataType.build(t)) for n, t in CROSSWALK]),
            kind="TABLE", exists=True))
        # A crosswalk from before `linked` existed: its rows were all ferry's own.
        statements.append(exp.Alter(this=names.crosswalk_table(entity), kind="TABLE", actions=[exp.ColumnDef(
            this=names.ident("linked"), kind=exp.DataType.build("BOOLEAN"), exists=True,
            constraints=[exp.ColumnConstraint(kind=exp.DefaultColumnConstraint(this=exp.false()))])]))
        # A crosswalk from before `spec` existed: its rows are adopted by this spec (sqlgen.ledgers).
        statements.append(exp.Alter(this=names.crosswalk_table(entity), kind="TABLE", actions=[exp.ColumnDef(
            this=names.ident(ledgers.SPEC), kind=exp.DataType.build("VARCHAR"), exists=True)]))
        statements.append(exp.update(names.crosswalk_table(entity), {ledgers.SPEC: exp.Literal.string(spec.name)},
                                     where=exp.Is(this=names.col(ledgers.SPEC), expression=exp.null())))
        # What ferry last wrote to each of its records (``compiler.delta`` reads and rewrites it).
        written = [(n, exp.DataType.build(t, dialect="duckdb")) for n, t in ledgers.WRITTEN_LEAD] + _columns(entity)
        statements.append(exp.Create(this=exp.Schema(this=names.written_table(entity), expressions=[
            exp.ColumnDef(this=names.ident(n), kind=t.copy()) for n, t in written]), kind="TABLE", exists=True))
        statements += [exp.Alter(this=names.written_table(entity), kind="TABLE", actions=[exp.ColumnDef(
            this=names.ident(n), kind=t.copy(), exists=True)]) for n, t in _columns(entity)[1:]]
    return tuple(statements)


#: The crosswalk's columns; ``spec`` names the spec whose run wrote the row.
CROSSWALK = (("source", "VARCHAR"), ("source_key", "VARCHAR"), ("id", "UUID"), ("status", "VARCHAR"),
             ("linked", "BOOLEAN"), (ledgers.SPEC, "VARCHAR"))


def _same_column_types(table: exp.Table, expected: list[tuple[str, str]]) -> exp.Select:
    """Fail when a table from an earlier run has a field's column with another type: inserting
    would convert every value (DECIMAL(18, 4) rounds a scale-6 value, DATE drops the time,
    BIGINT reads '007' as 7). Changing a column's type is left to the user."""
    c, e = "_ferry_columns", "_ferry_expected"  # not "c"/"e": a spec's column may have that name
    wanted = exp.values(expected, alias=e, columns=["name", "type"])
    message = exp.func("concat", exp.Literal.string(f"column {names.table_name(table)}."), names.col("column_name", c),
                       exp.Literal.string(" is "), names.col("data_type", c),
                       exp.Literal.string(" in the target but the spec makes it "), names.col("type", e),
                       exp.Literal.string(": loading would convert its values; alter or drop the column first"))
    return (exp.select(exp.func("error", message))
            .from_(exp.table_("columns", db="information_schema").as_(c, quoted=True))
            .join(wanted, on=exp.EQ(this=names.col("column_name", c), expression=names.col("name", e)))
            .where(exp.and_(
                exp.EQ(this=names.col("table_catalog", c), expression=exp.func("current_database")),
                exp.EQ(this=names.col("table_schema", c), expression=exp.Literal.string(table.db)),
                exp.EQ(this=names.col("table_name", c), expression=exp.Literal.string(table.name)),
                exp.NEQ(this=names.col("data_type", c), expression=names.col("type", e)))))


def forget(spec: Spec, entity: Entity) -> exp.Delete:
    """The spec's own records of the entity from its last run go (``compiler.scope_commit`` narrows it in a delta)."""
    return exp.delete(names.entity_table(spec.target, entity),
                      where=names.col(names.ID).isin(query=owned(spec, entity)))


def forget_crosswalk(spec: Spec, entity: Entity) -> exp.Delete:
    """The spec's crosswalk rows of the entity from its last run go (narrowed like ``forget``)."""
    return exp.delete(names.crosswalk_table(entity), where=ledgers.of_spec(spec.name))


def compile_load(spec: Spec, entity: Entity) -> tuple[exp.Expression, ...]:
    rows = names.rows_table(entity)
    table = names.entity_table(spec.target, entity)
    crosswalk = exp.select(
        exp.alias_(origin.source_of(entity), "source", quoted=True),
        exp.alias_(origin.source_key(entity), "source_key", quoted=True),
        names.col(names.ID),
        exp.alias_(names.col(names.STATUS), "status", quoted=True),
        exp.alias_(names.col(names.LINKED), "linked", quoted=True),
        exp.alias_(exp.Literal.string(spec.name), ledgers.SPEC, quoted=True),
    ).from_(rows.copy()).where(exp.or_(_status_is(names.LOADED), _status_is(names.MERGED)))
    crosswalk.set("order", _by_row())
    columns = [names.col(names.ID), *(names.col(f.name) for f in entity.fields)]
    for ref in entity.references:
        columns.append(exp.alias_(exp.cast(exp.null(), UUID), ref.name, quoted=True) if ref.deferred
                       else names.col(ref.name))
    records = exp.select(*columns).from_(rows.copy()).where(
        exp.and_(_status_is(names.LOADED), exp.not_(names.col(names.LINKED))))
    records.set("order", _by_row())
    # This spec's own records from its last run go, and this run's come back (same ids if unchanged);
    # so do its crosswalk rows. Other specs' records and rows stay.
    insert = exp.insert(records, table.copy(), columns=[names.ident(n) for n, _ in _columns(entity)])
    rejects = exp.select(
        exp.Literal.string(entity.name), origin.source_of(entity), origin.source_row(entity),
        origin.source_key(entity), names.col(names.REASONS),
    ).from_(rows.copy()).where(_status_is(names.REJECTED))
    rejects.set("order", _by_row())
    keep = entity.delta.gone == "keep"
    statements: list[exp.Expression] = [
        *compile_rows(spec, entity),
        collisions.check(spec, entity),  # before the first write: another spec's record is never replaced
        forget(spec, entity),
        *((_kept_rows(spec, entity),) if keep else ()),
        forget_crosswalk(spec, entity),
        exp.insert(crosswalk, names.crosswalk_table(entity), columns=[names.ident(n) for n, _ in CROSSWALK]),
        *(_keep_kept_rows(spec, entity) if keep else ()),
        insert,
        *_update_matched(spec, entity),
        ledgers.insert(names.rejects_table(), rejects, spec.name),
    ]
    if entity.filter is not None:
        # This run's archived rows, for the archive file; then this spec's rows of the shared table.
        archived = names.archived_table(entity)
        statements.append(exp.Create(this=archived, kind="TABLE", replace=True, expression=_archived(entity),
                                     properties=exp.Properties(expressions=[exp.TemporaryProperty()])))
        statements += _own_rows(spec, entity, names.archive_table(entity), _ARCHIVE_LEAD, _archive_tail(entity),
                                exp.select(exp.Star()).from_(archived.copy()))
    if entity.dedup is not None:
        statements += _own_rows(spec, entity, names.duplicates_table(entity), duplicates.DUPLICATE_COLUMNS, (),
                                duplicates.duplicates(entity, dedup.in_place(entity)))
        if entity.dedup.model is not None:  # the model's links and possible matches, explained, for review
            statements += ledgers.replace_own(names.explained_table(entity), linkmodel.EXPLAINED,
                                              linkmodel.explained(entity), spec.name)
        if entity.multi and entity.dedup.one_to_one:  # the cross-source pairs that were not each one's best
            statements += ledgers.replace_own(linkage.unlinked_table(entity), tuple(
                (n, exp.DataType.build(t)) for n, t in linkage.UNLINKED), linkage.unlinked(entity), spec.name)
    if any(f.on_error == "null" for f in entity.fields):
        statements.append(_record_emptied(spec, entity))
    nullable = [r for r in entity.references if not r.deferred and r.on_missing == "null"]
    if nullable:
        statements.append(_record_unresolved(spec, entity, nullable, through_crosswalk=False))
    if entity.dedup is not None:
        # Dedup's working tables are read only by this step: dropped here, they do not hold memory
        # (or get spilled to disk) while the later steps run. The rows table stays for accounting.
        model = (names.model_rows_table(entity), names.model_pairs_table(entity), names.model_u_table(entity),
                 names.model_table(entity), names.model_scores_table(entity)) if entity.dedup.model else ()
        decided = (names.decisions_table(entity),) if entity.dedup.decisions else ()
        if entity.multi and entity.dedup.one_to_one:
            decided += (dedup.found_table(entity), linkage.one_to_one_table(entity))
        checked = exp.Drop(tables=[names.checked_table(entity)], kind="VIEW" if dedup.in_place(entity) else "TABLE",
                           exists=True)
        statements += [checked, *(exp.Drop(tables=[t], kind="TABLE", exists=True) for t in (
            *((names.blocks_table(entity),) if entity.dedup.fuzzy else ()),
            names.pairs_table(entity), names.clusters_table(entity), stable.kept_table(entity), *model, *decided))]
    return tuple(statements)


def _kept_table(entity: Entity) -> exp.Table:
    return names.table(f"_ferry_kept_crosswalk_{entity.name}")


def _kept_rows(spec: Spec, entity: Entity) -> exp.Create:
    """Before the crosswalk is rewritten: its rows (this spec's, not linked) of the records the written ledger
    lists, which a delta run keeps when this run no longer produces them (``delta: {gone: keep}``)."""
    x = names.crosswalk_table(entity)
    rows = (exp.select(names.col("source"), names.col("source_key"), names.col(names.ID)).from_(x)
            .where(exp.and_(ledgers.of_spec(spec.name), exp.not_(exp.func("coalesce", names.col("linked"), exp.false())),
                            names.col("status").isin(*(exp.Literal.string(s) for s in (names.LOADED, names.MERGED,
                                                                                        names.KEPT))),
                            names.col(names.ID).isin(query=ledgers.written_ids(spec.name, entity)))))
    return exp.Create(this=_kept_table(entity), kind="TABLE", replace=True, expression=rows,
                      properties=exp.Properties(expressions=[exp.TemporaryProperty()]))


def _keep_kept_rows(spec: Spec, entity: Entity) -> tuple[exp.Expression, ...]:
    """The crosswalk keeps, as ``kept``, the old ids of records this run no longer produces (their rows gone,
    rejected or filtered out): the delta run puts those records back, and references to them (later entities'
    rows, this entity's second pass) still resolve. Old ids this run maps again, and records it produces,
    are not kept."""
    k, x = "k", "x"
    mine = exp.and_(ledgers.of_spec(spec.name, x), exp.EQ(this=names.col("source", x), expression=names.col("source", k)),
                    exp.EQ(this=names.col("source_key", x), expression=names.col("source_key", k)))
    produced = (exp.select(names.col(names.ID)).from_(names.crosswalk_table(entity))
                .where(exp.and_(ledgers.of_spec(spec.name), names.col("status").isin(
                    exp.Literal.string(names.LOADED), exp.Literal.string(names.MERGED)))))
    rows = (exp.select(names.col("source", k), names.col("source_key", k), names.col(names.ID, k),
                       exp.Literal.string(names.KEPT), exp.false(), exp.Literal.string(spec.name))
            .from_(_kept_table(entity).as_(k, quoted=True))
            .where(exp.and_(exp.not_(exp.Exists(this=exp.select(exp.Literal.number(1)).from_(
                names.crosswalk_table(entity).as_(x, quoted=True)).where(mine))),
                exp.not_(names.col(names.ID, k).isin(query=produced)))))
    return (exp.insert(rows, names.crosswalk_table(entity), columns=[names.ident(n) for n, _ in CROSSWALK]),
            exp.Drop(tables=[_kept_table(entity)], kind="TABLE", exists=True))


_ARCHIVE_LEAD = (("source", "VARCHAR"), ("source_row", "BIGINT"), ("source_key", "VARCHAR"))


def _archived(entity: Entity) -> exp.Select:
    """The rows the entity's filter did not keep, with their values; whatever was wrong with them is
    kept alongside (an archived row is not validated away), and so are the old ids they referred
    to (a reference is resolved only for loaded rows)."""
    archive = exp.select(
        exp.alias_(origin.source_of(entity), "source", quoted=True),
        exp.alias_(origin.source_row(entity), "source_row", quoted=True),
        exp.alias_(origin.source_key(entity), "source_key", quoted=True),
        *(names.col(f.name) for f in entity.fields),
        exp.alias_(names.col(names.REASONS), "reasons", quoted=True),
        *([exp.alias_(exp.Struct(expressions=[
            exp.PropertyEQ(this=names.ident(r.name), expression=names.col(names.raw_reference(r.name)))
            for r in entity.references]), "old_references", quoted=True)] if entity.references else []),
    ).from_(names.rows_table(entity)).where(_status_is(names.ARCHIVED))
    archive.set("order", _by_row())
    return archive


def _archive_tail(entity: Entity) -> tuple[tuple[str, str | exp.DataType], ...]:
    """The archive's columns after the fields: the reasons, and the old ids of its references."""
    if not entity.references:
        return (("reasons", ledgers.REASON_TYPE),)
    old = exp.DataType(this=exp.DataType.Type.STRUCT, nested=True, expressions=[
        exp.ColumnDef(this=names.ident(r.name), kind=exp.DataType.build("VARCHAR")) for r in entity.references])
    return ("reasons", ledgers.REASON_TYPE), ("old_references", old)


def _own_rows(spec: Spec, entity: Entity, table: exp.Table, lead: tuple[tuple[str, str], ...],
              tail: tuple[tuple[str, str | exp.DataType], ...], rows: exp.Select) -> tuple[exp.Expression, ...]:
    """This spec's rows of an archive or duplicates table (shared by the specs loading the entity:
    ``ledgers.replace_own``): its columns are ``lead``, the fields, then ``tail``, named as DuckDB
    names a query's columns. A field column with another type stops the run, as in entity tables."""
    columns = (*lead, *((f.name, sql_type(f)) for f in entity.fields), *tail)
    unique = ledgers.unique_names(n for n, _ in columns)
    fields = unique[len(lead):len(lead) + len(entity.fields)]
    kinds = [t.copy() if isinstance(t, exp.DataType) else exp.DataType.build(t) for _, t in columns]
    checked = [(n, type_name(f)) for n, f in zip(fields, entity.fields)]
    return (*([_same_column_types(table, checked)] if checked else []),
            *ledgers.replace_own(table, tuple(zip(unique, kinds)), rows, spec.name))


def _record_emptied(spec: Spec, entity: Entity) -> exp.Expression:
    """The ledger of ``on_error: null``: one row per emptied value, whatever became of its row."""
    item = names.ident("_ferry_item")
    value = exp.Dot(this=exp.column(item.copy()), expression=names.ident("value"))
    lead = [names.col(c) for c in (names.SOURCE, names.SOURCE_ROW, names.SOURCE_KEY)] if entity.multi else []
    emptied = (exp.select(names.col(names.ROW), names.col(names.KEY), *lead, names.col(names.STATUS),
                          exp.alias_(exp.Explode(this=names.col(names.EMPTIED)), item.name, quoted=True))
               .from_(names.rows_table(entity))
               .where(exp.not_(exp.Is(this=names.col(names.EMPTIED), expression=exp.null()))))
    member = lambda name: exp.Dot(this=exp.column(item.copy()), expression=names.ident(name))  # noqa: E731
    select = exp.select(
        exp.Literal.string(entity.name), origin.source_of(entity), origin.source_row(entity),
        origin.source_key(entity), names.col(names.STATUS), member("field"), member("rule"), member("column"), value,
    ).from_(emptied.subquery(names.ident("e"), copy=False))
    select.set("order", exp.Order(expressions=[exp.Ordered(this=names.col(names.ROW)),
                                               exp.Ordered(this=member("field"))]))
    return ledgers.insert(names.emptied_table(), select, spec.name)


def _unresolved_select(spec: Spec, entity: Entity, ref: Reference, resolved: exp.Expression,
                       base: exp.Expression) -> exp.Select:
    """Rows that became records (loaded, or merged into another) whose ``ref`` resolved to nothing,
    with the cause (``sqlgen.references``)."""
    raw = names.col(names.raw_reference(ref.name), "r")
    outcome = f"o_{ref.name}"
    parent_source = origin.referenced_source(spec, entity, ref, "r")
    column = origin.per_source(entity, {s.name: s.reference_column(ref) for s in entity.sources}
                               if entity.multi else {entity.source: ref.column}, "r")
    select = exp.select(
        exp.Literal.string(entity.name), origin.source_of(entity, "r"), origin.source_row(entity, "r"),
        origin.source_key(entity, "r"), exp.Literal.string(ref.name), column, raw,
        exp.Literal.string(ref.entity), names.col(names.STATUS, "r"), references.cause(outcome),
        references.detail(spec, ref, outcome, parent_source),
    ).from_(base).where(exp.and_(
        exp.or_(_status_is(names.LOADED, "r"), _status_is(names.MERGED, "r")),
        exp.not_(exp.Is(this=raw.copy(), expression=exp.null())),
        exp.Is(this=resolved, expression=exp.null()),
    ))
    return references.join_outcomes(select, spec, ref, outcome, raw, parent_source)


def _record_unresolved(spec: Spec, entity: Entity, refs: list[Reference], through_crosswalk: bool,
                       rows: exp.Table | None = None) -> exp.Expression:
    """References left empty (``on_missing: null`` or deferred) are recorded with their cause, never silent:
    a merged row's too, though its record is its survivor's.

    Non-deferred references were resolved in the working table; deferred ones are
    looked up in the referenced entity's crosswalk, as the second pass did. ``rows``: another table of the
    working table's shape (a delta's carried rows, ``compiler.scope``).
    """
    selects = []
    for ref in refs:
        base = (rows if rows is not None else names.rows_table(entity)).copy().as_("r", quoted=True)
        if not through_crosswalk:
            selects.append(_unresolved_select(spec, entity, ref, names.col(ref.name, "r"), base))
        else:
            x = xw(ref)
            select = _unresolved_select(spec, entity, ref, names.col(names.ID, x), base)
            selects.append(references.join_crosswalk(select, spec, ref, x, names.col(names.raw_reference(ref.name), "r"),
                                                     origin.referenced_source(spec, entity, ref, "r")))
    union: exp.Expression = selects[0]
    for s in selects[1:]:
        union = exp.union(union, s, distinct=False)
    # In file order (source, row, reference): the working rows are not (their tables are written in parallel).
    ordered = exp.select(exp.Star()).from_(union.subquery(names.ident("u"), copy=False)).order_by(
        *(exp.Literal.number(n) for n in (2, 3, 5)))
    return ledgers.insert(names.unresolved_table(), ordered, spec.name)


def record_unresolved(spec: Spec, entity: Entity, rows: exp.Table) -> exp.Expression | None:
    """The unresolved-reference ledger rows of ``rows`` (loaded rows in the working table's shape, their
    raw old ids), each reference looked up in this run's crosswalk; None: no reference is ``on_missing: null``."""
    nullable = [r for r in entity.references if not r.deferred and r.on_missing == "null"]
    return _record_unresolved(spec, entity, nullable, True, rows) if nullable else None


def compile_link(spec: Spec, entity: Entity, deferred: tuple[str, ...]) -> tuple[exp.Expression, ...]:
    """Second pass: set deferred references now that every referenced entity is loaded."""
    refs = [r for r in entity.references if r.name in deferred]
    r = "r"
    resolved = exp.select(names.col(names.ID, r)).from_(names.rows_table(entity).as_(r, quoted=True))
    for ref in refs:
        x = xw(ref)
        resolved = references.join_crosswalk(resolved, spec, ref, x, names.col(names.raw_reference(ref.name), r),
                                             origin.referenced_source(spec, entity, ref, r)
                                             ).select(exp.alias_(names.col(names.ID, x), ref.name, quoted=True))
    writable = [_status_is(names.LOADED, "r")]
    m = entity.match
    if m is not None and not (m.mode == "update" and all(ref.name in m.update for ref in refs)):
        # A matched record keeps its references unless `match.update` lists them.
        writable.append(exp.not_(names.col(names.LINKED, r)))
    resolved = resolved.where(exp.and_(
        *writable,
        exp.or_(*(exp.not_(exp.Is(this=names.col(names.raw_reference(ref.name), r), expression=exp.null()))
                  for ref in refs)),
    ))
    target = names.entity_table(spec.target, entity)
    update = exp.Update(
        this=target,
        expressions=[exp.EQ(this=names.col(ref.name), expression=names.col(ref.name, "l")) for ref in refs],
        from_=exp.From(this=exp.Subquery(this=resolved, alias=exp.TableAlias(this=names.ident("l")))),
        where=exp.Where(this=exp.EQ(this=exp.column(names.ID, table=target.name, quoted=True),
                                    expression=names.col(names.ID, "l"))),
    )
    return (update, _record_unresolved(spec, entity, refs, through_crosswalk=True))
