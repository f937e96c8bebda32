"""F3xx: sources must be readable and have the columns the spec names, each unambiguously."""

from __future__ import annotations

import re
from typing import Iterable

from compiler.errors import Diagnostic, Span, did_you_mean
from compiler.headers import HEADER_FORMATS, Columns, fold, read_name, selector
from compiler.model import FORMAT_OPTIONS, Source
from compiler.validate.checks.context import Context, Header


def check_readable(ctx: Context) -> Iterable[Diagnostic]:
    """F301, F305-F308, F310-F312, F319, F324-F326: a source file must exist and be readable with its options.

    F311: a file declared in a single-byte code page whose bytes are UTF-8. F326: one whose bytes that
    code page reads as characters no text holds (another code page, ``encodings.implausible``). F312: a line
    after a byte-order mark that repeats the header (two exports joined into one file).
    F324: a CSV file with no header row (0 bytes, or a blank first line); F319: a quote in
    the header never closed; F325: a quote or escape that is also the delimiter. The rows of a
    CSV file (F317-F319, F323) are read after these checks, by ``api.validate_spec`` through
    ``sources.check_rows``.

    Bad::

        sources: {contacts: {path: data/contact.csv, id: id}}   # file is contacts.csv
        sources: {contacts: {path: data/contacts.csv, id: id, options: {encoding: cp1250}}}   # a UTF-8 file

    Good::

        sources: {contacts: {path: data/contacts.csv, id: id}}
    """
    for source in ctx.spec.sources:
        header = ctx.headers.get(source.name)
        if isinstance(header, Diagnostic):
            yield header


_SUFFIX = re.compile(r"^(.+)_([1-9][0-9]*)$")


def _column(ctx: Context, source_name: str, column: str, span: Span, what: str) -> Iterable[Diagnostic]:
    """F302-F304 for a column the file lacks; F313-F316 for one it has but not unambiguously."""
    header, source = ctx.header(source_name), ctx.spec.source(source_name)
    if header is None or source is None:
        return
    if source.format not in HEADER_FORMATS:
        if column not in header.names:
            yield _missing(source, header, column, span, what)
        elif column in dict(header.repeated_keys):
            line = dict(header.repeated_keys)[column]
            yield Diagnostic("F316", f"{source.path}:{line}: an object repeats the key '{column}' ({what} of source "
                                     f"'{source.name}'), and nothing tells which value is meant", span,
                             "re-export the file with one value per key")
        return
    base, n = selector(column)
    if base not in header.names:
        yield _missing(source, header, base, span, what)
        return
    group = [i for i, name in enumerate(header.names) if fold(name) == fold(base)]
    if n is None and len(group) > 1:
        listed = ", ".join(f"'{header.names[i]}' (column {i + 1})" for i in group)
        case = " (SQL ignores case in names)" if len({header.names[i] for i in group}) > 1 else ""
        yield Diagnostic("F313", f"source '{source.name}' has {len(group)} columns named '{base}'{case}: {listed}; "
                                 f"'{column}' ({what}) does not say which", span,
                         f"write '{base}#1' for the first, '{base}#2' for the second, and so on")
        return
    if n is not None and n > len(group):
        yield Diagnostic("F314", f"'{column}' ({what}) names column {n} called '{base}', but source '{source.name}' "
                                 f"has {len(group)}", span,
                         f"write '{base}'" if len(group) == 1 else f"write '{base}#1' to '{base}#{len(group)}'")
        return
    position = group[(n or 1) - 1]
    wanted = read_name(column, source.format)
    bound = [j for j, name in enumerate(header.physical) if fold(name) == fold(wanted)]
    if bound != [position]:
        got = f"column {bound[0] + 1}" if bound else "no column"
        yield Diagnostic("F315", f"DuckDB reads column {position + 1} of source '{source.name}' ('{header.names[position]}') "
                                 f"as '{header.physical[position]}', so '{column}' ({what}) would read {got}", span,
                         "a repeated header name was renamed onto this one: rename one of the columns in the file")


def _missing(source: Source, header: Columns, column: str, span: Span, what: str) -> Diagnostic:
    hint = did_you_mean(column, header.names)
    suffixed = _SUFFIX.match(column)
    if source.format in HEADER_FORMATS and suffixed and header.names.count(suffixed.group(1)) > 1:
        base, k = suffixed.group(1), int(suffixed.group(2))
        hint = f"'{base}' repeats in the header: write '{base}#{k + 1}' for its occurrence number {k + 1}"
    return Diagnostic(_CODES[what], f"source '{source.name}' has no column '{column}' ({what})", span, hint)


_CODES = {"id column": "F302", "field": "F303", "reference": "F304"}


def check_id_column(ctx: Context) -> Iterable[Diagnostic]:
    """F302: a source's ``id`` must be a column of its file.

    Bad::   contacts: {path: data/contacts.csv, id: kontakt_id}
    Good::  contacts: {path: data/contacts.csv, id: contact_id}
    """
    for source in ctx.spec.sources:
        yield from _column(ctx, source.name, source.id_column, source.id_span, "id column")


def check_field_columns(ctx: Context) -> Iterable[Diagnostic]:
    """F303: every field's ``from`` must be a column of the entity's source; F313-F316: exactly one.

    A header that repeats a name (``phone;...;phone``) needs ``phone#1`` or ``phone#2`` (F313,
    F314); a column whose name DuckDB gave to a repeat cannot be read (F315); a JSON object
    that repeats a key the spec reads cannot be read (F316). The same holds for ids and references.

    Bad::   fields: {email: e_mail, phone: phone}      # the header has two 'phone' columns
    Good::  fields: {email: email, phone: "phone#2"}
    """
    for entity in ctx.spec.entities:
        for source, fields in entity.mappings():  # several sources: each source's own mapping
            for field in fields:
                for column, span in zip(field.columns, field.column_spans):
                    yield from _column(ctx, source, column, span, "field")


def check_reference_columns(ctx: Context) -> Iterable[Diagnostic]:
    """F304: every reference's ``from`` must be a column of the entity's source.

    Bad::   references: {company: {entity: company, from: firm_id}}
    Good::  references: {company: {entity: company, from: company_id}}
    """
    for entity in ctx.spec.entities:
        for source in entity.source_names:
            for ref in entity.references:
                column = entity.reference_column(ref, source)
                span = next((sp for s in entity.sources if s.name == source for n, _, sp in s.references
                             if n == ref.name), ref.column_span)
                if column is not None:
                    yield from _column(ctx, source, column, span, "reference")


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
