"""Reject conditions: each is a (condition, reason) pair evaluated per row in the entity's SQL.

In:  an ``Entity`` and, per field, its text and typed value expressions.
Out: the pairs for validation rules and entity checks, plus the small aggregate
CTEs that ``unique`` needs. A row may fail several; the entity SQL keeps every
reason. Spec values enter as literals; a check expression (the documented SQL
escape hatch, validated by ``validate.checks.rules``) is parsed by sqlglot and
its column references are replaced by the typed field values.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Callable, Mapping

import sqlglot
from sqlglot import exp

from compiler.model import Entity, Field, Rule
from compiler.sqlgen import names
from compiler.sqlgen.casts import cast_failures, typed_value
from compiler.sqlgen.types import sql_type

TEXT = exp.DataType.build("VARCHAR")

Condition = tuple[exp.Expression, exp.Struct]

#: How a check or filter reads a field: its typed value (``typed``), or what the entity SQL
#: made of it (emptied by ``on_error: null``).
FieldValue = Callable[["Field", str | None], exp.Expression]


def is_null(value: exp.Expression) -> exp.Expression:
    return exp.Is(this=value, expression=exp.null())


def not_null(value: exp.Expression) -> exp.Expression:
    return exp.not_(is_null(value))


def reason_list(conditions: list[Condition]) -> exp.Expression:
    """The reasons whose condition holds, as a list; NULL when none does (so valid rows cost one boolean)."""
    item = names.ident("_ferry_reason")
    keep = exp.Lambda(this=not_null(item), expressions=[item.copy()])
    every = exp.ArrayFilter(this=exp.Array(expressions=[exp.Case().when(c.copy(), r) for c, r in conditions]),
                            expression=keep)
    return exp.Case().when(exp.or_(*(c for c, _ in conditions)), every)


def valid_row(table: str | None = None) -> exp.Expression:
    """Neither rejected nor archived: the row takes part in merging and loading."""
    return exp.and_(is_null(names.col(names.REASONS, table)), exp.not_(names.col(names.ARCHIVED_FLAG, table)))


def _text(value: str | exp.Expression | None) -> exp.Expression:
    if isinstance(value, exp.Expression):
        return value.copy()
    return exp.Literal.string(value) if value is not None else exp.cast(exp.null(), TEXT)


def reason(rule: str, field: str | None, column: str | exp.Expression | None, value: exp.Expression | None,
           detail: exp.Expression | None = None) -> exp.Struct:
    """One reason (``REASON_TYPE`` in ``sqlgen.ledgers``): the rule, the field and source column, the
    offending value, and, where the rule alone does not say why, a detail (a reference's cause)."""
    return exp.Struct(expressions=[
        exp.PropertyEQ(this=names.ident("rule"), expression=exp.Literal.string(rule)),
        exp.PropertyEQ(this=names.ident("field"), expression=_text(field)),
        exp.PropertyEQ(this=names.ident("column"), expression=_text(column)),
        exp.PropertyEQ(this=names.ident("value"), expression=value if value is not None else _text(None)),
        exp.PropertyEQ(this=names.ident("detail"), expression=detail if detail is not None else _text(None)),
    ])


#: A list of reasons as one line of text: "rule field=value (detail); ...". A fixed template over
#: the struct's own member names; ``reasons_text`` puts the list expression in place of ``r.reasons``.
_REASONS_TEXT = sqlglot.parse_one(
    "array_to_string(list_transform(r.reasons, _ferry_reason -> _ferry_reason.rule "
    "|| coalesce(' ' || _ferry_reason.field, '') || coalesce('=' || _ferry_reason.value, '') "
    "|| coalesce(' (' || _ferry_reason.detail || ')', '')), '; ')", read="duckdb")


def reasons_text(reasons: exp.Expression) -> exp.Expression:
    return _REASONS_TEXT.copy().transform(
        lambda n: reasons.copy() if isinstance(n, exp.Column) and n.name == "reasons" else n)


def typed(field: Field, table: str | None, exact: bool = False) -> exp.Expression:
    """The field's value after its cast, read from the ``mapped`` CTE (aliased ``table``); ``exact``: its
    text is the type's plain form in every source's mapping (``casts.exact_form``)."""
    value = typed_value(field, names.col(field.name, table), exact)
    return value if field.type == "string" else names.mark_step(value, names.CAST_STEP, f"as {field.type}")


def cast_conditions(field: Field, m: str, column: exp.Expression | None = None,
                    exact: bool = False) -> list[Condition]:
    """A value that has text but no typed value, or would change in the cast: each with its rule
    (``column``: the source column(s) the reason names, when not the field's own; ``exact``: as ``typed``)."""
    text = names.col(field.name, m)
    named = column if column is not None else field.column
    return [(c, reason(rule, field.name, named, text.copy())) for c, rule in cast_failures(field, text, exact)]


def _bound(field: Field, value: object) -> exp.Expression:
    """A number bound is an exact literal, not cast to the field's type: cast, 1.5 would become
    the integer 2 and 0.00001 the DECIMAL(18, 4) 0, and the rule would change."""
    if isinstance(value, (int, float)):
        return exp.Literal.number(format(Decimal(str(value)), "f"))
    return exp.cast(exp.Literal.string(str(value)), sql_type(field))


def _unique_alias(field: Field) -> str:
    return f"u_{field.name}"


def _rule(field: Field, rule: Rule, m: str, rejected_inputs: tuple[str, ...],
          column: exp.Expression | None = None) -> Condition:
    text, value = names.col(field.name, m), typed(field, m)
    shown = text.copy()
    named = column if column is not None else field.column
    match rule.kind:
        case "required":
            # Empty, and not because a transform rejected the input (that is its own reason).
            empty = exp.and_(is_null(text.copy()), *(is_null(names.col(c, m)) for c in rejected_inputs))
            return empty, reason("required", field.name, named, None)
        case "unique":
            first = names.col("first_row", _unique_alias(field))
            return exp.GT(this=names.col(names.ROW, m), expression=first), reason("unique", field.name, named, shown)
        case "regex":
            matches = exp.func("regexp_full_match", text.copy(), exp.Literal.string(rule.arg), dialect="duckdb")
            return exp.and_(not_null(text.copy()), exp.not_(matches)), reason("regex", field.name, named, shown)
        case "one_of":
            allowed = exp.In(this=text.copy(), expressions=[exp.Literal.string(v) for v in rule.arg])
            return exp.and_(not_null(text.copy()), exp.not_(allowed)), reason("one_of", field.name, named, shown)
        case "min":
            return exp.LT(this=value, expression=_bound(field, rule.arg)), reason("min", field.name, named, shown)
        case "max":
            return exp.GT(this=value, expression=_bound(field, rule.arg)), reason("max", field.name, named, shown)
    raise ValueError(f"unknown rule {rule.kind!r}")  # pragma: no cover - the schema allows only the cases above


def rule_conditions(field: Field, m: str, rejected_inputs: tuple[str, ...],
                    column: exp.Expression | None = None) -> list[Condition]:
    """The field's rules; ``rejected_inputs``: the working columns where its transforms keep rejected input."""
    return [_rule(field, r, m, rejected_inputs, column) for r in field.rules]


def check_conditions(entity: Entity, m: str, value: FieldValue = typed) -> list[Condition]:
    """Entity checks: the expression with each field name replaced by its value.

    A check fails when the expression is false; NULL (unknown) passes, as in SQL CHECK constraints.
    """
    values: Mapping[str, Field] = {f.name: f for f in entity.fields}
    out: list[Condition] = []
    for check in entity.checks:
        tree = sqlglot.parse_one(check.expression, read="duckdb")
        tree = tree.transform(lambda node: value(values[node.name], m) if isinstance(node, exp.Column) else node)
        out.append((exp.not_(exp.paren(tree)), reason(check.name, None, None, None)))
    return out


def archived_condition(entity: Entity, m: str, value: FieldValue = typed) -> exp.Expression:
    """True when the entity's filter does not keep the row (NULL is not kept, as in WHERE)."""
    if entity.filter is None:
        return exp.false()
    values: Mapping[str, Field] = {f.name: f for f in entity.fields}
    tree = sqlglot.parse_one(entity.filter.keep, read="duckdb")
    tree = tree.transform(lambda node: value(values[node.name], m) if isinstance(node, exp.Column) else node)
    return exp.not_(exp.func("coalesce", exp.paren(tree), exp.false()))


def unique_ctes(entity: Entity) -> list[tuple[str, exp.Select, str, exp.Expression]]:
    """For each `unique` field: (cte name, query, alias, join condition against ``m``)."""
    out = []
    for field in (f for f in entity.fields if any(r.kind == "unique" for r in f.rules)):
        value = typed(field, None)
        query = (exp.select(exp.alias_(value, "value", quoted=True),
                            exp.alias_(exp.Min(this=names.col(names.ROW)), "first_row", quoted=True))
                 .from_(names.table("mapped")).where(not_null(value.copy()))
                 .group_by(value.copy())
                 .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1))))
        alias = _unique_alias(field)
        on = exp.EQ(this=names.col("value", alias), expression=typed(field, "m"))
        out.append((f"repeated_{field.name}", query, alias, on))
    return out
