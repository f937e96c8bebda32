"""F2xx: entities must point at things that exist, in an order that can be loaded."""

from __future__ import annotations

from typing import Iterable

from compiler.dag import find_cycles
from compiler.errors import Diagnostic, did_you_mean
from compiler.validate.checks.context import Context


def check_entity_source(ctx: Context) -> Iterable[Diagnostic]:
    """F201: an entity's ``source`` must be declared under ``sources``.

    Bad::   contact: {source: contact, ...}      # sources has 'contacts'
    Good::  contact: {source: contacts, ...}
    """
    names = [s.name for s in ctx.spec.sources]
    for entity in ctx.spec.entities:
        if not entity.multi and entity.source not in names:
            yield Diagnostic("F201", f"entity '{entity.name}' reads unknown source '{entity.source}'",
                             entity.source_span, did_you_mean(entity.source, names))
        for source in entity.sources:  # ``sources:``
            if source.name not in names:
                yield Diagnostic("F201", f"entity '{entity.name}' reads unknown source '{source.name}'",
                                 source.span, did_you_mean(source.name, names))


def check_referenced_entity(ctx: Context) -> Iterable[Diagnostic]:
    """F202: a reference must point at a declared entity.

    Bad::   references: {company_id: {entity: companies, from: company_id}}
    Good::  references: {company_id: {entity: company, from: company_id}}
    """
    names = [e.name for e in ctx.spec.entities]
    for entity in ctx.spec.entities:
        for ref in entity.references:
            if ref.entity not in names:
                yield Diagnostic("F202", f"reference '{entity.name}.{ref.name}' points at unknown entity '{ref.entity}'",
                                 ref.entity_span, did_you_mean(ref.entity, names))


def check_cycles(ctx: Context) -> Iterable[Diagnostic]:
    """F203: references between different entities must not form a cycle.

    Self-references (company.parent -> company) are fine: they load in two
    passes. A cycle through several entities needs one reference marked
    ``deferred: true`` so it is set in a second pass.

    Bad::   contact.deal -> deal, deal.contact -> contact
    Good::  contact.deal: {entity: deal, from: deal_id, deferred: true}
    """
    spec = ctx.spec
    for cycle in find_cycles(spec.dependencies()):
        owner = spec.entity(cycle[0])
        ref = next(r for r in owner.references if r.entity == cycle[1] and not r.deferred)
        yield Diagnostic("F203", "reference cycle: " + " -> ".join(cycle), ref.span,
                         f"mark one reference in the cycle `deferred: true` (e.g. {owner.name}.{ref.name}) "
                         "to set it in a second pass")


def check_load_order(ctx: Context) -> Iterable[Diagnostic]:
    """F204/F205: a stated ``load_order`` must list each entity once and respect references.

    Bad::   load_order: [contact, company]     # contact.company_id -> company
    Good::  load_order: [company, contact]
    """
    spec = ctx.spec
    if spec.load_order is None:
        return
    names = [e.name for e in spec.entities]
    position = {}
    for i, (name, span) in enumerate(zip(spec.load_order, spec.load_order_spans)):
        if name not in names:
            yield Diagnostic("F205", f"load_order names unknown entity '{name}'", span, did_you_mean(name, names))
        position[name] = i
    missing = [n for n in names if n not in position]
    if missing:
        yield Diagnostic("F205", "load_order leaves out " + ", ".join(f"'{m}'" for m in missing),
                         spec.load_order_span, "list every entity, or remove load_order to infer it")
    for entity in spec.entities:
        for ref in entity.references:
            if ref.deferred or ref.entity not in position or entity.name not in position:
                continue
            if position[ref.entity] > position[entity.name]:
                yield Diagnostic(
                    "F204",
                    f"load_order puts '{entity.name}' before '{ref.entity}', but {entity.name}.{ref.name} references it",
                    spec.load_order_spans[position[entity.name]],
                    f"move '{ref.entity}' earlier, or mark {entity.name}.{ref.name} `deferred: true`",
                )


def check_deferred_on_missing(ctx: Context) -> Iterable[Diagnostic]:
    """F206: a deferred reference (self-references included) cannot reject its row.

    It is set in a second pass, after the row is loaded, so an old id that resolves
    to nothing leaves it empty (recorded in ``_ferry.unresolved_references``).

    Bad::   parent_id: {entity: company, from: parent, on_missing: reject}
    Good::  parent_id: {entity: company, from: parent}
    """
    for entity in ctx.spec.entities:
        for ref in entity.references:
            if ref.deferred and ref.on_missing == "reject":
                why = "a self-reference" if ref.entity == entity.name else "deferred"
                yield Diagnostic("F206", f"reference '{entity.name}.{ref.name}' is {why}, so it cannot reject rows",
                                 ref.span, "remove `on_missing: reject`; unresolved values are left empty and recorded")
