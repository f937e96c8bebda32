"""Rendering: ``Bundle`` -> ``{relative path: text}`` for every target the spec loads into.

In:  the ``Bundle`` of sqlglot trees and the spec's path relative to the project
root (recorded in headers and the manifest).
Out: the text of every file under ``generated/<spec name>/``. Pure: nothing is
written here (see ``write``).

Each target is an *adapter* (``compiler/render/<target>.py``) plus a template
folder (``targets/<target>/``). An adapter turns the bundle into a small typed
context and renders its templates with it; templates never see raw spec
dicts, and run with ``StrictUndefined`` so a typo in one fails loudly. Adding a
target means adding both and listing the adapter in ``ADAPTERS``.

The DuckDB target (the embedded default, executed by ``ferry run``) writes its
step files at the top of ``generated/<name>/``; every other target writes
under ``generated/<name>/<target>/``. The compile manifest lists them all with
their hashes, so ``run``, ``push`` and ``export`` can tell an edited file.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

import jinja2

from compiler.render import duckdb, hubspot, postgres, salesforce
from compiler.render.adapter import Adapter, Rendered, one_line
from compiler.render.manifest import build_manifest
from compiler.sqlgen import Bundle

TARGETS_DIR = Path(__file__).resolve().parents[2] / "targets"

#: Every target, the embedded one first. ``wanted`` decides per spec whether it is rendered.
ADAPTERS: tuple[Adapter, ...] = (duckdb.ADAPTER, postgres.ADAPTER, salesforce.ADAPTER, hubspot.ADAPTER)

__all__ = ["ADAPTERS", "TARGETS_DIR", "Adapter", "Rendered", "one_line", "render", "templates"]


@cache
def templates(target: str) -> jinja2.Environment:
    """The Jinja2 environment for ``targets/<target>/``."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TARGETS_DIR / target),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def render(bundle: Bundle, spec_path: str) -> dict[str, str]:
    out: dict[str, str] = {}
    targets: dict[str, dict] = {}
    embedded: Rendered | None = None
    for adapter in ADAPTERS:
        if not adapter.wanted(bundle.spec):
            continue
        rendered = adapter.render(bundle, spec_path, templates(adapter.name))
        if adapter.folder:
            files = {f"{adapter.folder}/{name}": text for name, text in rendered.files.items()}
            targets[adapter.name] = {**rendered.manifest,
                                     "files": {name: _sha256(text) for name, text in sorted(files.items())}}
        else:
            files, embedded = rendered.files, rendered
        out.update(files)
    assert embedded is not None, "the embedded DuckDB target is always rendered"
    manifest = build_manifest(bundle, spec_path, {name: _sha256(text) for name, text in embedded.files.items()})
    manifest["targets"] = targets
    out["manifest.json"] = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return dict(sorted(out.items()))
