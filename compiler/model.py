"""The typed IR of a migration spec: frozen dataclasses, tuples, a span on every node.

In:  nothing (built by ``validate.build`` from a schema-valid ``Document``).
Out: ``Spec`` and its parts. Every later stage reads these and nothing else:
no stage after validation looks at raw YAML dicts.

Collections are tuples sorted by name wherever order carries no meaning
(sources, entities, references), so reordering keys in a spec never changes
the compiled output. Field order is kept as written: it is the column order of
the target table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from compiler.errors import Span
from compiler.formats import (FORMAT_OPTIONS, JSON_READ_FORMAT, READS_AS, SOURCE_FORMATS,  # noqa: F401 (re-exported)
                              CsvOptions, JsonOptions, SourceFormat, SourceOptions, XlsxOptions, XmlOptions)
from compiler.matchmodel import MatchModel

#: Field types a value can be cast to. A value that does not cast is a reject.
FieldType = Literal["string", "integer", "decimal", "date", "timestamp", "boolean"]
FIELD_TYPES: tuple[str, ...] = ("string", "integer", "decimal", "date", "timestamp", "boolean")

#: ``type: decimal`` without ``precision``/``scale``: 18 digits, 4 of them after the point.
DECIMAL_PRECISION, DECIMAL_SCALE = 18, 4
#: The most digits a decimal can have (DuckDB's and, for ferry, PostgreSQL's limit).
MAX_PRECISION = 38


OnMissing = Literal["reject", "null"]

#: What a value that fails its field (a transform, the cast, a rule) does to the record:
#: ``reject`` the whole record (the default), or load it with the field ``null`` and record the
#: value and its reason in ``_ferry.emptied_values``.
OnError = Literal["reject", "null"]

TargetKind = Literal["duckdb"]
#: What `ferry push --to salesforce|hubspot` does with a cell a spreadsheet would run as a formula.
FormulaMode = Literal["warn", "escape", "refuse"]



@dataclass(frozen=True, slots=True)
class Source:
    """An input file, read with all columns as text (nothing is mangled on read)."""

    name: str
    path: str  # relative to the spec file, as written
    format: SourceFormat
    id_column: str  # the old system's id: the key of the crosswalk
    options: SourceOptions
    span: Span
    id_span: Span
    path_span: Span
    option_spans: tuple[tuple[str, Span], ...] = ()  # each ``options`` key as written, for F307
    #: the share of the last full run's rows this source may lose before `ferry run` stops (F610)
    shrink_limit: float = 0.5
    export_date: str | None = None  # the day the export was taken, as written (YYYY-MM-DD; F480), for the manifest
    export_date_span: Span | None = None

    def option_span(self, key: str) -> Span:
        """Where an option is written (for errors about its value), else the source's path."""
        return dict(self.option_spans).get(key, self.path_span)

    @property
    def encoding(self) -> str:
        """The text encoding of the file as the spec states it (XML declares its own; the rest are UTF-8)."""
        return self.options.encoding if isinstance(self.options, CsvOptions) else "utf-8"


@dataclass(frozen=True, slots=True)
class Transform:
    """One step applied to a field's text value, in order (see ``sqlgen.transforms``).

    ``args`` are sorted (name, value) pairs; a mapping value is itself a tuple of pairs
    (``region_from``: ``(("column", "country"),)``)."""

    name: str
    args: tuple[tuple[str, object], ...]
    span: Span
    arg_spans: tuple[tuple[str, Span], ...] = ()  # where each argument's value is written ("region_from.sql")
    reads: tuple[str, ...] = ()  # source columns the step reads besides its input (phone's region_from)

    def arg_span(self, key: str) -> Span:
        """Where an argument's value is written (for errors about it), else the transform."""
        return dict(self.arg_spans).get(key, self.span)


@dataclass(frozen=True, slots=True)
class Rule:
    """A validation rule on one field: required, unique, regex, one_of, min or max."""

    kind: str
    arg: object  # the pattern, the allowed values (tuple), the bound; None for required/unique
    span: Span


@dataclass(frozen=True, slots=True)
class Check:
    """A row-level condition: a SQL expression over the entity's target fields (kept as text
    until ``sqlgen``; validation has parsed it and checked it is a scalar over known fields)."""

    name: str
    expression: str
    span: Span


@dataclass(frozen=True, slots=True)
class Filter:
    """Rows where ``keep`` (SQL over target fields) is not true are archived, not migrated."""

    keep: str
    archive: str | None  # file for archived rows, relative to the spec (.parquet or .csv)
    span: Span


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # target column
    columns: tuple[str, ...]  # source columns; several are joined with ``join`` (empty parts skipped),
    #                           or the columns ``sql`` reads
    type: FieldType
    transforms: tuple[Transform, ...]
    span: Span
    column_spans: tuple[Span, ...]
    rules: tuple[Rule, ...] = ()
    join: str = " "
    sql: str | None = None  # the escape hatch: a scalar SQL expression over source columns, instead of ``from``
    sql_span: Span | None = None
    on_error: OnError = "reject"
    on_error_span: Span | None = None
    # ``type: decimal``: digits in all and after the point (defaults filled by build); on
    # another type they stay as written, which validation reports.
    precision: int | None = None
    scale: int | None = None
    precision_span: Span | None = None
    scale_span: Span | None = None

    @property
    def column(self) -> str:
        """The source column(s) as shown in reject reasons: ``first_name+last_name``."""
        return "+".join(self.columns)


@dataclass(frozen=True, slots=True)
class Reference:
    """A foreign key: ``column`` holds the referenced entity's *old* id.

    It resolves through the referenced entity's crosswalk, so it follows merges.
    ``deferred`` references are set in a second pass, after both sides are
    loaded; self-references are always deferred.
    """

    name: str  # target column, holding the new id
    entity: str
    column: str  # source column with the old id
    on_missing: OnMissing
    deferred: bool
    span: Span
    entity_span: Span
    column_span: Span
    #: which of the referenced entity's sources the old ids are from (an entity with several
    #: sources: their ids may collide); None: its only source, or, on a self-reference, the row's own
    source: str | None = None
    source_span: Span | None = None


@dataclass(frozen=True, slots=True)
class FuzzyRule:
    """Rows whose ``fields`` are similar enough are duplicates; only rows in the same block are compared."""

    fields: tuple[str, ...]
    method: str  # jaro_winkler | levenshtein | jaccard
    threshold: float
    block: tuple[str, ...]  # SQL expressions over the entity's fields (validated like checks)
    max_block: int
    span: Span
    q: int = 2  # jaccard: the length of the compared character q-grams
    q_span: Span | None = None  # where ``q`` was written (None: not written)


@dataclass(frozen=True, slots=True)
class SurvivorRule:
    """One record-level criterion: newest / oldest by a field, most_complete, priority of a field's values,
    or ``source``: the record from the first source of ``order`` (an entity with several sources)."""

    kind: str
    field: str | None
    order: tuple[str, ...]
    span: Span


#: Field-level survivorship strategies (``dedup.fields``).
FIELD_STRATEGIES: tuple[str, ...] = ("survivor", "first", "longest", "shortest", "max", "min", "union")


@dataclass(frozen=True, slots=True)
class Dedup:
    keys: tuple[tuple[str, ...], ...]  # exact keys; the entity's natural ``key`` comes first
    key_spans: tuple[Span, ...]
    fuzzy: tuple[FuzzyRule, ...] = ()
    survivor: tuple[SurvivorRule, ...] = ()
    strategies: tuple[tuple[str, str, Span], ...] = ()  # (field, strategy, span), not "survivor"
    model: MatchModel | None = None
    decisions: str | None = None  # pairs to force or forbid: a CSV file, relative to the spec
    decisions_span: Span | None = None
    #: field -> sources, best first: the value comes from the first of them that has one
    #: (``dedup.fields: {email: {source: [newsletter, crm]}}``, strategy ``source``)
    source_orders: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: ``all``: every pair is compared (link and dedup); ``only``: pairs from two different sources
    link: str = "all"
    link_span: Span | None = None
    #: each record links to at most one record of each other source: the best pair wins
    one_to_one: bool = False
    one_to_one_span: Span | None = None

    def source_order(self, field: str) -> tuple[str, ...]:
        return dict(self.source_orders).get(field, ())

    def strategy(self, field: str) -> str:
        return next((s for f, s, _ in self.strategies if f == field), "survivor")


@dataclass(frozen=True, slots=True)
class Match:
    """Link new records to records already in the target that agree on ``on`` (see ``sqlgen.entity``)."""

    on: tuple[str, ...]
    mode: str  # update | skip | insert_only
    update: tuple[str, ...]  # fields written to a matched record (mode update)
    span: Span
    on_span: Span
    update_span: Span | None = None


@dataclass(frozen=True, slots=True)
class Delta:
    """What a later run (``compiler.delta``) does with a field edited in the target that the source changed
    too (``conflicts``) and with a record the new export no longer produces (``gone``)."""

    conflicts: str = "target_wins"  # target_wins | source_wins | reject
    gone: str = "keep"  # keep | archive | delete
    span: Span | None = None  # where ``delta:`` is written; None when the entity has none
    gone_span: Span | None = None


@dataclass(frozen=True, slots=True)
class EntitySource:
    """One of the sources of an entity with several (``sources:``): the mapping of the entity's
    fields for this source's rows (the shared mapping with this source's overrides applied)."""

    name: str
    fields: tuple[Field, ...]  # in the entity's field order; an absent field (``null``) reads no column
    span: Span
    declared: tuple[Field, ...] = ()  # the fields this source maps itself, as written (checked by validate)
    absent: tuple[tuple[str, Span], ...] = ()  # fields this source has no value for (``null``): NULL in its rows
    #: reference -> the column this source's rows hold its old id in (None: they hold none), where written
    references: tuple[tuple[str, str | None, Span], ...] = ()

    def reference_column(self, ref: "Reference") -> str | None:
        return next((c for n, c, _ in self.references if n == ref.name), ref.column)

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True, slots=True)
class Entity:
    name: str
    source: str  # the only source; with ``sources`` the first of them (use ``source_names``)
    table: str
    key: tuple[str, ...]  # natural key: target field names; rows sharing it are merged
    fields: tuple[Field, ...]
    references: tuple[Reference, ...]
    span: Span
    source_span: Span
    key_spans: tuple[Span, ...] = ()  # one per key part
    checks: tuple[Check, ...] = ()
    filter: Filter | None = None
    dedup: Dedup | None = None  # None: no duplicates are looked for
    match: Match | None = None  # None, or mode insert_only: every record is inserted
    #: several sources (``sources:``), in the order written: their rows are unioned; () for ``source:``
    sources: tuple[EntitySource, ...] = ()
    delta: Delta = Delta()  # the defaults when the entity declares no ``delta:``

    @property
    def source_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.sources) if self.sources else (self.source,)

    @property
    def multi(self) -> bool:
        """Several sources: rows carry their source, and old ids are unique per source only."""
        return bool(self.sources)

    def mappings(self) -> tuple[tuple[str, tuple[Field, ...]], ...]:
        """(source, the fields as that source's rows are mapped) for each source of the entity."""
        if not self.sources:
            return ((self.source, self.fields),)
        return tuple((s.name, s.fields) for s in self.sources)

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def reference_column(self, ref: Reference, source: str) -> str | None:
        """The column ``source``'s rows hold the reference's old id in (None: they hold none)."""
        own = next((s for s in self.sources if s.name == source), None)
        return own.reference_column(ref) if own is not None else ref.column

    @property
    def deferred_references(self) -> tuple[Reference, ...]:
        return tuple(r for r in self.references if r.deferred)


@dataclass(frozen=True, slots=True)
class ExportObject:
    """One entity in an importer bundle (``target.salesforce`` / ``target.hubspot``)."""

    entity: str
    object: str  # Salesforce API name (Account) or HubSpot object (companies, 0-2, 2-1234567)
    names: tuple[tuple[str, str], ...]  # (ferry field or reference, API name) as the spec lists them
    skip: tuple[str, ...]  # fields and references left out
    span: Span  # the entity key under ``objects``
    object_span: Span
    name_spans: tuple[tuple[str, Span], ...] = ()  # each ``fields`` key
    skip_spans: tuple[Span, ...] = ()

    def name_for(self, field: str) -> str | None:
        return dict(self.names).get(field)


@dataclass(frozen=True, slots=True)
class Export:
    """An importer bundle: which entities go to which objects, keyed on ferry's record id."""

    kind: str  # salesforce | hubspot
    external_id: str  # Salesforce External ID field / HubSpot unique property holding ferry's id
    batch_size: int  # records per CSV file
    timezone: str  # the zone ferry's zone-less timestamps are read in
    objects: tuple[ExportObject, ...]  # sorted by entity
    span: Span
    formulas: FormulaMode = "warn"  # what `push` does with formula-like cells (compiler.sqlgen.cells.formula_like)
    formulas_span: Span | None = None  # the ``formulas`` key, when the spec sets it

    def object_for(self, entity: str) -> ExportObject | None:
        return next((o for o in self.objects if o.entity == entity), None)


@dataclass(frozen=True, slots=True)
class Target:
    kind: TargetKind
    path: str  # relative to the spec file
    schema: str
    table_prefix: str
    span: Span
    postgres_schema: str = "public"  # `ferry push --to postgres` loads here
    dsn_env: str = "FERRY_PG_DSN"  # the environment variable with the DSN; the DSN is never in the spec
    salesforce: Export | None = None  # `ferry push --to salesforce` writes a Data Loader bundle
    hubspot: Export | None = None  # `ferry push --to hubspot` writes HubSpot import files


@dataclass(frozen=True, slots=True)
class Spec:
    name: str
    path: str  # the spec file, as the user named it
    sha256: str  # of the spec text
    sources: tuple[Source, ...]
    entities: tuple[Entity, ...]
    target: Target
    load_order: tuple[str, ...] | None = None
    load_order_span: Span | None = None
    load_order_spans: tuple[Span, ...] = field(default=())

    def source(self, name: str) -> Source | None:
        return next((s for s in self.sources if s.name == name), None)

    def entity(self, name: str) -> Entity | None:
        return next((e for e in self.entities if e.name == name), None)

    def dependencies(self) -> dict[str, tuple[str, ...]]:
        """entity -> the declared entities it must load after (deferred references excluded)."""
        known = {e.name for e in self.entities}
        return {e.name: tuple(sorted({r.entity for r in e.references if not r.deferred and r.entity in known}))
                for e in self.entities}


def used_columns(spec: Spec, source_name: str) -> tuple[str, ...]:
    """The source's id column first, then every other column the spec reads, sorted."""
    source = spec.source(source_name)
    fields = [f for e in spec.entities for s, mapped in e.mappings() if s == source_name for f in mapped]
    used = {c for f in fields for c in f.columns}
    used |= {c for f in fields for t in f.transforms for c in t.reads}
    used |= {e.reference_column(r, source_name) for e in spec.entities if source_name in e.source_names
             for r in e.references}
    used.discard(None)
    used.discard(source.id_column)
    return (source.id_column, *sorted(used))
