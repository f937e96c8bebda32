"""F48x: what a later run (a delta, ``compiler.delta``) needs from the spec: export dates and gone policies.

In:  ``Context``. Out: diagnostics.
"""

from __future__ import annotations

from datetime import date
from typing import Iterable

from compiler.errors import Diagnostic
from compiler.validate.checks.context import Context


def check_export_dates(ctx: Context) -> Iterable[Diagnostic]:
    """F480: a source's ``export_date`` is a calendar date written YYYY-MM-DD.

    Bad::   contacts: {path: data/contacts.csv, id: contact_id, export_date: 30.11.2026}
    Good::  contacts: {path: data/contacts.csv, id: contact_id, export_date: 2026-11-30}
    """
    for source in ctx.spec.sources:
        if source.export_date is None:
            continue
        try:
            ok = date.fromisoformat(source.export_date).isoformat() == source.export_date
        except ValueError:
            ok = False
        if not ok:
            yield Diagnostic("F480", f"export_date of source '{source.name}' is '{source.export_date}', "
                             "not a date written YYYY-MM-DD", source.export_date_span or source.span,
                             "write the day the export was taken, e.g. export_date: 2026-11-30")


def check_gone_parents(ctx: Context) -> Iterable[Diagnostic]:
    """F481: an entity whose gone records are removed (``gone: archive`` or ``delete``) is not referenced by
    an entity that keeps its own gone records: a kept record would point at a removed one.

    Bad::   contact: {delta: {gone: delete}}  ...  deal: {references: {contact_id: {entity: contact}}}
    Good::  contact: {delta: {gone: delete}}  ...  deal: {delta: {gone: delete}, references: ...}
    """
    by_name = {e.name: e for e in ctx.spec.entities}
    for child in ctx.spec.entities:
        if child.delta.gone != "keep":
            continue
        for ref in child.references:
            parent = by_name.get(ref.entity)
            if parent is None or parent is child or parent.delta.gone == "keep":
                continue
            yield Diagnostic("F481", f"entity '{parent.name}' removes gone records (gone: {parent.delta.gone}) "
                             f"but '{child.name}' keeps its own and refers to it ({child.name}.{ref.name}): a kept "
                             f"{child.name} would point at a removed {parent.name}",
                             parent.delta.gone_span or parent.span,
                             f"give '{child.name}' `delta: {{gone: {parent.delta.gone}}}` too, or keep gone "
                             f"{parent.name} records (gone: keep)")
