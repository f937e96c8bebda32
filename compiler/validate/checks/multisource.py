"""F470-F477: an entity with several sources (``sources:``) must say unambiguously how each
source's rows are read, which source's ids a reference holds, and what prefers which source."""

from __future__ import annotations

from typing import Iterable

from compiler.errors import Diagnostic, did_you_mean
from compiler.model import Entity
from compiler.validate.checks.context import Context


def check_source_overrides(ctx: Context) -> Iterable[Diagnostic]:
    """F470: a source maps only fields the entity declares; F471: it says how to read the value,
    not what the value is (type, rules, on_error, precision and scale are the entity's);
    F475: it re-reads only references the entity declares.

    Bad::   sources: {newsletter: {fields: {mail: {from: mail}}}}       # the entity's field is 'email'
    Bad::   sources: {newsletter: {fields: {email: {from: mail, type: date}}}}
    Good::  sources: {newsletter: {fields: {email: {from: mail, transforms: [lower]}, phone: null}}}
    """
    for entity in ctx.spec.entities:
        declared = [f.name for f in entity.fields]
        refs = [r.name for r in entity.references]
        for source in entity.sources:
            for name, span in (*((f.name, f.span) for f in source.declared), *source.absent):
                if name not in declared:
                    yield Diagnostic("F470", f"source '{source.name}' of entity '{entity.name}' maps field '{name}', "
                                             "which the entity does not declare", span,
                                     did_you_mean(name, declared) or "declare it under the entity's `fields` first")
            for own in source.declared:
                shared = entity.field(own.name)
                if shared is None:
                    continue
                if (own.type not in ("string", shared.type) or own.rules or own.on_error_span is not None
                        or own.precision_span is not None or own.scale_span is not None):
                    yield Diagnostic("F471", f"source '{source.name}' sets the type, rules or on_error of field "
                                             f"'{entity.name}.{own.name}': one column of the table has one type "
                                             "and one set of rules", own.span,
                                     "set them under the entity's `fields`; a source gives only from/sql, join "
                                     "and transforms")
            for name, _, span in source.references:
                if name not in refs:
                    yield Diagnostic("F475", f"source '{source.name}' of entity '{entity.name}' re-reads reference "
                                             f"'{name}', which the entity does not declare", span,
                                     did_you_mean(name, refs) or "declare it under the entity's `references` first")


def check_reference_sources(ctx: Context) -> Iterable[Diagnostic]:
    """F473: a reference to an entity with several sources names the source its old ids are from
    (ids of two systems may collide); F474: that source must be one of the entity's.

    Bad::   contact_id: {entity: contact, from: customer}              # contact reads crm and newsletter
    Good::  contact_id: {entity: contact, source: crm, from: customer}
    """
    for entity in ctx.spec.entities:
        for ref in entity.references:
            parent = ctx.spec.entity(ref.entity)
            if parent is None:
                continue  # F202
            if ref.source is None:
                if parent.multi and parent.name != entity.name:
                    listed = ", ".join(parent.source_names)
                    yield Diagnostic("F473", f"reference '{entity.name}.{ref.name}' does not say which source of "
                                             f"entity '{parent.name}' its ids are from ({listed}): their ids may "
                                             "collide", ref.span,
                                     f"add `source: {parent.source_names[0]}` (or another of {listed})")
            elif ref.source not in parent.source_names:
                yield Diagnostic("F474", f"reference '{entity.name}.{ref.name}' names source '{ref.source}', "
                                         f"which entity '{parent.name}' does not read", ref.source_span or ref.span,
                                 did_you_mean(ref.source, parent.source_names)
                                 or f"entity '{parent.name}' reads {', '.join(parent.source_names)}")


def _by_source(entity: Entity) -> Iterable[tuple[tuple[str, ...], object]]:
    """Every rule that names sources: (the sources, where it is written)."""
    d = entity.dedup
    if d is None:
        return
    for rule in d.survivor:
        if rule.kind == "source":
            yield rule.order, rule.span
    for field, sources in d.source_orders:
        yield sources, next(span for f, _, span in d.strategies if f == field)


def check_source_preferences(ctx: Context) -> Iterable[Diagnostic]:
    """F476: survivor and field rules by source name sources the entity reads; F477: they, and
    ``link: only`` and ``one_to_one``, need an entity with several sources.

    Bad::   survivor: [{source: [crm, erp]}]             # the entity reads crm and newsletter
    Good::  survivor: [{source: [crm, newsletter]}, most_complete]
    """
    for entity in ctx.spec.entities:
        d = entity.dedup
        if d is None:
            continue
        if not entity.multi:
            spans = [s for _, s in _by_source(entity)]
            spans += [s for s in (d.link_span if d.link == "only" else None,
                                  d.one_to_one_span if d.one_to_one else None) if s is not None]
            for span in spans:
                yield Diagnostic("F477", f"entity '{entity.name}' reads one source: a rule about sources "
                                         "(by source, link: only, one_to_one) has nothing to choose between", span,
                                 "list the entity's sources under `sources:`, or drop the rule")
            continue
        for sources, span in _by_source(entity):
            for name in sources:
                if name not in entity.source_names:
                    yield Diagnostic("F476", f"entity '{entity.name}' does not read source '{name}'", span,
                                     did_you_mean(name, entity.source_names)
                                     or f"it reads {', '.join(entity.source_names)}")
