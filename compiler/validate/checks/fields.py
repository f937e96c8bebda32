"""F4xx: target names must be unique, natural keys must name real fields, decimal digits add up."""

from __future__ import annotations

from typing import Iterable

from compiler.errors import Diagnostic, did_you_mean
from compiler.model import DECIMAL_PRECISION, DECIMAL_SCALE
from compiler.validate.checks.context import Context

#: Columns ferry adds to every entity table.
RESERVED = ("id",)
#: Prefix of ferry's working columns and tables; user names may not start with it.
RESERVED_PREFIX = "_ferry"


def check_target_names(ctx: Context) -> Iterable[Diagnostic]:
    """F401: each target column is defined once (fields, references, and ferry's ``id``).

    Bad::   fields: {company_id: firma}  references: {company_id: {entity: company, from: firma}}
    Good::  fields: {company_name: firma}  references: {company_id: {entity: company, from: firma}}
    """
    for entity in ctx.spec.entities:
        seen: dict[str, str] = {name: "ferry's generated key" for name in RESERVED}
        for name, span, what in (
            [(f.name, f.span, f"field '{f.name}'") for f in entity.fields]
            + [(r.name, r.span, f"reference '{r.name}'") for r in entity.references]
        ):
            if name.lower().startswith(RESERVED_PREFIX):
                yield Diagnostic("F401", f"target column '{name}' in entity '{entity.name}' starts with "
                                 f"'{RESERVED_PREFIX}', which ferry reserves for its own columns", span,
                                 "rename the field")
            elif name.lower() in seen:
                yield Diagnostic("F401", f"duplicate target column '{name}' in entity '{entity.name}': "
                                 f"{what} clashes with {seen[name.lower()]}", span,
                                 "rename one of them; `id` is reserved for the new record id")
            else:
                seen[name.lower()] = what


def check_natural_key(ctx: Context) -> Iterable[Diagnostic]:
    """F402: a natural ``key`` lists target fields of the same entity.

    Bad::   key: [e_mail]
    Good::  key: [email]
    """
    for entity in ctx.spec.entities:
        names = [f.name for f in entity.fields]
        for part, span in zip(entity.key, entity.key_spans):
            if part not in names:
                yield Diagnostic("F402", f"key of entity '{entity.name}' names unknown field '{part}'",
                                 span, did_you_mean(part, names))


def check_tables(ctx: Context) -> Iterable[Diagnostic]:
    """F403: two entities cannot load into the same table.

    Bad::   company: {table: accounts, ...}   account: {table: accounts, ...}
    Good::  company: {table: companies, ...}  account: {table: accounts, ...}
    """
    first: dict[str, str] = {}
    for entity in ctx.spec.entities:  # sorted by name, so the report is stable
        table = entity.table.lower()
        if table in first:
            yield Diagnostic("F403", f"entity '{entity.name}' loads into table '{entity.table}', "
                             f"which entity '{first[table]}' also uses", entity.span,
                             "give each entity its own `table`")
        else:
            first[table] = entity.name


def check_case_clashes(ctx: Context) -> Iterable[Diagnostic]:
    """F404: entity and source names must differ in more than letter case.

    SQL identifiers are case-insensitive in DuckDB and PostgreSQL, so ``Person``
    and ``person`` would share tables.

    Bad::   entities: {Person: ..., person: ...}
    Good::  entities: {person: ..., employee: ...}
    """
    for kind, items in (("entity", ctx.spec.entities), ("source", ctx.spec.sources)):
        first: dict[str, str] = {}
        for item in items:
            folded = item.name.lower()
            if folded in first:
                yield Diagnostic("F404", f"{kind} names '{first[folded]}' and '{item.name}' differ only in case",
                                 item.span, "SQL names ignore case; rename one of them")
            else:
                first[folded] = item.name


def check_on_error(ctx: Context) -> Iterable[Diagnostic]:
    """F440: ``on_error: null`` empties a failing value, so the field cannot also be ``required``.

    Bad::   phone: {from: tel, transforms: [{phone: {region: PL}}], rules: [required], on_error: "null"}
    Good::  phone: {from: tel, transforms: [{phone: {region: PL}}], on_error: "null"}
    """
    for entity in ctx.spec.entities:
        for field in entity.fields:
            required = next((r for r in field.rules if r.kind == "required"), None)
            if field.on_error == "null" and required is not None:
                yield Diagnostic("F440", f"field '{field.name}' of entity '{entity.name}' is `required` but "
                                 "`on_error: null` would empty it", field.on_error_span or field.span,
                                 "drop `required`, or use `on_error: reject` to reject records whose value fails")
def check_decimal_digits(ctx: Context) -> Iterable[Diagnostic]:
    """F425: a decimal's ``scale`` (digits after the point) is at most its ``precision`` (all digits).
    F426: ``precision`` and ``scale`` belong to ``type: decimal`` only.

    Bad::   amount: {from: kwota, type: decimal, precision: 4, scale: 6}
    Bad::   count: {from: ile, type: integer, scale: 0}
    Good::  amount: {from: kwota, type: decimal, precision: 12, scale: 2}
    """
    for entity in ctx.spec.entities:
        for f in entity.fields:
            if f.type != "decimal":
                for key, span in (("precision", f.precision_span), ("scale", f.scale_span)):
                    if span is not None:
                        yield Diagnostic("F426", f"'{key}' on field '{entity.name}.{f.name}', which is {f.type}",
                                         span, "precision and scale are for `type: decimal`; remove it")
            elif f.scale > f.precision:
                scale = f"scale {f.scale}" + ("" if f.scale_span else " (the default)")
                precision = f"precision {f.precision}" + ("" if f.precision_span else " (the default)")
                yield Diagnostic("F425", f"field '{entity.name}.{f.name}': {scale} is more than {precision}",
                                 f.scale_span or f.precision_span or f.span,
                                 "scale counts the digits after the point, precision all of them (default "
                                 f"{DECIMAL_PRECISION} and {DECIMAL_SCALE}), e.g. precision: 12, scale: 2")
