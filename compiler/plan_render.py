"""Showing a ``Plan``: ``Plan`` -> JSON (schema ``compiler/schema/plan-v1.json``), Markdown, or rich renderables.

In:  a ``plan.Plan``. Out: text (JSON, Markdown) or a list of rich renderables (the terminal).
No I/O: the CLI prints what these return.

The markers are terraform's: ``+`` insert, ``~`` update, ``-`` delete, ``=`` unchanged.
Markdown is meant for a pull-request comment: a summary table, then one collapsible
``<details>`` block per entity with its sample; every value from the data is escaped,
so a ``|`` or ``<`` in a name cannot break the table or inject HTML.
"""

from __future__ import annotations

import html
import json
from typing import Any

from rich.table import Table
from rich.text import Text

from compiler.plan import FORMAT, EntityPlan, Plan, RowChange

MARKS = {"insert": "+", "update": "~", "delete": "-", "unchanged": "="}
STYLES = {"insert": "green", "update": "yellow", "delete": "red", "unchanged": "dim"}
_MAX = 80  # characters of a value shown in text and Markdown (JSON has the full value)


# -- JSON -----------------------------------------------------------------------------------


def to_dict(plan: Plan) -> dict[str, Any]:
    total = {k: sum(getattr(e, k) for e in plan.entities)
             for k in ("insert", "update", "unchanged", "delete", "untouched", "reject", "archive", "emptied")}
    return {
        "format": FORMAT,
        "spec": dict(plan.spec),
        "target": {"path": plan.target, "exists": plan.target_exists},
        "has_changes": plan.has_changes,
        "kind": plan.kind,
        "summary": total,
        "sample_size": plan.sample,
        "timings": {"run_in_scratch_seconds": plan.run_seconds, "compare_seconds": plan.compare_seconds},
        "entities": [_entity_dict(e) for e in plan.entities],
    }


def _entity_dict(e: EntityPlan) -> dict[str, Any]:
    return {
        "entity": e.entity, "table": e.table, "changed": e.changed,
        "insert": e.insert, "update": e.update, "unchanged": e.unchanged, "delete": e.delete,
        "untouched": e.untouched, "reject": e.reject, "archive": e.archive, "emptied": e.emptied,
        "merged": e.merged,
        "linked": e.linked, "previous": {"reject": e.previous_reject, "archive": e.previous_archive},
        "new_table": e.new_table, "columns_added": list(e.columns_added),
        "gone": dict(e.gone),
        "conflicts": [{"id": c.id, "source_key": c.source_key, "field": c.field, "written": c.written,
                       "target": c.target, "source": c.source, "resolution": c.resolution} for c in e.conflicts],
        "samples": [{"action": r.action, "id": r.id, "source_key": r.source_key,
                     "fields": [{"field": f.field, "old": f.old, "new": f.new} for f in r.fields]}
                    for r in e.samples],
    }


def to_json(plan: Plan) -> str:
    return json.dumps(to_dict(plan), indent=2, ensure_ascii=False) + "\n"


# -- Markdown -------------------------------------------------------------------------------


def md_escape(value: str) -> str:
    """Literal text in Markdown: one line, ASCII punctuation backslash-escaped (CommonMark allows it for
    every ASCII punctuation character), so data never becomes markup, a link, HTML or a table cell border."""
    out = []
    for ch in " ".join(value.split("\n")).replace("\r", " "):
        out.append("\\" + ch if ch in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~" else ch)
    return "".join(out)


def _short(value: str | None) -> str:
    if value is None:
        return "null"
    text = value if len(value) <= _MAX else value[: _MAX - 1] + "…"
    return text


def _md_value(value: str | None, limit: int = _MAX) -> str:
    if value is None:
        return "*null*"
    if value == "":
        return '*""*'
    return md_escape(value if len(value) <= limit else value[: limit - 1] + "…")


def md_code(value: str) -> str:
    """A code span for names and paths (a backtick inside falls back to escaped text)."""
    return f"`{value}`" if "`" not in value and "\n" not in value else md_escape(value)


def _headline(plan: Plan) -> str:
    d = to_dict(plan)["summary"]
    if not plan.has_changes:
        return "No changes: the target already matches this spec and its data."
    return f"{d['insert']} to insert, {d['update']} to update, {d['delete']} to delete ({d['unchanged']} unchanged)"


def _record(r: RowChange) -> str:
    return r.source_key if r.source_key is not None else r.id


def to_markdown(plan: Plan) -> str:
    lines = [f"### ferry plan: {md_code(plan.spec['name'])}", "",
             f"{md_code(plan.spec['path'])} → {md_code(plan.target)}"
             + ("" if plan.target_exists else " (new target)"), "",
             f"**{_headline(plan)}**", "",
             "| entity | \\+ insert | \\~ update | \\= unchanged | \\- delete | rejected | archived | emptied |",
             "|---|--:|--:|--:|--:|--:|--:|--:|"]
    for e in plan.entities:
        lines.append(f"| {md_escape(e.entity)} | {e.insert} | {e.update} | {e.unchanged} | {e.delete} | "
                     f"{_with_previous(e.reject, e.previous_reject)} | {_with_previous(e.archive, e.previous_archive)} "
                     f"| {e.emptied} |")
    lines.append("")
    for e in plan.entities:
        if e.changed:
            lines += _md_entity(e)
    lines += _md_delta(plan)
    lines.append(f"<sub>ferry plan ran the compiled SQL on a scratch copy of the target "
                 f"({plan.run_seconds:.1f}s) and compared it ({plan.compare_seconds:.1f}s); "
                 "the target was not written.</sub>")
    return "\n".join(lines) + "\n"


_SHOWN = 20  # conflicts shown in text and Markdown (JSON lists every one)


def _md_delta(plan: Plan) -> list[str]:
    """Gone records under their policy, then the conflicts: field, target value, source value, resolution."""
    lines = []
    gone = [(e.entity, r, n) for e in plan.entities for r, n in e.gone]
    if gone:
        lines += ["**Gone from the export** (records ferry wrote that it no longer produces)", "",
                  "| entity | resolution | records |", "|---|---|--:|"]
        lines += [f"| {md_escape(e)} | {md_escape(r)} | {n} |" for e, r, n in gone] + [""]
    conflicts = [(e.entity, c) for e in plan.entities for c in e.conflicts]
    if conflicts:
        lines += [f"**Conflicts** ({len(conflicts)}): edited in the target, changed in the source", "",
                  "| entity | record | field | written | target | source | resolution |", "|---|---|---|---|---|---|---|"]
        lines += [f"| {md_escape(e)} | {md_escape(c.source_key or c.id)} | {md_escape(c.field)} | {_md_value(c.written)} "
                  f"| {_md_value(c.target)} | {_md_value(c.source)} | {md_escape(c.resolution)} |"
                  for e, c in conflicts[:_SHOWN]]
        if len(conflicts) > _SHOWN:
            lines.append(f"… and {len(conflicts) - _SHOWN} more (`--format json` lists every one).")
        lines.append("")
    return lines


def _with_previous(now: int, before: int | None) -> str:
    return str(now) if before is None or before == now else f"{now} (was {before})"


def _md_entity(e: EntityPlan) -> list[str]:
    marks = " ".join(f"{MARKS[a]}{n}" for a, n in (("insert", e.insert), ("update", e.update),
                                                   ("delete", e.delete)) if n)
    summary = f"<b>{html.escape(e.entity)}</b>: {html.escape(marks or 'no changes')}"
    lines = ["<details>", f"<summary>{summary}</summary>", ""]
    notes = []
    if e.new_table:
        notes.append(f"new table {md_escape(e.table)}")
    if e.columns_added:
        notes.append("columns added: " + ", ".join(md_escape(c) for c in e.columns_added))
    if e.untouched:
        notes.append(f"{e.untouched} records ferry does not manage are left as they are")
    if e.linked:
        notes.append(f"{e.linked} loaded records are existing target records (match)")
    lines += [f"- {n}" for n in notes]
    if notes:
        lines.append("")
    more = e.insert + e.update + e.delete - len(e.samples)
    if e.samples:
        lines += ["Sample: the first records of each action, by id. *record* is the old system's id.", "",
                  "| | record | field | old | new |", "|---|---|---|---|---|"]
        for r in e.samples:
            mark = "\\" + MARKS[r.action]
            who = md_escape(_record(r))
            if r.action == "update":
                for f in r.fields:
                    lines.append(f"| {mark} | {who} | {md_escape(f.field)} | {_md_value(f.old)} | {_md_value(f.new)} |")
            else:
                values = "; ".join(f"{f.field}={_short(f.new if r.action == 'insert' else f.old)}" for f in r.fields)
                cell = _md_value(values, 3 * _MAX)
                old, new = (cell, "") if r.action == "delete" else ("", cell)
                lines.append(f"| {mark} | {who} | *(record)* | {old} | {new} |")
        lines.append("")
    if more > 0:
        lines += [f"… and {more} more changed records (`ferry plan --sample N` shows more).", ""]
    lines += ["</details>", ""]
    return lines


# -- terminal (rich) ------------------------------------------------------------------------


def to_renderables(plan: Plan) -> list[Any]:
    title = f"ferry plan {plan.spec['name']}: {plan.spec['path']} -> {plan.target}"
    table = Table(title=title + ("" if plan.target_exists else " (new target)"), title_justify="left")
    table.add_column("entity", no_wrap=True)
    for name, style in (("+ insert", "green"), ("~ update", "yellow"), ("= unchanged", "dim"),
                        ("- delete", "red"), ("rejected", None), ("archived", None), ("emptied", None)):
        table.add_column(name, justify="right", style=style, no_wrap=True)
    for e in plan.entities:
        table.add_row(e.entity, str(e.insert), str(e.update), str(e.unchanged), str(e.delete),
                      _with_previous(e.reject, e.previous_reject), _with_previous(e.archive, e.previous_archive),
                      str(e.emptied))
    shown: list[Any] = [table]
    for e in plan.entities:
        shown += _text_entity(e)
    shown += _text_delta(plan)
    headline = _headline(plan)
    shown.append(Text(("Plan: " + headline + ".") if plan.has_changes else headline,
                      style="bold" if plan.has_changes else "green"))
    return shown


def _text_entity(e: EntityPlan) -> list[Text]:
    if not e.changed:
        return []
    head = Text()
    head.append(f"\n{MARKS['update'] if not e.new_table else MARKS['insert']} {e.entity}", style="bold")
    head.append(f" ({e.table}{', new table' if e.new_table else ''}"
                + (f", columns added: {', '.join(e.columns_added)}" if e.columns_added else "") + ")")
    out = [head]
    for r in e.samples:
        line = Text("    ")
        line.append(f"{MARKS[r.action]} {_record(r)}", style=STYLES[r.action])
        line.append(f"  id {r.id}", style="dim")
        out.append(line)
        for f in r.fields:
            detail = Text("        ")
            detail.append(f"{f.field}: ")
            if r.action == "update":
                detail.append(_quote(f.old), style="red")
                detail.append(" -> ")
                detail.append(_quote(f.new), style="green")
            else:
                detail.append(_quote(f.new if r.action == "insert" else f.old), style=STYLES[r.action])
            out.append(detail)
    more = e.insert + e.update + e.delete - len(e.samples)
    if more > 0:
        out.append(Text(f"    ... and {more} more (--sample N shows more per action)", style="dim"))
    return out


def _text_delta(plan: Plan) -> list[Text]:
    out = []
    for e in plan.entities:
        if e.gone:
            out.append(Text(f"\ngone from the export, {e.entity}: "
                            + ", ".join(f"{n} {r}" for r, n in e.gone), style="bold"))
    conflicts = [(e.entity, c) for e in plan.entities for c in e.conflicts]
    if conflicts:
        out.append(Text(f"\nconflicts ({len(conflicts)}): edited in the target, changed in the source", style="bold"))
    for entity, c in conflicts[:_SHOWN]:
        line = Text(f"    ! {entity} {c.source_key or c.id} {c.field}: target ")
        line.append(_quote(c.target), style="yellow")
        line.append(", source ")
        line.append(_quote(c.source), style="green")
        line.append(f" (written {_quote(c.written)}) -> {c.resolution}")
        out.append(line)
    if len(conflicts) > _SHOWN:
        out.append(Text(f"    ... and {len(conflicts) - _SHOWN} more (--format json lists every one)", style="dim"))
    return out


def _quote(value: str | None) -> str:
    return "null" if value is None else json.dumps(_short(value), ensure_ascii=False)
