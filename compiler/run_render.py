"""Showing a ``RunManifest`` in the terminal: the row accounting table and the notes under it.

In:  a ``run.RunManifest``. Out: a list of rich renderables (strings are printed with markup,
``Text`` without). No I/O: the CLI prints what this returns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text

from compiler.run import RunManifest, run_manifest_path


def to_renderables(manifest: RunManifest) -> list[Any]:
    table = Table(title=f"ferry run {manifest.spec['name']} -> {manifest.target['path']}", title_justify="left")
    emptied = any(c.emptied for c in manifest.entities)
    for name in ("entity", "source", "read", "loaded", "merged", "archived", "rejected", "balanced"):
        table.add_column(name, justify="right" if name not in ("entity", "source") else "left")
    if emptied:
        table.add_column("values emptied", justify="right")
    for c in (part for e in manifest.entities for part in (e.by_source or (e,))):  # several sources: one row each
        loaded = f"{c.loaded} ({c.linked} linked)" if c.linked else str(c.loaded)
        table.add_row(c.entity, c.source, str(c.read), loaded, str(c.merged), str(c.archived), str(c.rejected),
                      "yes" if c.balanced else "NO", *([str(c.emptied)] if emptied else []))
    shown: list[Any] = [table]
    for d in manifest.dedup:
        compared = f"{d['pairs_compared']} pairs compared, " if d["pairs_compared"] is not None else ""
        skipped = f", {d['rows_in_skipped_blocks']} rows in blocks over max_block" if d["rows_in_skipped_blocks"] else ""
        shown.append(f"dedup {d['entity']} {d['rule']}: {compared}{d['pairs_matched']} matched{skipped}")
    if any(c.merged for c in manifest.entities):
        shown.append(f"duplicate clusters for review: ferry review {manifest.spec['path']}")
    for record in manifest.inputs:
        shown += [Text(f"{record.path}: {note}") for note in record.notes]
    if manifest.unresolved_references:
        causes = ", ".join(f"{n} {cause}" for cause, n in manifest.unresolved_by_cause.items())
        shown.append(f"{manifest.unresolved_references} references left empty (parent {causes}), "
                     "see _ferry.unresolved_references")
    if emptied:
        shown.append(f"values emptied by on_error: null: _ferry.emptied_values; `ferry rejects {manifest.spec['path']}` "
                     "lists them with their rows")
    shown += _delta_lines(manifest)
    shown.append(f"rejects: _ferry.rejects; crosswalks: _ferry.<entity>_crosswalk; {manifest.seconds:.2f}s")
    shown.append(f"run manifest: {run_manifest_path(Path(manifest.target['path']))}")
    if manifest.sample is not None:
        shown.append(f"pilot run: at most {manifest.sample} rows per source (and the rows they refer to); "
                     "run again without --sample to load everything (the pilot's records are replaced, not doubled)")
    return shown


def _recomputed(s: dict) -> str:
    """Unchanged rows the scope holds all the same, so the parentheses add up to the rows computed."""
    again = s["scope"] - s["new"] - s["changed"]
    return f", unchanged but recomputed {again:,}: not settled last time, or tied to a change" if again else ""


def _delta_lines(manifest: RunManifest) -> list[str]:
    """A delta run: per entity what it inserted, updated and left; conflicts and gone records, never silent."""
    if manifest.delta.get("kind") != "delta":
        return [f"{manifest.delta['kind']} run: the record of what ferry wrote starts here (_ferry.<entity>_written)"
                ] if manifest.delta.get("kind") in ("first", "full") else []
    out = []
    for entity, c in manifest.delta["entities"].items():
        gone = ", ".join(f"{n} {r}" for r, n in c["gone"].items())
        line = f"delta {entity}: +{c['insert']} ~{c['update']} ={c['unchanged']}"
        line += f", {c['conflicts']} conflicts" if c["conflicts"] else ""
        line += f", {c['deleted_in_target']} deleted in the target stay deleted" if c["deleted_in_target"] else ""
        out.append(line + (f", gone: {gone}" if gone else ""))
        s = manifest.delta.get("scope", {}).get(entity)
        if s is not None:  # which rows the steps computed, or why the whole export was (never silent)
            keyless = s.get("keyless", 0)  # counted in "new" by the manifest: named apart here
            out.append(f"  scope {entity}: {s['scope']:,} of {s['rows']:,} rows computed (new {s['new'] - keyless:,}, "
                       f"changed {s['changed']:,}" + (f", without an old id {keyless:,}" if keyless else "") +
                       _recomputed(s) + f"); the other {s['rows'] - s['scope']:,} unchanged, as stored" if s["scoped"]
                       else f"  scope {entity}: every row computed ({s['reason']})")
    if any(c["conflicts"] for c in manifest.delta["entities"].values()):
        out.append("conflicts (edited in the target, changed in the source): _ferry.conflicts")
    if any(c["gone"] for c in manifest.delta["entities"].values()):
        out.append("records gone from the export, under their entity's `delta: {gone: ...}`: _ferry.gone")
    return out
