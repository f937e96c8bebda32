"""F420-F421: a phone's per-row region (``region_from``) reads the source row it names.

(F410, the regions themselves, is in ``rules``.)
"""

from __future__ import annotations

from typing import Iterable

from compiler.errors import Diagnostic, did_you_mean
from compiler.model import Entity, Transform
from compiler.validate.build import sql_columns
from compiler.validate.checks.context import Context
from compiler.validate.checks.rules import bound_problem, expression_problem


def _region_from(entity: Entity) -> Iterable[tuple[Transform, str, str]]:
    """(transform, 'column' or 'sql', text) of every phone ``region_from`` in ``entity``."""
    for field in entity.fields:
        for t in field.transforms:
            if t.name == "phone" and "region_from" in dict(t.args):
                ((kind, text),) = dict(t.args)["region_from"]
                yield t, kind, text


def check_region_from_columns(ctx: Context) -> Iterable[Diagnostic]:
    """F420: a phone's ``region_from`` reads columns of the entity's source.

    Bad::   transforms: [{phone: {region: PL, region_from: {column: kraj}}}]     # the column is country
    Good::  transforms: [{phone: {region: PL, region_from: {column: country}}}]
    """
    for entity in ctx.spec.entities:
        columns = ctx.columns(entity.source)
        if columns is None:
            continue
        for t, kind, _ in _region_from(entity):
            for column in t.reads:
                if column not in columns:
                    yield Diagnostic("F420", f"source '{entity.source}' has no column '{column}' (phone region_from)",
                                     t.arg_span(f"region_from.{kind}"), did_you_mean(column, columns))


def check_region_from_sql(ctx: Context) -> Iterable[Diagnostic]:
    """F421: a phone's ``region_from: {sql: ...}`` is one scalar SQL expression over the source row
    that DuckDB binds (no statements, subqueries, aggregates or window functions).

    Bad::   region_from: {sql: "SELECT country FROM contacts"}
    Good::  region_from: {sql: "CASE system WHEN 'crm_fr' THEN 'FR' END"}
    """
    for entity in ctx.spec.entities:
        columns = ctx.columns(entity.source) or ()
        for t, kind, text in _region_from(entity):
            if kind != "sql":
                continue
            problem, hint = expression_problem(text, None, "one expression, e.g. \"upper(country)\"")
            read = sql_columns(text)
            if not problem and set(read) <= set(columns):
                problem, hint = bound_problem(text, {c: "VARCHAR" for c in read}, condition=False)
                if problem and hint and hint.startswith("values have"):
                    hint = "source columns are text: cast them"
            if problem:
                yield Diagnostic("F421", f"region_from sql of a phone: {problem}", t.arg_span("region_from.sql"), hint)
