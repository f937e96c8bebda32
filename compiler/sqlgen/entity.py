"""Loading one entity: staged rows -> working table -> crosswalk, entity table, rejects.

In:  the ``Spec`` and one ``Entity`` (its referenced entities are already loaded).
Out: the statements of its load step (``compile_load``) and of its second pass
(``compile_link``).

Every staged row ends in exactly one state, held in the working table
``_ferry_rows_<entity>``:

* ``rejected``: with a list of every reason (missing or repeated old id,
  a value that does not cast, a reference that resolves to nothing);
* ``merged``: valid, and shares its natural key with an earlier valid row;
* ``loaded``: valid, and the first row (in file order) with its key.

The crosswalk maps every old id of a loaded or merged row to the new id of the
record it became, so references from other entities follow merges.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from compiler.model import Entity, Field, Reference, Spec
from compiler.sqlgen import dedup, ids, names
from compiler.sqlgen.conditions import (archived_condition, check_conditions, is_null, not_null, reason,
                                    rule_conditions, typed, unique_ctes, valid_row)
from compiler.sqlgen.transforms import TRANSFORMS

UUID = exp.DataType.build("UUID")
REASON_TYPE = exp.DataType.build('STRUCT(rule VARCHAR, field VARCHAR, "column" VARCHAR, value VARCHAR)[]',
                                 dialect="duckdb")


def _old_id(value: exp.Expression) -> exp.Expression:
    """Old ids are compared trimmed; an empty id is no id."""
    return exp.Nullif(this=exp.Trim(this=value), expression=exp.Literal.string(""))


@dataclass(frozen=True, slots=True)
class _Failure:
    """A transform step that can reject: its rule, and the working column with the bad input."""

    rule: str
    column: str
    invalid: exp.Expression
    given: exp.Expression


def _source_value(field: Field) -> exp.Expression:
    """The field's text before transforms: a column, columns joined, or its ``sql`` over the staged row."""
    if field.sql is not None:
        tree = sqlglot.parse_one(field.sql, read="duckdb")
        tree = tree.transform(lambda node: names.col(node.name, "s") if isinstance(node, exp.Column) else node)
        return exp.cast(exp.paren(tree, copy=False), exp.DataType.build("VARCHAR"))
    parts = [names.col(c, "s") for c in field.columns]
    return parts[0] if len(parts) == 1 else exp.Nullif(
        this=exp.func("concat_ws", exp.Literal.string(field.join),
                      *(exp.Nullif(this=exp.Trim(this=p), expression=exp.Literal.string("")) for p in parts),
                      dialect="duckdb"),
        expression=exp.Literal.string(""))


def _mapped_value(field: Field) -> tuple[exp.Expression, tuple[_Failure, ...]]:
    value = _source_value(field)
    failures = []
    for step, transform in enumerate(field.transforms):
        applied = TRANSFORMS[transform.name](value, dict(transform.args))
        if applied.invalid is not None:
            failures.append(_Failure(applied.rule, names.bad_value(field.name, step), applied.invalid, value.copy()))
        value = applied.value
    return value, tuple(failures)


def _failures(entity: Entity) -> dict[str, tuple[_Failure, ...]]:
    return {f.name: _mapped_value(f)[1] for f in entity.fields}


def _mapped(entity: Entity, id_column: str) -> exp.Select:
    """Every staged row, with transformed text values, the inputs transforms rejected, and raw references."""
    values, bad = [], []
    for f in entity.fields:
        value, failures = _mapped_value(f)
        values.append(exp.alias_(value, f.name, quoted=True))
        bad.extend(exp.alias_(exp.Case().when(x.invalid, x.given), x.column, quoted=True) for x in failures)
    return exp.select(
        exp.alias_(names.col(names.ROW, "s"), names.ROW, quoted=True),
        exp.alias_(_old_id(names.col(id_column, "s")), names.KEY, quoted=True),
        *values,
        *bad,
        *(exp.alias_(_old_id(names.col(r.column, "s")), names.raw_reference(r.name), quoted=True)
          for r in entity.references),
    ).from_(names.stage_table(entity.source).as_("s", quoted=True))


def _repeated_ids() -> exp.Select:
    """Old ids that occur more than once, with the first row that carries each (usually none)."""
    return (exp.select(names.col(names.KEY), exp.alias_(exp.Min(this=names.col(names.ROW)), "first_row", quoted=True))
            .from_(names.table("mapped")).where(not_null(names.col(names.KEY)))
            .group_by(names.col(names.KEY))
            .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1))))


def _xw(ref: Reference) -> str:
    return f"x_{ref.name}"


def _checked(entity: Entity, id_column: str) -> exp.Select:
    """Casts, resolved references, and the list of reasons (NULL when the row is valid).

    Each check is a (condition, reason) pair; the reason list is built only for rows
    where some condition holds, so valid rows (nearly all of them) cost one boolean.
    """
    m = "m"
    checks: list[tuple[exp.Expression, exp.Struct]] = [
        (is_null(names.col(names.KEY, m)), reason("missing_source_id", None, id_column, None)),
        (exp.GT(this=names.col(names.ROW, m), expression=names.col("first_row", "d")),
         reason("duplicate_source_id", None, id_column, names.col(names.KEY, m))),
    ]
    outputs: list[exp.Expression] = [names.col(names.ROW, m), names.col(names.KEY, m)]
    for field_name, failures in _failures(entity).items():
        field = entity.field(field_name)
        for x in failures:
            checks.append((not_null(names.col(x.column, m)), reason(x.rule, field.name, field.column,
                                                                     names.col(x.column, m))))
    for f in entity.fields:
        value, cast = names.col(f.name, m), typed(f, m)
        outputs.append(exp.alias_(cast, f.name, quoted=True) if f.type != "string" else value)
        if f.type != "string":
            checks.append((exp.and_(not_null(value.copy()), is_null(cast.copy())),
                           reason(f"invalid_{f.type}", f.name, f.column, value.copy())))
    rejected_inputs = {name: tuple(x.column for x in failures) for name, failures in _failures(entity).items()}
    checks += rule_conditions(entity, m, rejected_inputs) + check_conditions(entity, m)
    select = (exp.select(*outputs).from_(names.table("mapped", alias=m))
              .join(names.table("repeated_ids", alias="d"), join_type="LEFT",
                    on=exp.EQ(this=names.col(names.KEY, "d"), expression=names.col(names.KEY, m))))
    for cte, _, alias, on in unique_ctes(entity):
        select = select.join(names.table(cte, alias=alias), join_type="LEFT", on=on)
    for ref in entity.references:
        raw = names.col(names.raw_reference(ref.name), m)
        select = select.select(raw)
        if ref.deferred:
            continue
        x = _xw(ref)
        select = select.join(
            names.crosswalk_table(ref.entity).as_(x, quoted=True),
            on=exp.EQ(this=names.col("source_key", x), expression=raw.copy()),
            join_type="LEFT",
        )
        select = select.select(exp.alias_(names.col(names.ID, x), ref.name, quoted=True))
        if ref.on_missing == "reject":
            checks.append((exp.and_(not_null(raw.copy()), is_null(names.col(names.ID, x))),
                           reason("unresolved_reference", ref.name, ref.column, raw.copy())))
    item = names.ident("_ferry_reason")
    keep = exp.Lambda(this=not_null(item), expressions=[item.copy()])
    every = exp.ArrayFilter(this=exp.Array(expressions=[exp.Case().when(c.copy(), r) for c, r in checks]),
                            expression=keep)
    reasons = exp.Case().when(exp.or_(*(c for c, _ in checks)), every)
    archived = exp.alias_(archived_condition(entity, m), names.ARCHIVED_FLAG, quoted=True)
    return select.select(exp.alias_(reasons, names.REASONS, quoted=True), archived)


def _alone() -> exp.Select:
    """Without dedup rules each valid row is its own survivor."""
    survivor = exp.Case().when(valid_row("c"), names.col(names.KEY, "c"))
    return exp.select(exp.Star(), exp.alias_(survivor, names.SURVIVOR, quoted=True)).from_(
        names.table("checked", alias="c"))


def _temporary(table: exp.Table, query: exp.Expression) -> exp.Create:
    return exp.Create(this=table, kind="TABLE", replace=True,
                      properties=exp.Properties(expressions=[exp.TemporaryProperty()]), expression=query)


def compile_rows(spec: Spec, entity: Entity) -> tuple[exp.Expression, ...]:
    """The working table: every staged row with its values, status, reasons and new id.

    With dedup rules the checked rows are kept in a table first, since finding
    pairs, clusters and surviving values reads them several times.
    """
    source = spec.source(entity.source)
    survivor = names.col(names.SURVIVOR)
    status = (exp.Case()
              .when(names.col(names.ARCHIVED_FLAG), exp.Literal.string(names.ARCHIVED))
              .when(is_null(survivor), exp.Literal.string(names.REJECTED))
              .when(exp.EQ(this=survivor.copy(), expression=names.col(names.KEY)), exp.Literal.string(names.LOADED))
              .else_(exp.Literal.string(names.MERGED)))
    new_id = ids.uuid5(ids.name_for(entity.name, source.name, survivor.copy()))
    final = exp.select(exp.Star(), exp.alias_(status, names.STATUS, quoted=True),
                       exp.alias_(new_id, names.ID, quoted=True)).from_(names.table("merged"))
    ctes = [("mapped", _mapped(entity, source.id_column), True), ("repeated_ids", _repeated_ids(), False)]
    ctes += [(cte, query, False) for cte, query, _, _ in unique_ctes(entity)]
    ctes.append(("checked", _checked(entity, source.id_column), False))
    if entity.dedup is None:
        ctes.append(("merged", _alone(), False))
        return (_temporary(names.rows_table(entity), _with(final, ctes)),)
    checked = _with(exp.select(exp.Star()).from_(names.table("checked")), ctes)
    rows = final.with_(names.ident("merged"), as_=dedup.merged(entity))
    return (
        _temporary(names.checked_table(entity), checked),
        dedup.compile_pairs(entity),
        dedup.compile_stats(entity),
        dedup.compile_clusters(entity),
        _temporary(names.rows_table(entity), rows),
    )


def _with(select: exp.Select, ctes: list[tuple[str, exp.Expression, bool]]) -> exp.Select:
    for name, query, used_twice in ctes:
        # A CTE read twice is materialized once, so the CSV behind a staging view is parsed once.
        select = select.with_(names.ident(name), as_=query, materialized=used_twice or None)
    return select


def _status_is(status: str, table: str | None = None) -> exp.Expression:
    return exp.EQ(this=names.col(names.STATUS, table), expression=exp.Literal.string(status))


def _by_row() -> exp.Order:
    return exp.Order(expressions=[exp.Ordered(this=names.col(names.ROW))])


def _create_as(table: exp.Table, select: exp.Select) -> exp.Create:
    return exp.Create(this=table, kind="TABLE", replace=True, expression=select)


def compile_load(spec: Spec, entity: Entity) -> tuple[exp.Expression, ...]:
    source = spec.source(entity.source)
    rows = names.rows_table(entity)
    crosswalk = exp.select(
        exp.alias_(exp.Literal.string(source.name), "source", quoted=True),
        exp.alias_(names.col(names.KEY), "source_key", quoted=True),
        names.col(names.ID),
        exp.alias_(names.col(names.STATUS), "status", quoted=True),
    ).from_(rows.copy()).where(exp.or_(_status_is(names.LOADED), _status_is(names.MERGED)))
    crosswalk.set("order", _by_row())
    columns = [names.col(names.ID), *(names.col(f.name) for f in entity.fields)]
    for ref in entity.references:
        columns.append(exp.alias_(exp.cast(exp.null(), UUID), ref.name, quoted=True) if ref.deferred
                       else names.col(ref.name))
    records = exp.select(*columns).from_(rows.copy()).where(_status_is(names.LOADED))
    records.set("order", _by_row())
    rejects = exp.select(
        exp.Literal.string(entity.name), exp.Literal.string(source.name), names.col(names.ROW),
        names.col(names.KEY), names.col(names.REASONS),
    ).from_(rows.copy()).where(_status_is(names.REJECTED))
    rejects.set("order", _by_row())
    statements: list[exp.Expression] = [
        *compile_rows(spec, entity),
        _create_as(names.crosswalk_table(entity), crosswalk),
        _create_as(names.entity_table(spec.target, entity), records),
        exp.insert(rejects, names.rejects_table()),
    ]
    if entity.filter is not None:
        archive = exp.select(
            exp.alias_(exp.Literal.string(source.name), "source", quoted=True),
            exp.alias_(names.col(names.ROW), "source_row", quoted=True),
            exp.alias_(names.col(names.KEY), "source_key", quoted=True),
            *(names.col(f.name) for f in entity.fields),
            # An archived row is not validated away: whatever was wrong with it is kept alongside.
            exp.alias_(names.col(names.REASONS), "reasons", quoted=True),
        ).from_(rows.copy()).where(_status_is(names.ARCHIVED))
        archive.set("order", _by_row())
        statements.append(_create_as(names.archive_table(entity), archive))
    if entity.dedup is not None:
        statements.append(_create_as(names.duplicates_table(entity), dedup.duplicates(entity)))
    nullable = [r for r in entity.references if not r.deferred and r.on_missing == "null"]
    if nullable:
        statements.append(_record_unresolved(entity, nullable, through_crosswalk=False))
    return tuple(statements)


def _unresolved_select(entity: Entity, ref: Reference, resolved: exp.Expression, base: exp.Expression) -> exp.Select:
    raw = names.col(names.raw_reference(ref.name), "r")
    return exp.select(
        exp.Literal.string(entity.name), exp.Literal.string(entity.source), names.col(names.ROW, "r"),
        names.col(names.KEY, "r"), exp.Literal.string(ref.name), exp.Literal.string(ref.column), raw,
        exp.Literal.string(ref.entity),
    ).from_(base).where(exp.and_(
        _status_is(names.LOADED, "r"),
        exp.not_(exp.Is(this=raw.copy(), expression=exp.null())),
        exp.Is(this=resolved, expression=exp.null()),
    ))


def _record_unresolved(entity: Entity, refs: list[Reference], through_crosswalk: bool) -> exp.Expression:
    """References left empty (``on_missing: null`` or deferred) are recorded, never silent.

    Non-deferred references were resolved in the working table; deferred ones are
    looked up in the referenced entity's crosswalk, as the second pass did.
    """
    selects = []
    for ref in refs:
        base = names.rows_table(entity).as_("r", quoted=True)
        if not through_crosswalk:
            selects.append(_unresolved_select(entity, ref, names.col(ref.name, "r"), base))
        else:
            x = _xw(ref)
            select = _unresolved_select(entity, ref, names.col(names.ID, x), base)
            select = select.join(
                names.crosswalk_table(ref.entity).as_(x, quoted=True),
                on=exp.EQ(this=names.col("source_key", x), expression=names.col(names.raw_reference(ref.name), "r")),
                join_type="LEFT",
            )
            selects.append(select)
    union: exp.Expression = selects[0]
    for s in selects[1:]:
        union = exp.union(union, s, distinct=False)
    return exp.insert(union, names.unresolved_table())


def compile_link(spec: Spec, entity: Entity, references: tuple[str, ...]) -> tuple[exp.Expression, ...]:
    """Second pass: set deferred references now that every referenced entity is loaded."""
    refs = [r for r in entity.references if r.name in references]
    r = "r"
    resolved = exp.select(names.col(names.ID, r)).from_(names.rows_table(entity).as_(r, quoted=True))
    for ref in refs:
        x = _xw(ref)
        resolved = resolved.join(
            names.crosswalk_table(ref.entity).as_(x, quoted=True),
            on=exp.EQ(this=names.col("source_key", x), expression=names.col(names.raw_reference(ref.name), r)),
            join_type="LEFT",
        ).select(exp.alias_(names.col(names.ID, x), ref.name, quoted=True))
    resolved = resolved.where(exp.and_(
        _status_is(names.LOADED, "r"),
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
    return (update, _record_unresolved(entity, refs, through_crosswalk=True))
