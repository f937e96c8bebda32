"""The Salesforce target: a Data Loader bundle, upserting every object on an External ID field.

In:  the ``Bundle`` and ``spec.target.salesforce`` (entities -> objects, API names).
Out: ``generated/<name>/salesforce/``: ``export.sql`` (the rows of each step, from the run's
DuckDB file) and one Data Loader mapping file per step (``010_Account.sdl``), rendered from
``targets/salesforce/``. ``ferry push --to salesforce`` (``compiler.targets.bundles``) runs the
queries, splits the rows into CSV files and renders ``process-conf.xml`` for them with
``process_conf`` below, from the same templates.

Steps follow the load order. An entity's first pass upserts its fields and the
references to entities loaded before it; references set in a second pass by ferry
(self-references, deferred ones) are upserted in a second step of their own, with only
the External ID and those columns, once their targets are loaded. A reference is a
relationship column: ``Account.External_Id__c`` holds the parent's ferry id, and the
mapping file maps it the way Data Loader writes it (``Account\\:Account-External_Id__c``:
relationship, parent object, its External ID field).
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import jinja2

from compiler import __version__
from compiler.importers import export_columns, relationship
from compiler.order import LinkStep, LoadStep
from compiler.render.adapter import Adapter, Rendered, one_line
from compiler.render.importer import ExportStep, Output, select, stem
from compiler.sqlgen import Bundle

QUERIES = "export.sql"


@dataclass(frozen=True, slots=True)
class SfMapping:
    header: str  # CSV column
    field: str  # Salesforce destination, unescaped: Name, or Account:Account-External_Id__c

    @property
    def line(self) -> str:
        return f"{_escape(self.header)}={_escape(self.field)}"


@dataclass(frozen=True, slots=True)
class SfStep:
    step: ExportStep
    mappings: tuple[SfMapping, ...]

    @property
    def sdl(self) -> str:
        return f"{self.step.name}.sdl"


@dataclass(frozen=True, slots=True)
class SfBundle:
    version: str
    spec_path: str
    name: str
    external_id: str
    steps: tuple[SfStep, ...]


@dataclass(frozen=True, slots=True)
class SfProcess:
    """One Data Loader batch-mode process (a bean in process-conf.xml): one CSV file. Values are XML-escaped."""

    id: str  # attribute value, quoted
    name: str
    description: str
    entries: tuple[tuple[str, str], ...]  # (key, value), both quoted attributes


def _escape(text: str) -> str:
    """A key or value as java.util.Properties (and so Data Loader) writes it in a mapping file."""
    out = []
    for i, ch in enumerate(text):
        if ch in "\\:=#!" or (ch == " " and i == 0):
            out.append("\\" + ch)
        elif ord(ch) > 0x7E or ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return "".join(out)


def _steps(bundle: Bundle) -> tuple[SfStep, ...]:
    spec, export = bundle.spec, bundle.spec.target.salesforce
    key = export.external_id
    out: list[SfStep] = []

    def add(entity_name: str, phase: str, columns: tuple, suffix: tuple[str, ...]) -> None:
        entity, obj = spec.entity(entity_name), export.object_for(entity_name)
        outputs, mappings = [Output(key, "id", "id")], [SfMapping(key, key)]
        for c in columns:
            if c.is_reference:
                parent = export.object_for(c.entity).object
                rel = relationship(c.api)
                outputs.append(Output(f"{rel}.{key}", c.name, "id"))
                mappings.append(SfMapping(f"{rel}.{key}", f"{rel}:{parent}-{key}"))
            else:
                outputs.append(Output(c.api, c.name, c.type))
                mappings.append(SfMapping(c.api, c.api))
        name = stem(len(out) + 1, obj.object, *suffix)
        step = ExportStep(name, entity_name, obj.object, "upsert", phase, tuple(o.header for o in outputs),
                          select(spec, entity, tuple(outputs)),
                          ",".join(c.name for c in columns) if phase == "links" else None,
                          tuple(o.column for o in outputs))
        out.append(SfStep(step, tuple(mappings)))

    for s in bundle.order.steps:
        obj = export.object_for(getattr(s, "entity", ""))
        if obj is None:
            continue
        columns = export_columns(spec.entity(s.entity), obj, "salesforce")
        if isinstance(s, LoadStep):
            add(s.entity, "records", tuple(c for c in columns if not c.deferred), ())
        elif isinstance(s, LinkStep):
            later = tuple(c for c in columns if c.deferred and c.name in s.references)
            if later:
                add(s.entity, "links", later, ("links",))
    return tuple(out)


def context(bundle: Bundle, spec_path: str) -> SfBundle:
    spec = bundle.spec
    return SfBundle(__version__, one_line(spec_path), spec.name, spec.target.salesforce.external_id, _steps(bundle))


def render(bundle: Bundle, spec_path: str, templates: jinja2.Environment) -> Rendered:
    ctx = context(bundle, spec_path)
    files = {QUERIES: templates.get_template("export.sql.j2").render(bundle=ctx)}
    sdl = templates.get_template("mapping.sdl.j2")
    for s in ctx.steps:
        files[s.sdl] = sdl.render(bundle=ctx, step=s)
    export = bundle.spec.target.salesforce
    return Rendered(files, {
        "queries": QUERIES, "external_id": export.external_id, "batch_size": export.batch_size,
        "timezone": export.timezone,
        "steps": [s.step.manifest(mapping=s.sdl, external_id=export.external_id) for s in ctx.steps],
    })


def process_conf(spec_name: str, timezone: str, batch_size: int, files: tuple[tuple[dict, str], ...],
                 templates: jinja2.Environment) -> str:
    """process-conf.xml for Data Loader's batch mode: one upsert process per CSV file, in load order.

    ``files`` pairs each file's step (its compile manifest entry) with the file's name. Paths
    are relative: run Data Loader with the bundle folder as its configuration folder. Login
    settings (sfdc.endpoint, sfdc.username, ...) belong in that folder's config.properties."""
    processes = []
    for step, csv in files:
        stem_ = csv.removesuffix(".csv")
        entries = {
            "sfdc.entity": step["object"],
            "process.operation": "upsert",
            "sfdc.externalIdField": step["external_id"],
            "process.mappingFile": step["mapping"],
            "dataAccess.type": "csvRead",
            "dataAccess.name": csv,
            "dataAccess.readUTF8": "true",
            "process.outputSuccess": f"results/{stem_}_success.csv",
            "process.outputError": f"results/{stem_}_error.csv",
            "sfdc.timezone": timezone,
            "sfdc.useBulkApi": "true",
            "sfdc.loadBatchSize": str(min(batch_size, 10000)),
            "sfdc.insertNulls": "true",
        }
        processes.append(SfProcess(
            id=quoteattr(stem_), name=quoteattr(stem_),
            description=escape(f"{spec_name}: upsert {step['object']} ({step['phase']}) from {csv} "
                               f"on {step['external_id']}"),
            entries=tuple((quoteattr(k), quoteattr(v)) for k, v in entries.items())))
    return templates.get_template("process-conf.xml.j2").render(version=__version__, processes=tuple(processes))


ADAPTER = Adapter(name="salesforce", render=render, wanted=lambda spec: spec.target.salesforce is not None)
