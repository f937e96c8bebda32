"""Two versions of a spec -> what changed: semantics, compiled SQL and, with data, row outcomes.

In:  the base and head ``Spec`` (typed IR), their compiled files ({name: text}) and,
when both could run, the two scratch results (DuckDB files) and their run manifests.
Out: ``SpecDiff``: ``Change`` items (added / removed / changed, ignoring positions in the
file), unified diffs of the compiled files, and per entity an ``OutcomeDelta`` (how
many source rows change outcome, and the records that head adds, changes or drops
compared with base). ``to_text`` / ``to_markdown`` show it.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from compiler.errors import Span
from compiler.lineage import FieldLineage, Lineage
from compiler.model import Entity, Rule, Spec, Transform
from compiler.plan import EntityPlan, attach
from compiler.plan_render import md_code, md_escape
from compiler.run import RunManifest
from compiler.sqlgen.ledgers import OWNER


@dataclass(frozen=True, slots=True)
class Change:
    kind: str  # added | removed | changed
    what: str  # "entity contact / field email"
    detail: str = ""  # "transforms: [trim] -> [trim, lower]"


@dataclass(frozen=True, slots=True)
class FileDiff:
    name: str
    status: str  # added | removed | changed
    diff: str  # unified diff text


@dataclass(frozen=True, slots=True)
class Touched:
    """A target field whose lineage differs: where its value comes from, its steps, or their SQL."""

    kind: str  # added | removed | changed
    field: str  # "contact.email"
    detail: str = ""  # "contacts.email (email, lower) -> contacts.email (email)"


@dataclass(frozen=True, slots=True)
class OutcomeDelta:
    entity: str
    base: dict[str, int]  # loaded, merged, archived, rejected
    head: dict[str, int]
    changed_outcome: int  # source rows (by old id) whose outcome differs between base and head
    records: EntityPlan | None  # head's records compared with base's (insert/update/delete)


@dataclass(frozen=True, slots=True)
class SpecDiff:
    spec: str
    base_rev: str
    base_commit: str
    changes: tuple[Change, ...]
    files: tuple[FileDiff, ...]
    outcomes: tuple[OutcomeDelta, ...] | None  # None: no plan delta (why: ``note``)
    note: str = ""
    touched: tuple[Touched, ...] = ()  # target fields whose lineage the change alters (``touched_fields``)


# -- semantics --------------------------------------------------------------------------------


def show(value: Any) -> str:
    """A compact, YAML-like rendering of an IR value (positions left out)."""
    if isinstance(value, Transform):
        return value.name if not value.args else f"{value.name}: {show(dict(value.args))}"
    if isinstance(value, Rule):
        return value.kind if value.arg is None else f"{value.kind}: {show(value.arg)}"
    if is_dataclass(value):
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in _attributes(value).items()) + "}"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(show(v) for v in value if not isinstance(v, Span)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str) and (value == "" or value != value.strip()):
        return json.dumps(value, ensure_ascii=False)  # blanks made visible
    return "null" if value is None else str(value)


def _attributes(value: Any) -> dict[str, Any]:
    return {f.name: getattr(value, f.name) for f in fields(value) if not f.name.endswith(("span", "spans"))}


def _plain(value: Any) -> Any:
    if is_dataclass(value):
        return {k: _plain(v) for k, v in _attributes(value).items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value if not isinstance(v, Span)]
    return value


def _by_name(items: tuple[Any, ...]) -> dict[str, Any]:
    return {item.name: item for item in items}


def _compare_named(what: str, base: tuple[Any, ...], head: tuple[Any, ...]) -> list[Change]:
    old, new = _by_name(base), _by_name(head)
    out = [Change("removed", f"{what} {n}") for n in old if n not in new]
    out += [Change("added", f"{what} {n}", show(new[n])) for n in new if n not in old]
    for n in new:
        if n in old:
            out += _compare_attributes(f"{what} {n}", old[n], new[n])
    return out


def _compare_attributes(what: str, base: Any, head: Any, skip: tuple[str, ...] = ()) -> list[Change]:
    details = _differences(base, head, skip)
    return [Change("changed", what, "; ".join(details))] if details else []


def _differences(base: Any, head: Any, skip: tuple[str, ...] = (), prefix: str = "") -> list[str]:
    """``key: old -> new`` for each attribute that differs, descending into nested blocks (dedup, match)."""
    a, b = _attributes(base), _attributes(head)
    out = []
    for k in a:
        if k in skip or _plain(a[k]) == _plain(b[k]):
            continue
        if is_dataclass(a[k]) and type(a[k]) is type(b[k]):
            out += _differences(a[k], b[k], prefix=f"{prefix}{k}.")
        elif (isinstance(a[k], tuple) and isinstance(b[k], tuple) and len(a[k]) == len(b[k])
              and all(is_dataclass(x) and type(x) is type(y) for x, y in zip(a[k], b[k]))):
            for i, (x, y) in enumerate(zip(a[k], b[k])):
                out += _differences(x, y, prefix=f"{prefix}{k}[{i}].")
        else:
            out.append(f"{prefix}{k}: {show(a[k])} -> {show(b[k])}")
    return out


def _compare_entity(base: Entity, head: Entity) -> list[Change]:
    where = f"entity {head.name}"
    out = _compare_attributes(where, base, head, skip=("name", "fields", "references", "checks"))
    out += _compare_named(f"{where} / field", base.fields, head.fields)
    out += _compare_named(f"{where} / reference", base.references, head.references)
    out += _compare_named(f"{where} / check", base.checks, head.checks)
    return out


def spec_changes(base: Spec, head: Spec) -> tuple[Change, ...]:
    """What a reviewer should know changed, from the typed IR (so formatting and comments do not count)."""
    out = _compare_named("source", base.sources, head.sources)
    old, new = _by_name(base.entities), _by_name(head.entities)
    out += [Change("removed", f"entity {n}") for n in old if n not in new]
    out += [Change("added", f"entity {n}", f"{len(new[n].fields)} fields, source {new[n].source}")
            for n in new if n not in old]
    for n in new:
        if n in old:
            out += _compare_entity(old[n], new[n])
    out += _compare_attributes("spec", base, head, skip=("path", "sha256", "sources", "entities"))
    return tuple(out)


def file_diffs(base: dict[str, str], head: dict[str, str]) -> tuple[FileDiff, ...]:
    out = []
    for name in sorted(set(base) | set(head)):
        a, b = base.get(name), head.get(name)
        if a == b:
            continue
        status = "added" if a is None else "removed" if b is None else "changed"
        text = "".join(difflib.unified_diff((a or "").splitlines(keepends=True), (b or "").splitlines(keepends=True),
                                            f"base/{name}", f"head/{name}"))
        out.append(FileDiff(name, status, text))
    return tuple(out)


# -- target fields touched -------------------------------------------------------------------


def _origin(f: FieldLineage) -> str:
    inputs = [f"{i.source}.{i.column}" + (f" ({', '.join(i.steps)})" if i.steps else "") for i in f.inputs]
    lookups = [f"{k.entity}.id by " + " + ".join(f"{i.source}.{i.column}" for i in k.keys) for k in f.lookups]
    return "; ".join(inputs + lookups) or "(no source column)"


def touched_fields(base: Lineage, head: Lineage) -> tuple[Touched, ...]:
    """Target fields added, removed, or whose lineage changed between two compiled versions: other
    source columns or steps, or the same ones with other SQL (a step's arguments: `map` values, date formats)."""
    old = {f.name: f for f in base.fields}
    new = {f.name: f for f in head.fields}
    out = []
    for name in sorted(set(old) | set(new)):
        a, b = old.get(name), new.get(name)
        if a is None and b is not None:
            out.append(Touched("added", name, _origin(b)))
        elif b is None and a is not None:
            out.append(Touched("removed", name, _origin(a)))
        elif a is not None and b is not None and (a.inputs, a.lookups, a.sql, a.untraced) != (b.inputs, b.lookups,
                                                                                                b.sql, b.untraced):
            before, after = _origin(a), _origin(b)
            out.append(Touched("changed", name, f"{before} -> {after}" if before != after else
                               f"{after}: its SQL changed (a step's arguments)"))
    return tuple(out)


# -- row outcomes ---------------------------------------------------------------------------


_OUTCOME_COUNTS = ("loaded", "merged", "archived", "rejected")


def outcomes(base_db: Path, head_db: Path, base_compiled: dict[str, Any], head_compiled: dict[str, Any],
             base_run: RunManifest, head_run: RunManifest,
             records: tuple[EntityPlan, ...]) -> tuple[OutcomeDelta, ...]:
    """Per entity in head: counts in both runs, and how many old ids end up with another outcome."""
    base_counts = {c.entity: c for c in base_run.entities}
    base_entities = {e["name"]: e for e in base_compiled["entities"]}
    by_entity = {r.entity: r for r in records}
    con = duckdb.connect()
    try:
        attach(con, base_db, "base")
        attach(con, head_db, "head")
        out = []
        for counts in head_run.entities:
            e = counts.entity
            before = base_counts.get(e)
            changed = counts.read if before is None else _changed_outcomes(
                con, base_entities[e], next(x for x in head_compiled["entities"] if x["name"] == e),
                base_compiled, head_compiled)
            out.append(OutcomeDelta(e, {k: getattr(before, k) for k in _OUTCOME_COUNTS} if before else {},
                                    {k: getattr(counts, k) for k in _OUTCOME_COUNTS}, changed, by_entity.get(e)))
        return tuple(out)
    finally:
        con.close()


def _table(catalog: str, dotted: str) -> exp.Table:
    schema, _, name = dotted.rpartition(".")
    return exp.table_(name, db=schema or "main", catalog=catalog, quoted=True)


def _outcome_rows(catalog: str, e: dict[str, Any], rejects: str, spec: str) -> exp.Select:
    """(source_key, outcome) for every source row with an old id, from the spec's own rows of the crosswalk,
    archive and rejects (a scratch run's target may hold other specs' rows too)."""
    key = exp.column("source_key", quoted=True)

    def mine(column: str = "spec") -> exp.Expression:
        return exp.column(column, quoted=True).eq(exp.Literal.string(spec))

    parts = [exp.select(key.copy(), exp.column("status", quoted=True).as_("outcome")).from_(
        _table(catalog, e["crosswalk"])).where(exp.and_(mine(), exp.column("status", quoted=True).neq(
            exp.Literal.string("kept"))))]  # a kept record's old id: no row of this export
    if e.get("archive"):
        parts.append(exp.select(key.copy(), exp.Literal.string("archived").as_("outcome")).from_(
            _table(catalog, e["archive"]["table"])).where(mine(OWNER)))
    parts.append(exp.select(key.copy(), exp.Literal.string("rejected").as_("outcome")).from_(
        _table(catalog, rejects)).where(exp.and_(exp.column("entity").eq(exp.Literal.string(e["name"])), mine())))
    union = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=False)
    agg = exp.func("array_to_string", exp.func("list_sort", exp.func("list_distinct", exp.func(
        "list", exp.column("outcome")))), exp.Literal.string(","))
    return exp.select(key.copy(), agg.as_("outcome")).from_(union.subquery("u")).where(
        key.copy().is_(exp.null()).not_()).group_by(key.copy())


def _changed_outcomes(con, base_e: dict[str, Any], head_e: dict[str, Any], base: dict[str, Any],
                      head: dict[str, Any]) -> int:
    b = _outcome_rows("base", base_e, base["tables"]["rejects"], base["spec"]["name"])
    h = _outcome_rows("head", head_e, head["tables"]["rejects"], head["spec"]["name"])
    on = exp.column("source_key", table="b", quoted=True).eq(exp.column("source_key", table="h", quoted=True))
    query = exp.select(exp.Count(this=exp.Star())).from_(b.subquery("b")).join(
        h.subquery("h"), on=on, join_type="FULL OUTER").where(exp.column("outcome", table="b").is_(
            exp.null()).or_(exp.column("outcome", table="h").is_(exp.null())).or_(
            exp.NEQ(this=exp.column("outcome", table="b"), expression=exp.column("outcome", table="h"))))
    return con.execute(query.sql(dialect="duckdb")).fetchall()[0][0]


# -- showing ----------------------------------------------------------------------------------

_MARK = {"added": "+", "removed": "-", "changed": "~"}


def to_text(d: SpecDiff) -> str:
    lines = [f"ferry diff {d.spec}: {d.base_rev} ({d.base_commit[:12]}) -> working tree", "", "spec:"]
    lines += [f"  {_MARK[c.kind]} {c.what}" + (f": {c.detail}" if c.detail else "") for c in d.changes] or [
        "  no semantic changes"]
    lines += ["", "target fields touched:"]
    lines += [f"  {_MARK[t.kind]} {t.field}: {t.detail}" for t in d.touched] or ["  none"]
    lines += ["", "compiled SQL:"]
    lines += [f"  {_MARK[f.status]} {f.name}" for f in d.files] or ["  no changes"]
    lines += ["", "plan delta (base -> head, same data and target):"]
    lines += _delta_lines(d) if d.outcomes is not None else [f"  not computed: {d.note}"]
    if d.files:
        lines += ["", *(f.diff.rstrip("\n") for f in d.files)]
    return "\n".join(lines) + "\n"


def _delta_lines(d: SpecDiff) -> list[str]:
    out = []
    for o in d.outcomes or ():
        counts = ", ".join(f"{k} {o.base.get(k, 0)} -> {o.head[k]}" if o.base.get(k) != o.head[k] else f"{k} {o.head[k]}"
                           for k in _OUTCOME_COUNTS)
        rec = o.records
        records = f"; records +{rec.insert} ~{rec.update} -{rec.delete}" if rec else ""
        out.append(f"  {o.entity}: {o.changed_outcome} rows change outcome ({counts}){records}")
    return out + ([f"  note: {d.note}"] if d.note else [])


def to_markdown(d: SpecDiff) -> str:
    lines = [f"### ferry diff: {md_code(d.spec)}", "",
             f"Base {md_code(d.base_rev)} ({md_code(d.base_commit[:12])}) → working tree", "", "#### Spec", ""]
    lines += [f"- {_MARK[c.kind]} **{md_escape(c.what)}**" + (f": {md_code(c.detail)}" if c.detail else "")
              for c in d.changes] or ["No semantic changes."]
    lines += ["", "#### Target fields touched", ""]
    lines += [f"- {_MARK[t.kind]} **{md_escape(t.field)}**: {md_code(t.detail)}" for t in d.touched] or ["None."]
    lines += ["", "#### Plan delta", ""]
    if d.outcomes is None:
        lines.append(f"Not computed: {md_escape(d.note)}")
    else:
        lines += ["| entity | rows changing outcome | loaded | merged | archived | rejected | records \\+ \\~ \\- |",
                  "|---|--:|--:|--:|--:|--:|---|"]
        for o in d.outcomes:
            cells = [f"{o.base.get(k, 0)} → {o.head[k]}" if o.base.get(k) != o.head[k] else str(o.head[k])
                     for k in _OUTCOME_COUNTS]
            rec = o.records
            lines.append(f"| {md_escape(o.entity)} | {o.changed_outcome} | {' | '.join(cells)} | "
                         + (f"\\+{rec.insert} \\~{rec.update} \\-{rec.delete}" if rec else "") + " |")
    lines += ["", "#### Compiled SQL", ""]
    if not d.files:
        lines.append("No changes.")
    for f in d.files:
        fence = "`" * max(3, 1 + max((len(run) for run in re.findall("`+", f.diff)), default=0))
        lines += ["<details>", f"<summary>{_MARK[f.status]} {f.name}</summary>", "", f"{fence}diff",
                  f.diff.rstrip("\n"), fence, "", "</details>", ""]
    return "\n".join(lines) + "\n"
