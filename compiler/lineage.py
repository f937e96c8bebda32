"""Column lineage, the value: which source columns and spec steps each target field comes from.

In:  nothing (``lineage_trace`` builds it from the compiled trees; ``from_json`` reads it back).
Out: ``Lineage``: per target field, its ``Input``s (a source column and the steps on the way:
transforms by their spec names, the cast, the dedup merge) and its ``Lookup``s (a reference: the
referenced entity's crosswalk, looked up by source columns). ``to_json``/``from_json`` are
``generated/<name>/lineage.json``, which ``ferry lineage``, ``ferry diff`` and the importer
bundles read without compiling (or importing sqlglot).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

FORMAT = "ferry.lineage/v1"
FILE = "lineage.json"  # in generated/<name>/


@dataclass(frozen=True, slots=True)
class Input:
    """A source column, and the spec steps between it and the field, first applied first."""

    source: str
    column: str
    steps: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Lookup:
    """A reference: the id of ``entity``'s record whose old id is the value of ``keys``."""

    entity: str
    keys: tuple[Input, ...]


@dataclass(frozen=True, slots=True)
class FieldLineage:
    entity: str
    field: str
    table: str  # the target table, e.g. main.contact
    inputs: tuple[Input, ...]
    lookups: tuple[Lookup, ...] = ()
    written_by: tuple[str, ...] = ()  # the generated files whose statements write the column
    sql: str = ""  # digest of the SQL that computes it: ``ferry diff`` compares it (arguments of steps)
    untraced: str = ""  # why sqlglot could not trace it (then ``inputs`` are not the whole story); "" when traced

    @property
    def name(self) -> str:
        return f"{self.entity}.{self.field}"


@dataclass(frozen=True, slots=True)
class Lineage:
    spec: str
    spec_sha256: str
    fields: tuple[FieldLineage, ...]

    def field(self, entity: str, field: str) -> FieldLineage | None:
        return next((f for f in self.fields if f.entity == entity and f.field == field), None)


# -- lineage.json ----------------------------------------------------------------------------------------


def _input_json(i: Input) -> dict[str, Any]:
    return {"source": i.source, "column": i.column, "steps": list(i.steps)}


def to_json(lineage: Lineage) -> str:
    data = {
        "format": FORMAT,
        "spec": {"name": lineage.spec, "sha256": lineage.spec_sha256},
        "fields": [
            {"entity": f.entity, "field": f.field, "table": f.table,
             "inputs": [_input_json(i) for i in f.inputs],
             "lookups": [{"entity": k.entity, "keys": [_input_json(i) for i in k.keys]} for k in f.lookups],
             "written_by": list(f.written_by), "sql": f.sql, **({"untraced": f.untraced} if f.untraced else {})}
            for f in lineage.fields
        ],
    }
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _input(data: dict[str, Any]) -> Input:
    return Input(str(data["source"]), str(data["column"]), tuple(str(s) for s in data["steps"]))


def from_json(text: str) -> Lineage:
    """The lineage in a lineage.json (KeyError, TypeError or ValueError when it is not one)."""
    data = json.loads(text)
    if data.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} file")
    fields = tuple(
        FieldLineage(str(f["entity"]), str(f["field"]), str(f["table"]), tuple(_input(i) for i in f["inputs"]),
                     tuple(Lookup(str(k["entity"]), tuple(_input(i) for i in k["keys"])) for k in f["lookups"]),
                     tuple(str(w) for w in f["written_by"]), str(f["sql"]), str(f.get("untraced", "")))
        for f in data["fields"])
    return Lineage(str(data["spec"]["name"]), str(data["spec"]["sha256"]), fields)
