"""Reading and showing column lineage: ``generated/<name>/lineage.json`` -> a tree (text) or JSON.

In:  the ``Spec`` and its compiled folder, and an optional ``ENTITY`` or ``ENTITY.FIELD``.
Out: the ``Lineage`` of the selected fields (``read``, ``select``), as text (``to_text``), as
JSON (``lineage.to_json``), or as the MAPPING.csv of an importer bundle (``mapping_csv``).

Like ``run``, this reads ``generated/`` and never compiles: a lineage.json compiled from
another version of the spec is refused (F831), as ``run`` refuses stale SQL.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path
from typing import Any

from compiler.errors import Diagnostic, FerryError, Span
from compiler.lineage import FILE, FieldLineage, Input, Lineage, Lookup, from_json
from compiler.model import Spec


def read(spec: Spec, directory: Path) -> Lineage:
    """The lineage ``ferry compile`` wrote for this spec (F830 missing or unreadable, F831 stale)."""
    path = directory / FILE
    hint = f"run `ferry compile {spec.path}` (and commit generated/)"
    try:
        lineage = from_json(path.read_text("utf-8"))
    except FileNotFoundError:
        raise FerryError(Diagnostic("F830", f"no lineage at {path}", Span(str(path)), hint)) from None
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise FerryError(Diagnostic("F830", f"{path} is unreadable ({type(exc).__name__}: {exc})", Span(str(path)),
                                    hint)) from None
    if lineage.spec_sha256 != spec.sha256:
        raise FerryError(Diagnostic("F831", f"{path} was compiled from a different version of {spec.path}",
                                    Span(str(path)), hint))
    return lineage


def select(lineage: Lineage, selector: str | None, spec_path: str = "") -> Lineage:
    """The fields ``ENTITY`` or ``ENTITY.FIELD`` names (all when None); F832 when it names none."""
    if selector is None:
        return lineage
    entity, _, field = selector.partition(".")
    chosen = tuple(f for f in lineage.fields if f.entity == entity and (not field or f.field == field))
    if not chosen:
        entities = sorted({f.entity for f in lineage.fields})
        known = (sorted(f.field for f in lineage.fields if f.entity == entity) if entity in entities else entities)
        what = f"field '{field}' of entity '{entity}'" if entity in entities else f"entity '{entity}'"
        raise FerryError(Diagnostic("F832", f"the spec's target has no {what}", Span(spec_path or lineage.spec),
                                    f"use one of: {', '.join(known)}" + ("" if entity in entities else
                                                                          " (or ENTITY.FIELD)")))
    return replace(lineage, fields=chosen)


def _input(i: Input) -> str:
    steps = f" ({', '.join(i.steps)})" if i.steps else ""
    return f"{i.source}.{i.column}{steps}"


def _lookup(k: Lookup) -> str:
    keys = " + ".join(_input(i) for i in k.keys) or "(no source column)"
    return f"{k.entity}.id looked up by {keys}"


def _origins(f: FieldLineage) -> list[str]:
    untraced = [f"(not traced: {f.untraced})"] if f.untraced else []
    return [_input(i) for i in f.inputs] + [_lookup(k) for k in f.lookups] + untraced


def _branch(lines: list[str], prefix: str, label: str, children: list[str], last: bool) -> None:
    lines.append(f"{prefix}{'`-- ' if last else '|-- '}{label}")
    inner = prefix + ("    " if last else "|   ")
    for n, child in enumerate(children):
        lines.append(f"{inner}{'`-- ' if n == len(children) - 1 else '|-- '}<- {child}")


def to_text(lineage: Lineage) -> str:
    """One tree per target table: each field, and where it comes from (steps in brackets, first applied first).

    A field with one origin shows it on its own line; several (columns joined, a merge) are its branches."""
    lines: list[str] = []
    entities = list(dict.fromkeys(f.entity for f in lineage.fields))
    for entity in entities:
        fields = [f for f in lineage.fields if f.entity == entity]
        lines.append(f"{entity} -> {fields[0].table}")
        for n, f in enumerate(fields):
            origins = _origins(f)
            last = n == len(fields) - 1
            if len(origins) == 1:
                _branch(lines, "", f"{f.field} <- {origins[0]}", [], last)
            else:
                _branch(lines, "", f.field if origins else f"{f.field} <- (no source column)", origins, last)
    return "\n".join(lines) + "\n"


#: The columns of a bundle's MAPPING.csv.
MAPPING_HEADER = ("file", "object", "object_field", "entity", "field", "source_columns", "steps", "looked_up")


def mapping_csv(lineage: Lineage, steps: list[dict[str, Any]]) -> str:
    """MAPPING.csv of an importer bundle: per CSV column of each step (its ``headers`` and the entity
    ``columns`` they hold, from the compile manifest), the source columns and steps it comes from.
    Documentation for the admin who imports the bundle; the import itself does not read it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MAPPING_HEADER)
    for step in steps:
        for header, column in zip(step["headers"], step["columns"], strict=True):
            f = lineage.field(step["entity"], column)
            inputs = f.inputs if f else ()
            writer.writerow((step["name"], step["object"], header, step["entity"], column,
                             "; ".join(f"{i.source}.{i.column}" for i in inputs),
                             "; ".join(", ".join(i.steps) for i in inputs if i.steps),
                             "; ".join(_lookup(k) for k in f.lookups) if f else ""))
    return out.getvalue()
