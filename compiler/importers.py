"""Importer bundles (Salesforce Data Loader, HubSpot imports): which columns an entity exports, under which names.

In:  an ``Entity`` and its ``ExportObject`` (``target.salesforce`` / ``target.hubspot``).
Out: ``ExportColumn`` values, in the entity's field order, then its references by name.
Pure naming rules, shared by the semantic checks (``validate.checks.importers``) and the
adapters (``render.salesforce``, ``render.hubspot``), so both agree on every header.

Salesforce names: a field the spec does not name becomes a custom field, each word
capitalized (``created_on`` -> ``Created_On__c``); a reference becomes a custom lookup
without its ``_id`` (``company_id`` -> ``Company__c``). A lookup's relationship name is
what the Bulk API and Data Loader address the parent by: ``AccountId`` -> ``Account``,
``ParentId`` -> ``Parent``, ``Company__c`` -> ``Company__r``.

HubSpot names: a field keeps its (lower-cased) name as the property's internal name.
"""

from __future__ import annotations

from dataclasses import dataclass

from compiler.model import Entity, ExportObject

#: HubSpot's objectTypeId of each standard object and activity (custom objects are given as 2-NNN).
HUBSPOT_OBJECT_TYPES: dict[str, str] = {
    "contacts": "0-1", "companies": "0-2", "deals": "0-3", "tickets": "0-5", "products": "0-7",
    "line_items": "0-8", "tasks": "0-27", "notes": "0-46", "meetings": "0-47", "calls": "0-48", "emails": "0-49",
}


@dataclass(frozen=True, slots=True)
class ExportColumn:
    name: str  # the ferry field or reference
    api: str  # Salesforce field API name / HubSpot property
    type: str  # ferry field type; "reference" for references
    entity: str | None = None  # a reference's target entity
    deferred: bool = False  # a reference set in the second pass

    @property
    def is_reference(self) -> bool:
        return self.entity is not None


def salesforce_default(name: str, reference: bool) -> str:
    """The custom field a spec field maps to when the spec does not name one."""
    if reference and name.lower().endswith("_id") and len(name) > 3:
        name = name[:-3]
    return "_".join(part[:1].upper() + part[1:] for part in name.split("_") if part) + "__c"


def relationship(lookup: str) -> str | None:
    """The relationship name of a lookup field, or None if the name is not a lookup's."""
    if lookup.endswith("__c") and len(lookup) > 3:
        return lookup[:-3] + "__r"
    if lookup.endswith("Id") and len(lookup) > 2:
        return lookup[:-2]
    return None


def hubspot_type(name: str) -> str | None:
    """The objectTypeId for an object name or id, or None if it is neither."""
    if name in HUBSPOT_OBJECT_TYPES:
        return HUBSPOT_OBJECT_TYPES[name]
    head, _, tail = name.partition("-")
    return name if head.isdigit() and tail.isdigit() else None


def export_columns(entity: Entity, obj: ExportObject, kind: str) -> tuple[ExportColumn, ...]:
    """The entity's exported columns: fields in spec order, then references by name, minus ``skip``."""
    def api(name: str, reference: bool) -> str:
        given = obj.name_for(name)
        if given is not None:
            return given
        return salesforce_default(name, reference) if kind == "salesforce" else name.lower()

    columns = [ExportColumn(f.name, api(f.name, False), f.type) for f in entity.fields if f.name not in obj.skip]
    columns += [ExportColumn(r.name, api(r.name, True), "reference", r.entity, r.deferred)
                for r in entity.references if r.name not in obj.skip]
    return tuple(columns)
