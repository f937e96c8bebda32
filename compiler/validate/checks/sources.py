"""F3xx: sources must be readable and have the columns the spec names."""

from __future__ import annotations

from typing import Iterable

from compiler.errors import Diagnostic, Span, did_you_mean
from compiler.model import FORMAT_OPTIONS
from compiler.validate.checks.context import Context, Header


def check_readable(ctx: Context) -> Iterable[Diagnostic]:
    """F301, F305-F308, F310: a source file must exist and be readable with its options.

    Bad::

        sources: {contacts: {path: data/contact.csv, id: id}}   # file is contacts.csv

    Good::

        sources: {contacts: {path: data/contacts.csv, id: id}}
    """
    for source in ctx.spec.sources:
        header = ctx.headers.get(source.name)
        if isinstance(header, Diagnostic):
            yield header


def _missing(ctx: Context, source: str, column: str, span: Span, what: str) -> Iterable[Diagnostic]:
    columns = ctx.columns(source)
    if columns is None or column in columns:
        return
    yield Diagnostic(
        _CODES[what],
        f"source '{source}' has no column '{column}' ({what})",
        span,
        did_you_mean(column, columns),
    )


_CODES = {"id column": "F302", "field": "F303", "reference": "F304"}


def check_id_column(ctx: Context) -> Iterable[Diagnostic]:
    """F302: a source's ``id`` must be a column of its file.

    Bad::   contacts: {path: data/contacts.csv, id: kontakt_id}
    Good::  contacts: {path: data/contacts.csv, id: contact_id}
    """
    for source in ctx.spec.sources:
        yield from _missing(ctx, source.name, source.id_column, source.id_span, "id column")


def check_field_columns(ctx: Context) -> Iterable[Diagnostic]:
    """F303: every field's ``from`` must be a column of the entity's source.

    Bad::   fields: {email: e_mail}
    Good::  fields: {email: email}
    """
    for entity in ctx.spec.entities:
        for field in entity.fields:
            for column, span in zip(field.columns, field.column_spans):
                yield from _missing(ctx, entity.source, column, span, "field")


def check_reference_columns(ctx: Context) -> Iterable[Diagnostic]:
    """F304: every reference's ``from`` must be a column of the entity's source.

    Bad::   references: {company: {entity: company, from: firm_id}}
    Good::  references: {company: {entity: company, from: company_id}}
    """
    for entity in ctx.spec.entities:
        for ref in entity.references:
            yield from _missing(ctx, entity.source, ref.column, ref.column_span, "reference")


def check_options(ctx: Context) -> Iterable[Diagnostic]:
    """F309: a source's ``options`` must be ones its format takes.

    Bad::   deals: {path: deals.xml, id: id, options: {delimiter: ";"}}
    Good::  deals: {path: deals.xml, id: id, options: {record: /export/deals/deal}}
    """
    for source in ctx.spec.sources:
        allowed = FORMAT_OPTIONS[source.format]
        for key, span in source.option_spans:
            if key not in allowed:
                takes = ", ".join(allowed) if allowed else "no options"
                yield Diagnostic("F309", f"option '{key}' does not apply to {source.format} source '{source.name}'",
                                 span, f"{source.format} takes {takes}; is `format` (or the file extension) right?")


__all__ = ["Header", "check_field_columns", "check_id_column", "check_options", "check_readable",
           "check_reference_columns"]
