"""Build the typed IR from a schema-valid document.

In:  ``Document`` that passed ``check_schema``.
Out: ``Spec``. Defaults are filled here, in one place, so later stages never
guess. Nothing is checked here beyond what the schema guarantees; semantic
checks run on the result (``validate.checks``).
"""

from __future__ import annotations

from datetime import date
from dataclasses import replace
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp

from compiler.errors import Span
from compiler.load import Document, KeyPath
from compiler.validate.build_model import build_model
from compiler.model import (
    DECIMAL_PRECISION,
    DECIMAL_SCALE,
    Check,
    Delta,
    CsvOptions,
    Dedup,
    Entity,
    EntitySource,
    Export,
    ExportObject,
    Field,
    Filter,
    FuzzyRule,
    JsonOptions,
    Match,
    Reference,
    Rule,
    Source,
    SourceOptions,
    Spec,
    SurvivorRule,
    Target,
    Transform,
    XlsxOptions,
    XmlOptions,
)

#: The format a source has when the spec does not say, by file extension.
FORMAT_BY_EXTENSION = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv",
    ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".json": "json",
    ".ndjson": "ndjson", ".jsonl": "ndjson",
    ".xml": "xml",
}


def build(doc: Document) -> Spec:
    data: dict[str, Any] = doc.data
    sources = tuple(_source(doc, name, raw) for name, raw in sorted(data["sources"].items()))
    entities = tuple(_entity(doc, name, raw) for name, raw in sorted(data["entities"].items()))
    order = data.get("load_order")
    name = data.get("name") or _default_name(doc.path)
    return Spec(
        name=name,
        path=doc.path,
        sha256=doc.sha256,
        sources=sources,
        entities=entities,
        target=_target(doc, data.get("target") or {}, name),
        load_order=tuple(order) if order is not None else None,
        load_order_span=doc.span(("load_order",)) if order is not None else None,
        load_order_spans=tuple(doc.span(("load_order", i)) for i in range(len(order or ()))),
    )


def _default_name(path: str) -> str:
    stem = Path(path).stem.lower()
    cleaned = "".join(c if c.isalnum() else "_" for c in stem).strip("_")
    return cleaned if cleaned and cleaned[0].isalpha() else f"spec_{cleaned}"


def _source(doc: Document, name: str, raw: dict[str, Any]) -> Source:
    at: KeyPath = ("sources", name)
    opts = raw.get("options") or {}
    fmt = raw.get("format") or FORMAT_BY_EXTENSION.get(Path(raw["path"]).suffix.lower(), "csv")
    return Source(
        name=name,
        path=raw["path"],
        format=fmt,
        id_column=raw["id"],
        options=_options(fmt, opts),
        span=doc.key_span(at),
        id_span=doc.span(at + ("id",)),
        path_span=doc.span(at + ("path",)),
        option_spans=tuple((key, doc.key_span(at + ("options", key))) for key in sorted(opts)),
        shrink_limit=float(raw.get("shrink_limit", 0.5)),
        export_date=_date_text(raw["export_date"]) if raw.get("export_date") is not None else None,
        export_date_span=doc.span(at + ("export_date",)) if raw.get("export_date") is not None else None,
    )


def _date_text(value: Any) -> str:
    """An unquoted YAML date is a ``date``; anything else is kept as written (F480 checks it)."""
    return value.isoformat() if isinstance(value, date) else str(value)


def _options(fmt: str, opts: dict[str, Any]) -> SourceOptions:
    """Options for the format; keys meant for another format are ignored here and reported by F309."""
    if fmt == "xlsx":
        sheet = opts.get("sheet")
        return XlsxOptions(sheet=sheet, header_row=opts.get("header_row", 1))
    if fmt == "xml":
        return XmlOptions(record=opts.get("record", ""), encoding_check=opts.get("encoding_check", "error"))
    if fmt in ("json", "ndjson"):
        return JsonOptions()
    return CsvOptions(
        delimiter=opts.get("delimiter", ","),
        encoding=opts.get("encoding", "utf-8"),
        header=opts.get("header", True),
        quote=opts.get("quote", '"'),
        escape=opts.get("escape", '"'),
        encoding_check=opts.get("encoding_check", "error"),
    )


def _entity(doc: Document, name: str, raw: dict[str, Any]) -> Entity:
    at: KeyPath = ("entities", name)
    fields = tuple(_field(doc, at + ("fields", f), f, spec) for f, spec in raw["fields"].items())
    references = tuple(
        _reference(doc, at + ("references", r), name, r, spec)
        for r, spec in sorted((raw.get("references") or {}).items())
    )
    sources = tuple(_entity_source(doc, at + ("sources", s), fields, s, spec or {})
                    for s, spec in (raw.get("sources") or {}).items())
    return Entity(
        name=name,
        source=raw.get("source") or (sources[0].name if sources else ""),
        table=raw.get("table", name),
        key=tuple(raw.get("key") or ()),
        fields=fields,
        references=references,
        span=doc.key_span(at),
        source_span=doc.span(at + ("source",)) if "source" in raw or "sources" not in raw
        else doc.key_span(at + ("sources",)),
        key_spans=tuple(doc.span(at + ("key", i)) for i in range(len(raw.get("key") or ()))),
        checks=tuple(Check(n, text, doc.span(at + ("checks", n))) for n, text in sorted((raw.get("checks") or {}).items())),
        filter=Filter(raw["filter"]["keep"], raw["filter"].get("archive"), doc.span(at + ("filter", "keep")))
        if "filter" in raw else None,
        dedup=_dedup(doc, at, raw),
        match=_match(doc, at + ("match",), raw),
        sources=sources,
        delta=Delta(conflicts=raw["delta"].get("conflicts", "target_wins"), gone=raw["delta"].get("gone", "keep"),
                    span=doc.key_span(at + ("delta",)), gone_span=doc.span(at + ("delta", "gone"))
                    if "gone" in raw["delta"] else doc.key_span(at + ("delta",))) if raw.get("delta") else Delta(),
    )


def _entity_source(doc: Document, at: KeyPath, shared: tuple[Field, ...], name: str,
                   raw: dict[str, Any]) -> EntitySource:
    """One source of an entity with several: the shared fields, each replaced by this source's own
    mapping where it gives one (how to read the value: ``from``/``sql``, ``join``, ``transforms``; the
    type, rules and ``on_error`` stay the entity's), or read as NULL where it says ``null``."""
    given = raw.get("fields") or {}
    declared = tuple(_field(doc, at + ("fields", f), f, spec) for f, spec in given.items() if spec is not None)
    own = {f.name: f for f in declared}
    absent = tuple((f, doc.key_span(at + ("fields", f))) for f, spec in given.items() if spec is None)
    fields = []
    for f in shared:
        if f.name in own:
            o = own[f.name]
            f = replace(f, columns=o.columns, column_spans=o.column_spans, transforms=o.transforms, join=o.join,
                        sql=o.sql, sql_span=o.sql_span)
        elif f.name in dict(absent):
            f = replace(f, columns=(), column_spans=(), transforms=(), sql=None, sql_span=None)
        fields.append(f)
    refs = tuple((r, (spec or {}).get("from"), doc.key_span(at + ("references", r)))
                 for r, spec in (raw.get("references") or {}).items())
    return EntitySource(name=name, fields=tuple(fields), span=doc.key_span(at), declared=declared, absent=absent,
                        references=refs)


def _match(doc: Document, at: KeyPath, raw: dict[str, Any]) -> Match | None:
    spec = raw.get("match")
    if not spec or spec.get("mode") == "insert_only":
        return None
    return Match(
        on=tuple(spec["on"]),
        mode=spec.get("mode", "update"),
        update=tuple(spec.get("update") or raw["fields"]),
        span=doc.key_span(at),
        on_span=doc.span(at + ("on",)),
        update_span=doc.span(at + ("update",)) if "update" in spec else None,
    )


def _dedup(doc: Document, at: KeyPath, raw: dict[str, Any]) -> Dedup | None:
    """The natural ``key`` and ``dedup`` as one rule set: the key is simply the first exact key."""
    spec = raw.get("dedup") or {}
    keys = [tuple(raw["key"])] if raw.get("key") else []
    spans = [doc.span(at + ("key",))] if raw.get("key") else []
    for i, key in enumerate(spec.get("keys") or ()):
        keys.append(tuple(key))
        spans.append(doc.span(at + ("dedup", "keys", i)))
    if not keys and not spec.get("fuzzy") and "dedup" not in raw:
        return None  # (a `dedup` with neither is kept, so that F416 can say so)
    d = at + ("dedup",)
    fuzzy = tuple(
        FuzzyRule(tuple(r["fields"]), r.get("method", "jaro_winkler"), float(r["threshold"]), tuple(r["block"]),
                  r.get("max_block", 1000), doc.span(d + ("fuzzy", i)), r.get("q", 2),
                  doc.key_span(d + ("fuzzy", i, "q")) if "q" in r else None)
        for i, r in enumerate(spec.get("fuzzy") or ())
    )
    return Dedup(
        keys=tuple(keys),
        key_spans=tuple(spans),
        fuzzy=fuzzy,
        survivor=tuple(_survivor(doc.span(d + ("survivor", i)), r) for i, r in enumerate(spec.get("survivor") or ())),
        strategies=tuple((f, s if isinstance(s, str) else "source", doc.span(d + ("fields", f)))
                         for f, s in (spec.get("fields") or {}).items() if s != "survivor"),
        source_orders=tuple((f, tuple(s["source"])) for f, s in (spec.get("fields") or {}).items()
                            if isinstance(s, dict)),
        link=spec.get("link", "all"),
        link_span=doc.span(d + ("link",)) if "link" in spec else None,
        one_to_one=bool(spec.get("one_to_one", False)),
        one_to_one_span=doc.span(d + ("one_to_one",)) if "one_to_one" in spec else None,
        model=build_model(doc, d + ("model",), spec.get("model")),
        decisions=spec.get("decisions"),
        decisions_span=doc.span(d + ("decisions",)) if "decisions" in spec else None,
    )


def _survivor(span: Span, raw: str | dict[str, Any]) -> SurvivorRule:
    if isinstance(raw, str):
        return SurvivorRule(raw, None, (), span)
    ((kind, arg),) = raw.items()
    if kind == "priority":
        return SurvivorRule(kind, arg["field"], tuple(str(v) for v in arg["order"]), span)
    if kind == "source":
        return SurvivorRule(kind, None, tuple(arg), span)
    return SurvivorRule(kind, arg, (), span)


def _field(doc: Document, at: KeyPath, name: str, raw: str | dict[str, Any]) -> Field:
    if isinstance(raw, str):
        return Field(name, (raw,), "string", (), doc.key_span(at), (doc.span(at),))
    transforms = tuple(
        _located(doc, at + ("transforms", i), _transform(doc.span(at + ("transforms", i)), t), t)
        for i, t in enumerate(raw.get("transforms") or ())
    )
    if "sql" in raw:
        columns = list(sql_columns(raw["sql"]))
        spans = [doc.span(at + ("sql",))] * len(columns)
    elif isinstance(raw["from"], list):
        columns = raw["from"]
        spans = [doc.span(at + ("from", i)) for i in range(len(columns))]
    else:
        columns, spans = [raw["from"]], [doc.span(at + ("from",))]
    decimal = raw.get("type") == "decimal"
    return Field(
        name=name,
        columns=tuple(columns),
        type=raw.get("type", "string"),
        transforms=transforms,
        span=doc.key_span(at),
        column_spans=tuple(spans),
        rules=tuple(_rule(doc.span(at + ("rules", i)), r) for i, r in enumerate(raw.get("rules") or ())),
        join=raw.get("join", " "),
        sql=raw.get("sql"),
        sql_span=doc.span(at + ("sql",)) if "sql" in raw else None,
        on_error=raw.get("on_error", "reject"),
        on_error_span=doc.span(at + ("on_error",)) if "on_error" in raw else None,
        precision=raw.get("precision", DECIMAL_PRECISION if decimal else None),
        scale=raw.get("scale", DECIMAL_SCALE if decimal else None),
        precision_span=doc.span(at + ("precision",)) if "precision" in raw else None,
        scale_span=doc.span(at + ("scale",)) if "scale" in raw else None,
    )


def sql_columns(text: str) -> tuple[str, ...]:
    """The source columns a field's ``sql`` reads, in order; none if it does not parse (F411 says why)."""
    try:
        tree = sqlglot.parse_one(text, read="duckdb")
    except sqlglot.errors.SqlglotError:
        return ()
    return tuple(dict.fromkeys(c.name for c in tree.find_all(exp.Column)))


def _rule(span: Span, raw: str | dict[str, Any]) -> Rule:
    if isinstance(raw, str):
        return Rule(raw, None, span)
    ((kind, arg),) = raw.items()
    return Rule(kind, tuple(arg) if isinstance(arg, list) else arg, span)


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple((k, _frozen(v)) for k, v in value.items())
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


def _transform(span: Span, raw: str | dict[str, Any]) -> Transform:
    """Arguments become sorted (name, value) pairs: a list shorthand names its one argument."""
    if isinstance(raw, str):
        return Transform(raw, (), span)
    ((name, args),) = raw.items()
    if name in ("date", "timestamp"):
        args = {"formats": args}
    elif name == "default":
        args = {"value": args}
    # Value maps are sorted by old value, so reordering them in the spec changes nothing.
    args = {k: (tuple(sorted(_frozen(v))) if k == "values" else tuple(v) if isinstance(v, list) else
                _frozen(v) if isinstance(v, dict) else v)
            for k, v in args.items()}
    return Transform(name, tuple(sorted(args.items())), span)


def _located(doc: Document, at: KeyPath, transform: Transform, raw: str | dict[str, Any]) -> Transform:
    """``transform`` with where each argument's value is written (a mapping's keys as
    'region_from.column'), so checks can point at the value they are about, and the source
    columns it reads besides its input."""
    ((name, args),) = raw.items() if isinstance(raw, dict) else (("", None),)
    if not isinstance(args, dict):
        return transform
    spans = []
    for key, value in args.items():
        spans.append((key, doc.span(at + (name, key))))
        if isinstance(value, dict):
            spans += [(f"{key}.{sub}", doc.span(at + (name, key, sub))) for sub in value]
    reads: tuple[str, ...] = ()
    if isinstance(args.get("region_from"), dict):
        ((kind, text),) = args["region_from"].items()
        reads = (text,) if kind == "column" else sql_columns(text)
    return replace(transform, arg_spans=tuple(spans), reads=reads)


def _reference(doc: Document, at: KeyPath, owner: str, name: str, raw: dict[str, Any]) -> Reference:
    deferred = bool(raw.get("deferred", False)) or raw["entity"] == owner
    return Reference(
        name=name,
        entity=raw["entity"],
        column=raw["from"],
        # A deferred reference is set after its row is loaded, so it can only be left empty.
        on_missing=raw.get("on_missing", "null" if deferred else "reject"),
        deferred=deferred,
        span=doc.key_span(at),
        entity_span=doc.span(at + ("entity",)),
        column_span=doc.span(at + ("from",)),
        source=raw.get("source"),
        source_span=doc.span(at + ("source",)) if "source" in raw else None,
    )


def _target(doc: Document, raw: dict[str, Any], spec_name: str) -> Target:
    return Target(
        kind=raw.get("kind", "duckdb"),
        path=raw.get("path", f"build/{spec_name}.duckdb"),
        schema=raw.get("schema", "main"),
        table_prefix=raw.get("table_prefix", ""),
        span=doc.key_span(("target",)),
        postgres_schema=(raw.get("postgres") or {}).get("schema", "public"),
        dsn_env=(raw.get("postgres") or {}).get("dsn_env", "FERRY_PG_DSN"),
        salesforce=_export(doc, "salesforce", raw.get("salesforce"), "external_id", "External_Id__c"),
        hubspot=_export(doc, "hubspot", raw.get("hubspot"), "unique", "ferry_id"),
    )


def _export(doc: Document, kind: str, raw: dict[str, Any] | None, key: str, default: str) -> Export | None:
    if raw is None:
        return None
    at: KeyPath = ("target", kind)
    objects = []
    for entity, spec in sorted(raw["objects"].items()):
        o = at + ("objects", entity)
        names = spec.get("fields") or {}
        skip = spec.get("skip") or ()
        objects.append(ExportObject(
            entity=entity,
            object=spec["object"],
            names=tuple(names.items()),
            skip=tuple(skip),
            span=doc.key_span(o),
            object_span=doc.span(o + ("object",)),
            name_spans=tuple((f, doc.key_span(o + ("fields", f))) for f in names),
            skip_spans=tuple(doc.span(o + ("skip", i)) for i in range(len(skip))),
        ))
    return Export(kind=kind, external_id=raw.get(key, default), batch_size=raw.get("batch_size", 10000),
                  timezone=raw.get("timezone", "UTC"), objects=tuple(objects), span=doc.key_span(at),
                  formulas=raw.get("formulas", "warn"),
                  formulas_span=doc.key_span(at + ("formulas",)) if "formulas" in raw else None)
