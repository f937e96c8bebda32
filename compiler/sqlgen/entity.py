"""One entity's working table: staged rows mapped, checked, merged, matched and given new ids.

In:  the ``Spec`` and one ``Entity`` (its referenced entities are already loaded).
Out: the statements that build ``_ferry_rows_<entity>`` (``compile_rows``);
``sqlgen.load`` writes the target from it.

Every staged row ends in exactly one state:

* ``rejected``: with a list of every reason (missing or repeated old id,
  a value that does not cast, a rule, a reference that resolves to nothing);
* ``archived``: the entity's filter does not keep it;
* ``merged``: valid, and in a duplicate cluster whose survivor is another row
  (``sqlgen.dedup``), or matching the same existing record as an earlier row;
* ``loaded``: valid, and the survivor of its cluster (or alone).

A loaded row's new id is the UUIDv5 of its old id, or, when it matches a
record already in the target (``match``), that record's id (``_ferry_linked``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import sqlglot
from sqlglot import exp

from compiler.model import Entity, EntitySource, Field, Reference, Spec, Transform
from compiler.sqlgen import (blocks, decisions, dedup, existing, ids, linkmodel, names, origin, references, shared,
                             stable)
from compiler.sqlgen.conditions import (Condition, archived_condition, cast_conditions, check_conditions, is_null,
                                        not_null, reason, reason_list, rule_conditions, typed, unique_ctes, valid_row)
from compiler.sqlgen.casts import exact_form
from compiler.sqlgen.ledgers import REASON_TYPE
from compiler.sqlgen.transforms import TRANSFORMS, RowInput

UUID = exp.DataType.build("UUID")


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
    source: str | None = None  # the source column(s) the reason names; None: the field's
    detail: exp.Expression | None = None  # what the reason adds (phone's candidates); held in ``column``_detail


def _row_sql(text: str) -> exp.Expression:
    """A validated SQL expression over the staged row ("s"), as text."""
    tree = sqlglot.parse_one(text, read="duckdb")
    tree = tree.transform(lambda node: names.col(node.name, "s") if isinstance(node, exp.Column) else node)
    return exp.cast(exp.paren(tree, copy=False), exp.DataType.build("VARCHAR"))


def _arguments(transform: Transform) -> dict[str, object]:
    """A transform's arguments for its builder: a ``region_from`` (phone) becomes the
    expression over the staged row it names, with the source column(s) reasons show."""
    args = dict(transform.args)
    if "region_from" in args:
        ((kind, text),) = args["region_from"]
        row = names.col(text, "s") if kind == "column" else _row_sql(text)
        args["region_from"] = RowInput(row, "+".join(transform.reads))
    return args


def _source_value(field: Field) -> exp.Expression:
    """The field's text before transforms: a column, columns joined, or its ``sql`` over the staged row
    (none: a source of the entity that has no value for the field)."""
    if field.sql is not None:
        return names.mark_step(_row_sql(field.sql), -1, "sql")
    if not field.columns:
        return exp.cast(exp.null(), exp.DataType.build("VARCHAR"))
    parts = [names.col(c, "s") for c in field.columns]
    return parts[0] if len(parts) == 1 else exp.Nullif(
        this=exp.func("concat_ws", exp.Literal.string(field.join),
                      *(exp.Nullif(this=exp.Trim(this=p), expression=exp.Literal.string("")) for p in parts),
                      dialect="duckdb"),
        expression=exp.Literal.string(""))


def _mapped_value(field: Field, prefix: str = "") -> tuple[exp.Expression, tuple[_Failure, ...]]:
    """The field's mapped text, and the failures of its transforms (working columns named with
    ``prefix``: each source of an entity with several has its own)."""
    value = _source_value(field)
    failures = []
    for step, transform in enumerate(field.transforms):
        applied = TRANSFORMS[transform.name](value, _arguments(transform))
        for k, x in enumerate(applied.failures):
            failures.append(_Failure(x.rule, names.bad_value(prefix + field.name, step, k), x.invalid,
                                     (x.given if x.given is not None else value).copy(), x.column or field.column,
                                     x.detail))
        value = names.mark_step(applied.value, step, transform.name)
    return value, tuple(failures)


def _prefix(entity: Entity, index: int) -> str:
    return f"s{index}_" if entity.multi else ""


def _mapped_once(mapped: dict, field: Field, prefix: str) -> tuple[exp.Expression, tuple[_Failure, ...]]:
    """``_mapped_value`` built once per ``compile_rows`` (``mapped``, by field and prefix; phone's readings are
    the costliest trees): the mapping puts its trees in its select, ``_failures`` reads names and rules only."""
    key = (id(field), prefix)
    if key not in mapped:
        mapped[key] = (field, *_mapped_value(field, prefix))  # the field held: its id stays its own
    return mapped[key][1:]


def _failures(entity: Entity, mapped: dict) -> dict[str, tuple[_Failure, ...]]:
    """Per field, the failures of its transforms in every source's mapping."""
    out: dict[str, list[_Failure]] = {f.name: [] for f in entity.fields}
    for i, (_, fields) in enumerate(entity.mappings()):
        for f in fields:
            out[f.name] += _mapped_once(mapped, f, _prefix(entity, i))[1]
    return {name: tuple(x) for name, x in out.items()}


def _mapped(spec: Spec, entity: Entity, mapped: dict) -> exp.Expression:
    """Every staged row, with transformed text values, the inputs transforms rejected, and raw references;
    for an entity with several sources, each source's rows mapped its own way, unioned by name (a
    failure column of one source is NULL in the others' rows)."""
    if not entity.multi:
        return _mapped_source(entity, entity.fields, spec.source(entity.source).id_column, entity.source, mapped)
    union: exp.Expression | None = None
    for i, source in enumerate(entity.sources):
        select = _mapped_source(entity, source.fields, spec.source(source.name).id_column, source.name, mapped,
                                _prefix(entity, i), source)
        row = names.col(names.ROW, "s")
        select.expressions[0] = exp.alias_(exp.Add(this=exp.Literal.number(i * origin.ROW_STRIDE), expression=row),
                                           names.ROW, quoted=True)
        key = _old_id(names.col(spec.source(source.name).id_column, "s"))
        select.expressions[1] = exp.alias_(exp.DPipe(this=exp.Literal.string(f"{source.name}/"), expression=key),
                                           names.KEY, quoted=True)
        select.expressions[2:2] = [exp.alias_(exp.Literal.string(source.name), names.SOURCE, quoted=True),
                                   exp.alias_(row.copy(), names.SOURCE_ROW, quoted=True),
                                   exp.alias_(key.copy(), names.SOURCE_KEY, quoted=True)]
        union = select if union is None else exp.union(union, select, distinct=False, by_name=True)
    assert union is not None
    return union


def _mapped_source(entity: Entity, fields: tuple[Field, ...], id_column: str, source: str, mapped: dict,
                   prefix: str = "", own: EntitySource | None = None) -> exp.Select:
    values, bad, groups = [], [], []
    for f in fields:
        value, failures = _mapped_once(mapped, f, prefix)
        values.append(exp.alias_(value, f.name, quoted=True, copy=False))  # built for this select
        first = len(bad)
        bad.extend(exp.alias_(exp.Case().when(x.invalid, x.given, copy=False), x.column, quoted=True, copy=False)
                   for x in failures)
        # Read only where its failure holds (a reason is built under its condition): not gated again.
        bad.extend(exp.alias_(x.detail.copy(), f"{x.column}_detail", quoted=True, copy=False)
                   for x in failures if x.detail is not None)
        groups.append((len(values) + 1, range(first, len(bad))))
    def reference(ref: Reference) -> exp.Expression:
        column = own.reference_column(ref) if own is not None else ref.column
        return _old_id(names.col(column, "s")) if column else exp.cast(exp.null(), exp.DataType.build("VARCHAR"))

    # Each value built once: a transform reads its input several times, a failure its value (sqlgen.shared).
    at = 2 + len(values)  # the failure columns follow the row, the old id and the values
    return shared.share(exp.select(
        exp.alias_(names.col(names.ROW, "s"), names.ROW, quoted=True),
        exp.alias_(_old_id(names.col(id_column, "s")), names.KEY, quoted=True),
        *values,
        *bad,
        *(exp.alias_(reference(r), names.raw_reference(r.name), quoted=True) for r in entity.references),
    ).from_(names.stage_table(source).as_("s", quoted=True), copy=False),
        [[v, *(at + b for b in fs)] for v, fs in groups])


def _repeated_ids() -> exp.Select:
    """Old ids that occur more than once, with the first row that carries each (usually none)."""
    return (exp.select(names.col(names.KEY), exp.alias_(exp.Min(this=names.col(names.ROW)), "first_row", quoted=True))
            .from_(names.table("mapped")).where(not_null(names.col(names.KEY)))
            .group_by(names.col(names.KEY))
            .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1))))


def xw(ref: Reference) -> str:
    return f"x_{ref.name}"


def resolve_reference(spec: Spec, entity: Entity, ref: Reference, select: exp.Select,
                      m: str) -> tuple[exp.Select, Condition | None]:
    """``select`` (rows of alias ``m`` with the raw old id of ``ref``) joined with the referenced entity's
    crosswalk (alias ``xw(ref)``), and, for ``on_missing: reject``, with its parent outcomes and the check that
    rejects a row whose old id resolves to nothing (``compiler.scope`` re-derives carried rows' reasons with it)."""
    raw = names.col(names.raw_reference(ref.name), m)
    x = xw(ref)
    parent_source = origin.referenced_source(spec, entity, ref, m)
    select = references.join_crosswalk(select, spec, ref, x, raw, parent_source)
    if ref.on_missing != "reject":
        return select, None
    outcome = f"o_{ref.name}"
    select = references.join_outcomes(select, spec, ref, outcome, raw, parent_source)
    column = origin.per_source(entity, {s.name: s.reference_column(ref) for s in entity.sources}
                               if entity.multi else {entity.source: ref.column}, m)
    return select, (exp.and_(not_null(raw.copy()), is_null(names.col(names.ID, x))),
                    reason("unresolved_reference", ref.name, column, raw.copy(),
                           references.detail(spec, ref, outcome, parent_source)))


def _field_conditions(entity: Entity, field: Field, failures: tuple[_Failure, ...], m: str) -> list[Condition]:
    """Everything that can fail one field's value: its transforms, its cast, its rules (each naming the
    source column(s) the value came from: with several sources, the row's source's)."""
    conditions = [(not_null(names.col(x.column, m)), reason(
        x.rule, field.name, x.source, names.col(x.column, m),
        names.col(f"{x.column}_detail", m) if x.detail is not None else None)) for x in failures]
    column = origin.per_source(entity, {s: next(f.column for f in fs if f.name == field.name) or None
                                        for s, fs in entity.mappings()}, m)
    conditions += cast_conditions(field, m, column, _exact(entity, field))
    return conditions + rule_conditions(field, m, tuple(x.column for x in failures), column)


def _exact(entity: Entity, field: Field) -> bool:
    """Every source's mapping of ``field`` ends in its type's plain form (``casts.exact_form``)."""
    return all(exact_form(f) for _, fs in entity.mappings() for f in fs if f.name == field.name)


def _checked(spec: Spec, entity: Entity, mapped: dict) -> exp.Select:
    """Casts, resolved references, the list of reasons (NULL when the row is valid), and the list of
    values emptied by ``on_error: null`` (NULL when none).

    Each check is a (condition, reason) pair. A field with ``on_error: null`` keeps its pairs
    apart: when one holds the field is NULL and the reason goes to the emptied list instead of
    rejecting the row; entity checks and the filter see the emptied value.
    """
    m = "m"
    id_column = origin.per_source(entity, {s: spec.source(s).id_column for s in entity.source_names}, m)
    checks: list[Condition] = [
        (is_null(names.col(names.KEY, m)), reason("missing_source_id", None, id_column, None)),
        (exp.GT(this=names.col(names.ROW, m), expression=names.col("first_row", "d")),
         reason("duplicate_source_id", None, id_column.copy(), origin.source_key(entity, m))),
    ]
    emptied: list[Condition] = []
    outputs: list[exp.Expression] = [names.col(names.ROW, m), names.col(names.KEY, m)]
    if entity.multi:
        outputs += [names.col(c, m) for c in (names.SOURCE, names.SOURCE_ROW, names.SOURCE_KEY)]
    failing = _failures(entity, mapped)
    values: dict[str, exp.Expression] = {}
    for f in entity.fields:
        conditions = _field_conditions(entity, f, failing[f.name], m)
        value = typed(f, m, _exact(entity, f))
        if f.on_error == "null" and conditions:
            emptied += conditions
            value = exp.Case().when(exp.or_(*(c.copy() for c, _ in conditions)), exp.null()).else_(value)
        else:
            checks += conditions
        values[f.name] = value
        outputs.append(exp.alias_(value.copy(), f.name, quoted=True) if value != names.col(f.name, m) else value)
    checks += check_conditions(entity, m, lambda field, _: values[field.name].copy())
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
        select, check = resolve_reference(spec, entity, ref, select, m)
        select = select.select(exp.alias_(names.col(names.ID, xw(ref)), ref.name, quoted=True))
        if check is not None:
            checks.append(check)
    archived = archived_condition(entity, m, lambda field, _: values[field.name].copy())
    return select.select(exp.alias_(reason_list(checks), names.REASONS, quoted=True),
                         exp.alias_(reason_list(emptied) if emptied else exp.cast(exp.null(), REASON_TYPE),
                                    names.EMPTIED, quoted=True),
                         exp.alias_(archived, names.ARCHIVED_FLAG, quoted=True))


def _alone() -> exp.Select:
    """Without dedup rules each valid row is its own survivor."""
    survivor = exp.Case().when(valid_row("c"), names.col(names.KEY, "c"))
    return exp.select(exp.Star(), exp.alias_(survivor, names.SURVIVOR, quoted=True)).from_(
        names.table("checked", alias="c"))


def _temporary(table: exp.Table, query: exp.Expression) -> exp.Create:
    return exp.Create(this=table, kind="TABLE", replace=True,
                      properties=exp.Properties(expressions=[exp.TemporaryProperty()]), expression=query)


def _final(spec: Spec, entity: Entity, kept: bool = True) -> exp.Select:
    """Status and new id of every row: from the survivor's old id, or the existing record it links to
    (``kept``: or the id an earlier run gave its cluster, ``sqlgen.stable``)."""
    source = spec.source(entity.source)
    survivor = names.col(names.SURVIVOR, "m")
    linked = names.col("existing_id", "l")
    survives = exp.EQ(this=survivor.copy(), expression=names.col(names.KEY, "m"))
    if entity.match is not None:  # a later row matching the same existing record merges into the first
        survives = exp.and_(survives, exp.func("coalesce", exp.EQ(this=names.col("nth", "l"),
                                                                   expression=exp.Literal.number(1)), exp.true()))
    status = (exp.Case()
              .when(names.col(names.ARCHIVED_FLAG, "m"), exp.Literal.string(names.ARCHIVED))
              .when(is_null(survivor), exp.Literal.string(names.REJECTED))
              .when(survives, exp.Literal.string(names.LOADED))
              .else_(exp.Literal.string(names.MERGED)))
    new_id = ids.record_id(entity, source.name, survivor.copy())
    select = exp.select(exp.Column(this=exp.Star(), table=names.ident("m")),
                        exp.alias_(status, names.STATUS, quoted=True))
    if kept and entity.dedup is not None:  # a cluster holding rows of an earlier record keeps its id
        new_id = exp.func("coalesce", names.col(names.ID, "s"), new_id)
    if entity.match is None:
        return _kept(entity, kept, select.select(exp.alias_(new_id, names.ID, quoted=True), exp.alias_(
            exp.false(), names.LINKED, quoted=True)).from_(names.table("merged", alias="m")))
    return _kept(entity, kept, select.select(exp.alias_(exp.func("coalesce", linked, new_id), names.ID, quoted=True),
                          exp.alias_(exp.and_(not_null(linked.copy()), exp.EQ(this=names.col("nth", "l"),
                                                                              expression=exp.Literal.number(1))),
                                     names.LINKED, quoted=True))
            .from_(names.table("merged", alias="m"))
            .join(names.table("links", alias="l"), join_type="LEFT",
                  on=exp.EQ(this=names.col("survivor_key", "l"), expression=survivor.copy())))


def _kept(entity: Entity, kept: bool, select: exp.Select) -> exp.Select:
    if entity.dedup is None or not kept:
        return select
    return select.join(stable.kept_table(entity).as_("s", quoted=True), join_type="LEFT", on=exp.EQ(
        this=names.col(names.SURVIVOR, "s"), expression=names.col(names.SURVIVOR, "m")))


def compile_rows(spec: Spec, entity: Entity) -> tuple[exp.Expression, ...]:
    """The working table: every staged row with its values, status, reasons and new id.

    With dedup rules the checked rows are kept in a table first, since finding
    pairs, clusters and surviving values reads them several times.
    """
    mapped: dict = {}
    ctes = [("mapped", _mapped(spec, entity, mapped), True), ("repeated_ids", _repeated_ids(), False)]
    ctes += [(cte, query, False) for cte, query, _, _ in unique_ctes(entity)]
    ctes.append(("checked", _checked(spec, entity, mapped), False))
    tail: list[tuple[str, exp.Expression, bool]] = [
        ("merged", _alone() if entity.dedup is None else dedup.merged(entity), entity.match is not None)]
    if entity.match is not None:
        tail += [("existing", existing.existing(spec, entity), False), ("links", existing.links(entity), False)]
    final = _final(spec, entity, kept=not dedup.in_place(entity))
    if entity.dedup is None:
        return _joins_as_written(_temporary(names.rows_table(entity), _with(final, ctes + tail)))
    if dedup.in_place(entity):
        # Each row as if alone, then the survivors of clusters and the ids earlier runs gave set in place
        # (``dedup.in_place``): the wide rows are written once; the checked rows the rules read are a view.
        alone = _with(final, ctes + [("merged", _alone(), False)])
        return (*_joins_as_written(_temporary(names.rows_table(entity), alone)), dedup.checked_view(entity),
                *_dedup_steps(spec, entity), dedup.compile_survivors(entity, ids.record_id(
                    entity, spec.source(entity.source).name, names.col(names.SURVIVOR, "k"))),
                stable.compile_kept_in_place(entity))
    checked = _with(exp.select(exp.Star()).from_(names.table("checked")), ctes)
    return (
        *_joins_as_written(_temporary(names.checked_table(entity), checked)),
        *_dedup_steps(spec, entity),
        _temporary(names.rows_table(entity), _with(final, tail)),
    )


def _dedup_steps(spec: Spec, entity: Entity) -> tuple[exp.Expression, ...]:
    """From the checked rows to clusters: decisions, the model, blocks, pairs, statistics, clusters."""
    assert entity.dedup is not None
    return (
        *decisions.compile_decisions(entity),
        *(linkmodel.compile_model(spec.name, entity) if entity.dedup.model else ()),
        *((blocks.compile_blocks(entity),) if entity.dedup.fuzzy else ()),
        *dedup.compile_pairs(entity),
        dedup.compile_stats(spec.name, entity),
        dedup.compile_clusters(entity),
        stable.compile_kept(spec, entity),
    )


def _disabled_optimizers(value: str) -> exp.Set:
    return exp.Set(expressions=[exp.SetItem(this=exp.EQ(this=exp.to_identifier("disabled_optimizers"),
                                                         expression=exp.Literal.string(value)))])


def _joins_as_written(statement: exp.Expression) -> tuple[exp.Expression, ...]:
    """``statement`` with DuckDB's build/probe side swap turned off: every join of the staged rows
    (``mapped``, a materialized CTE) builds its hash table on the lookup written on its right
    (repeated ids, crosswalks, reference outcomes). DuckDB estimates a materialized CTE at a few
    dozen rows whatever its size, so it swapped these LEFT joins into RIGHT joins built on the
    staged rows with all their values: a third of the statement's time at 1M rows."""
    return (_disabled_optimizers("build_side_probe_side"), statement, _disabled_optimizers(""))


def _with(select: exp.Select, ctes: list[tuple[str, exp.Expression, bool]]) -> exp.Select:
    for name, query, used_twice in ctes:  # taken as built: each is built for one statement (compile_rows)
        # A CTE read twice is materialized once, so the CSV behind a staging view is parsed once.
        select = select.with_(names.ident(name), as_=query, materialized=used_twice or None, copy=False)
    return select


