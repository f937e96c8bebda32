"""Decision files (``dedup.decisions``): pairs a person decided, checked before a run and bound for it.

In:  a ``Spec`` (validate) or the compile manifest (run), and the spec's folder.
Out: ``check``: located diagnostics for every problem in every decision file (F458-F460), read
whole here, before anything runs; ``bind``: each file's DuckDB variable set to its path, and its
hash for the run manifest. The compiled SQL reads the file itself (``sqlgen.decisions``), so a
decision written after ``ferry compile`` is applied by the next ``ferry run`` without compiling.

The file is UTF-8 CSV with a header naming ``left_id``, ``right_id`` and ``decision`` (other
columns, such as a note or what ``ferry review`` printed, are ignored). ``left_id`` and
``right_id`` are old ids of the entity's source (an entity with several sources: ``<source>/<id>``,
as ``ferry review`` shows them; F478); ``decision`` is ``force`` (the two are one
record) or ``forbid`` (they never are). An I/O edge like ``sources``.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from compiler.errors import Diagnostic, FerryError, Span
from compiler.model import Entity, Spec

COLUMNS = ("left_id", "right_id", "decision")
DECISIONS = ("force", "forbid")
_HINT = "the header is left_id,right_id,decision; each row two old ids and force or forbid"


def _find(parent: dict[str, str], x: str) -> str:
    while parent.setdefault(x, x) != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def _check_file(entity: Entity, path: Path, written: str, span: Span) -> list[Diagnostic]:
    try:
        text = path.read_text("utf-8-sig")
    except FileNotFoundError:
        return [Diagnostic("F458", f"decisions file '{written}' of entity '{entity.name}' does not exist", span,
                           "create it with the header line left_id,right_id,decision (and no rows yet)")]
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        return [Diagnostic("F458", f"cannot read decisions file '{written}': {reason}", span, "write it as UTF-8 CSV")]
    where = str(path)
    try:
        rows = list(csv.reader(text.splitlines(), strict=True))
    except csv.Error as exc:
        return [Diagnostic("F458", f"decisions file is not valid CSV: {exc}", Span(where, 1, 1), _HINT)]
    header = [h.strip() for h in rows[0]] if rows else []
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        return [Diagnostic("F458", f"decisions file lacks the column{'s' if len(missing) > 1 else ''} "
                           f"{', '.join(missing)}", Span(where, 1, 1), _HINT)]
    at = {c: header.index(c) for c in COLUMNS}
    found: list[Diagnostic] = []
    decided: dict[tuple[str, str], tuple[str, int]] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            found.append(Diagnostic("F459", f"decisions row has {len(row)} fields, the header {len(header)}",
                                    Span(where, line, 1), "quote values that hold a comma"))
            continue
        left, right, decision = (row[at[c]].strip() for c in COLUMNS)
        column = at["decision"] + 1
        if decision not in DECISIONS:
            found.append(Diagnostic("F459", f"decision '{decision}' is neither force nor forbid", Span(where, line, column),
                                    "force: the two records are one; forbid: they never are"))
        elif not left or not right or left == right:
            found.append(Diagnostic("F459", "a decision names two different old ids", Span(where, line, 1),
                                    "fill left_id and right_id with the ids of two records"))
        elif entity.multi and (bad := next((x for x in (left, right)
                                            if x.split("/", 1)[0] not in entity.source_names or "/" not in x), None)):
            found.append(Diagnostic("F478", f"'{bad}' names no record of entity '{entity.name}', which reads "
                                    f"{', '.join(entity.source_names)}: its ids are <source>/<id>", Span(where, line, 1),
                                    f"write the id as ferry review shows it, e.g. {entity.source_names[0]}/{bad}"))
        else:
            pair = (min(left, right), max(left, right))
            earlier = decided.setdefault(pair, (decision, line))
            if earlier[0] != decision:
                found.append(Diagnostic("F460", f"ids {pair[0]} and {pair[1]} are both forced and forbidden "
                                        f"(line {earlier[1]})", Span(where, line, column), "keep one decision"))
    parent: dict[str, str] = {}
    for (a, b), (decision, _) in decided.items():
        if decision == "force":
            parent[_find(parent, a)] = _find(parent, b)
    for (a, b), (decision, line) in sorted(decided.items(), key=lambda item: item[1][1]):
        if decision == "forbid" and _find(parent, a) == _find(parent, b) and not any(d.code == "F460" for d in found):
            found.append(Diagnostic("F460", f"ids {a} and {b} are forbidden, but forced pairs connect them",
                                    Span(where, line, at["decision"] + 1),
                                    "a forced chain makes them one record: drop a force or this forbid"))
    return found


def check(spec: Spec) -> list[Diagnostic]:
    """Every decision file the spec names, read whole."""
    base = Path(spec.path).parent
    found: list[Diagnostic] = []
    for entity in spec.entities:
        d = entity.dedup
        if d is not None and d.decisions is not None:
            found += _check_file(entity, base / d.decisions, d.decisions, d.decisions_span or entity.span)
    return found


def bind(con: duckdb.DuckDBPyConnection, spec: Spec, manifest: dict[str, Any], base: Path) -> tuple[dict[str, Any], ...]:
    """For a run: set each decision file's DuckDB variable to its path (the spec's, as sources are: a
    plan's scratch run reads the real file); what the run manifest records of each file."""
    records = []
    for entry in manifest.get("decisions", ()):
        entity = spec.entity(entry["entity"])
        written = entity.dedup.decisions if entity is not None and entity.dedup is not None else None
        path = base / (written or entry["path"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise FerryError(Diagnostic("F458", f"cannot read decisions file {path}: {exc.strerror or exc}",
                                        Span(str(path)), "restore the file, or remove `decisions` from the spec")) from None
        name = exp.to_identifier(entry["variable"], quoted=True).sql(dialect="duckdb")
        con.execute(f"SET VARIABLE {name} = ?", [str(path)])
        records.append({"entity": entry["entity"], "path": str(path), "sha256": hashlib.sha256(data).hexdigest(),
                        "bytes": len(data)})
    return tuple(records)


__all__ = ["COLUMNS", "DECISIONS", "bind", "check"]
