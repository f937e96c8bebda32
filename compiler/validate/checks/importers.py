"""F720-F734: importer bundles (``target.salesforce``, ``target.hubspot``) name real entities and fields,
and every reference they export points at an entity they export too.

F720-F724 are Salesforce's, F730-F734 HubSpot's, in the same order: unknown entity, unknown
field, reference to an entity left out, a name that cannot be what it is used for, two
columns with one name.
"""

from __future__ import annotations

from typing import Iterable

from compiler.errors import Diagnostic, did_you_mean
from compiler.importers import HUBSPOT_OBJECT_TYPES, export_columns, hubspot_type, relationship
from compiler.model import Export, ExportObject, Spec
from compiler.validate.checks.context import Context

#: Per kind: the codes for (unknown entity, unknown field, reference to an entity left out, bad name, clash).
CODES = {"salesforce": ("F720", "F721", "F722", "F723", "F724"), "hubspot": ("F730", "F731", "F732", "F733", "F734")}


def _exports(spec: Spec) -> Iterable[Export]:
    return tuple(e for e in (spec.target.salesforce, spec.target.hubspot) if e is not None)


def _objects(spec: Spec, export: Export) -> Iterable[tuple[ExportObject, object]]:
    """Each exported object whose entity exists, with that entity."""
    for obj in export.objects:
        entity = spec.entity(obj.entity)
        if entity is not None:
            yield obj, entity


def check_export_entities(ctx: Context) -> Iterable[Diagnostic]:
    """F720/F730: ``objects`` keys are entities.

    Bad::   salesforce: {objects: {companies: {object: Account}}}
    Good::  salesforce: {objects: {company: {object: Account}}}
    """
    names = [e.name for e in ctx.spec.entities]
    for export in _exports(ctx.spec):
        for obj in export.objects:
            if obj.entity not in names:
                yield Diagnostic(CODES[export.kind][0], f"target.{export.kind} exports unknown entity '{obj.entity}'",
                                 obj.span, did_you_mean(obj.entity, names))


def check_export_fields(ctx: Context) -> Iterable[Diagnostic]:
    """F721/F731: ``fields`` and ``skip`` name the entity's fields and references.

    Bad::   company: {object: Account, fields: {nazwa: Name}}
    Good::  company: {object: Account, fields: {name: Name}}
    """
    for export in _exports(ctx.spec):
        for obj, entity in _objects(ctx.spec, export):
            known = [f.name for f in entity.fields] + [r.name for r in entity.references]
            named = list(obj.name_spans) + list(zip(obj.skip, obj.skip_spans))
            for name, span in named:
                if name not in known:
                    yield Diagnostic(CODES[export.kind][1],
                                     f"entity '{entity.name}' has no field or reference '{name}' (target.{export.kind})",
                                     span, did_you_mean(name, known))


def check_export_references(ctx: Context) -> Iterable[Diagnostic]:
    """F722/F732: an exported reference points at an entity the bundle exports too.

    Its column holds the referenced record's id, which the target finds only if that
    record was imported with it.

    Bad::   deal: {object: Opportunity}                  # deal.owner_id -> owner, not exported
    Good::  deal: {object: Opportunity, skip: [owner_id]}
    """
    for export in _exports(ctx.spec):
        exported = {o.entity for o in export.objects}
        for obj, entity in _objects(ctx.spec, export):
            spans = dict(obj.name_spans)
            for column in export_columns(entity, obj, export.kind):
                if column.is_reference and column.entity not in exported and ctx.spec.entity(column.entity):
                    yield Diagnostic(
                        CODES[export.kind][2],
                        f"reference '{entity.name}.{column.name}' points at entity '{column.entity}', "
                        f"which target.{export.kind} does not export", spans.get(column.name, obj.span),
                        f"export '{column.entity}' too, or add {column.name} to {entity.name}'s skip list")


def check_export_names(ctx: Context) -> Iterable[Diagnostic]:
    """F723/F733: a Salesforce reference maps to a lookup field (``...Id`` or ``...__c``); a HubSpot
    object is one HubSpot has (or an objectTypeId).

    Bad::   company: {object: Account, fields: {parent_id: Parent}}
    Good::  company: {object: Account, fields: {parent_id: ParentId}}
    Bad::   company: {object: company}
    Good::  company: {object: companies}
    """
    for export in _exports(ctx.spec):
        for obj, entity in _objects(ctx.spec, export):
            if export.kind == "hubspot":
                if hubspot_type(obj.object) is None:
                    yield Diagnostic("F733", f"HubSpot has no object '{obj.object}'", obj.object_span,
                                     did_you_mean(obj.object, HUBSPOT_OBJECT_TYPES))
                continue
            spans = dict(obj.name_spans)
            for column in export_columns(entity, obj, export.kind):
                if column.is_reference and relationship(column.api) is None:
                    yield Diagnostic("F723", f"reference '{entity.name}.{column.name}' maps to '{column.api}', "
                                     "which is not a lookup field's name", spans.get(column.name, obj.span),
                                     "a lookup's API name ends in Id (AccountId, ParentId) or __c (Company__c)")


def check_export_clashes(ctx: Context) -> Iterable[Diagnostic]:
    """F724/F734: no two columns of one object share an API name, and none is the id field.

    Salesforce compares names without case, as it does.

    Bad::   contact: {object: Contact, fields: {email: Email, all_emails: Email}}
    Good::  contact: {object: Contact, fields: {email: Email, all_emails: All_Emails__c}}
    """
    for export in _exports(ctx.spec):
        fold = str.lower if export.kind == "salesforce" else str
        for obj, entity in _objects(ctx.spec, export):
            spans = dict(obj.name_spans)
            seen = {fold(export.external_id): "the id field"}
            for column in export_columns(entity, obj, export.kind):
                key = fold(column.api)
                if key in seen:
                    yield Diagnostic(CODES[export.kind][4],
                                     f"'{entity.name}.{column.name}' and {seen[key]} both export as '{column.api}'",
                                     spans.get(column.name, obj.span), "give each field its own API name")
                else:
                    seen[key] = f"'{entity.name}.{column.name}'"


def check_export_timezone(ctx: Context) -> Iterable[Diagnostic]:
    """F725/F735: a bundle's ``timezone`` is an IANA time zone (it goes into process-conf.xml or the
    import request, where a wrong one shifts every timestamp).

    Bad::   salesforce: {timezone: Europe/Warszawa, ...}
    Good::  salesforce: {timezone: Europe/Warsaw, ...}
    """
    import zoneinfo

    zones = sorted(zoneinfo.available_timezones())
    for export in _exports(ctx.spec):
        if export.timezone not in zones:
            code = "F725" if export.kind == "salesforce" else "F735"
            yield Diagnostic(code, f"unknown time zone '{export.timezone}' in target.{export.kind}", export.span,
                             did_you_mean(export.timezone, zones) or "an IANA name such as Europe/Warsaw or UTC")


def check_target_schema(ctx: Context) -> Iterable[Diagnostic]:
    """F441: the target schema is not ``_ferry``, which holds ferry's own tables (crosswalks, rejects).

    Bad::   target: {schema: _ferry}
    Good::  target: {schema: crm}
    """
    if ctx.spec.target.schema.lower() == "_ferry":
        yield Diagnostic("F441", "target.schema '_ferry' is ferry's own schema (crosswalks, rejects, archives)",
                         ctx.spec.target.span, "load the entities into another schema, e.g. main or crm")
