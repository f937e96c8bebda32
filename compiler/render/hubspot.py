"""The HubSpot target: CSV files and import requests for HubSpot's imports API (POST /crm/v3/imports).

In:  the ``Bundle`` and ``spec.target.hubspot`` (entities -> objects, property names).
Out: ``generated/<name>/hubspot/``: ``export.sql`` (the rows of each step) and one
``importRequest`` per step (``010_companies.import.json``), rendered from
``targets/hubspot/``. ``ferry push --to hubspot`` (``compiler.targets.bundles``) writes the CSV
files and, per file, the request with that file's name.

Every record carries the bundle's unique property (``ferry_id`` by default: a custom
property with unique values, holding ferry's record id), mapped as
``HUBSPOT_ALTERNATE_ID``, so importing again updates instead of duplicating.

HubSpot imports at most two objects per import, and a multi-file import needs both
files in the same request. So references are not columns of the record files: each
reference gets an association step after both sides are imported, a file of
(record's unique id, referenced record's unique id) imported as one file with two
objects, both with operation UPDATE (nothing new is created; an id HubSpot does not
know is reported in the import's errors). A reference within one object (company ->
parent company) is a same-object association: its column is ``ASSOCIATION_KEYS``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import jinja2

from compiler import __version__
from compiler.importers import export_columns, hubspot_type
from compiler.order import LinkStep, LoadStep
from compiler.render.adapter import Adapter, Rendered, one_line
from compiler.render.importer import ExportStep, Output, any_set, select, stem
from compiler.sqlgen import Bundle

QUERIES = "export.sql"


@dataclass(frozen=True, slots=True)
class HsStep:
    step: ExportStep
    request: str  # the importRequest, JSON text (its fileName is the step's; the export names each file)

    @property
    def file(self) -> str:
        return f"{self.step.name}.import.json"


@dataclass(frozen=True, slots=True)
class HsBundle:
    version: str
    spec_path: str
    unique: str
    steps: tuple[HsStep, ...]


def _mapping(header: str, type_id: str, prop: str | None, column_type: str | None = None) -> dict[str, object]:
    out: dict[str, object] = {"columnName": header, "columnObjectTypeId": type_id, "propertyName": prop}
    if column_type:
        out["columnType"] = column_type
    return out


def _request(name: str, operations: dict[str, str], mappings: list[dict[str, object]], timezone: str) -> str:
    request = {
        "name": name,
        "importOperations": operations,
        "dateFormat": "YEAR_MONTH_DAY",
        "timeZone": timezone,
        "files": [{"fileName": f"{name}.csv", "fileFormat": "CSV",
                   "fileImportPage": {"hasHeader": True, "columnMappings": mappings}}],
    }
    return json.dumps(request, indent=2, ensure_ascii=False)


def _steps(bundle: Bundle) -> tuple[HsStep, ...]:
    spec, export = bundle.spec, bundle.spec.target.hubspot
    unique, zone = export.external_id, export.timezone
    out: list[HsStep] = []

    def records(entity_name: str, columns: tuple) -> None:
        obj = export.object_for(entity_name)
        type_id = hubspot_type(obj.object)
        outputs = (Output(unique, "id", "id"), *(Output(c.api, c.name, c.type) for c in columns))
        name = stem(len(out) + 1, obj.object)
        mappings = [_mapping(unique, type_id, unique, "HUBSPOT_ALTERNATE_ID")]
        mappings += [_mapping(c.api, type_id, c.api) for c in columns]
        step = ExportStep(name, entity_name, obj.object, "UPSERT", "records", tuple(o.header for o in outputs),
                          select(spec, spec.entity(entity_name), outputs), columns=tuple(o.column for o in outputs))
        out.append(HsStep(step, _request(name, {type_id: "UPSERT"}, mappings, zone)))

    def association(entity_name: str, column) -> None:
        obj, parent = export.object_for(entity_name), export.object_for(column.entity)
        own, other = hubspot_type(obj.object), hubspot_type(parent.object)
        outputs = (Output(unique, "id", "id"), Output(column.name, column.name, "id"))
        name = stem(len(out) + 1, obj.object, column.name)
        same = own == other
        mappings = [_mapping(unique, own, unique, "HUBSPOT_ALTERNATE_ID"),
                    _mapping(column.name, other, unique, "ASSOCIATION_KEYS" if same else "HUBSPOT_ALTERNATE_ID")]
        step = ExportStep(name, entity_name, obj.object, "UPDATE", "associations", tuple(o.header for o in outputs),
                          select(spec, spec.entity(entity_name), outputs, any_set((column.name,))), column.name,
                          tuple(o.column for o in outputs))
        out.append(HsStep(step, _request(name, {own: "UPDATE", other: "UPDATE"}, mappings, zone)))

    for s in bundle.order.steps:
        obj = export.object_for(getattr(s, "entity", ""))
        if obj is None:
            continue
        columns = export_columns(spec.entity(s.entity), obj, "hubspot")
        if isinstance(s, LoadStep):
            records(s.entity, tuple(c for c in columns if not c.is_reference))
            for c in columns:
                if c.is_reference and not c.deferred:
                    association(s.entity, c)
        elif isinstance(s, LinkStep):
            for c in columns:
                if c.is_reference and c.deferred and c.name in s.references:
                    association(s.entity, c)
    return tuple(out)


def context(bundle: Bundle, spec_path: str) -> HsBundle:
    return HsBundle(__version__, one_line(spec_path), bundle.spec.target.hubspot.external_id, _steps(bundle))


def render(bundle: Bundle, spec_path: str, templates: jinja2.Environment) -> Rendered:
    ctx = context(bundle, spec_path)
    files = {QUERIES: templates.get_template("export.sql.j2").render(bundle=ctx)}
    request = templates.get_template("import.json.j2")
    for s in ctx.steps:
        files[s.file] = request.render(step=s)
    export = bundle.spec.target.hubspot
    return Rendered(files, {
        "queries": QUERIES, "unique": export.external_id, "batch_size": export.batch_size,
        "timezone": export.timezone,
        "steps": [s.step.manifest(request=s.file) for s in ctx.steps],
    })


ADAPTER = Adapter(name="hubspot", render=render, wanted=lambda spec: spec.target.hubspot is not None)
