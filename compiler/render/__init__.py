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

The step files come from the engines (``compiler.engines``: where the SQL runs):
the embedded DuckDB engine's at the top of ``generated/<name>/``, every other
engine's under ``generated/<name>/<engine>/``; every target writes under
``generated/<name>/<target>/``. The compile manifest lists them all with
their hashes, so ``run``, ``push`` and ``export`` can tell an edited file.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

import jinja2

from compiler.engines import ENGINES, render_steps
from compiler.render import hubspot, postgres, salesforce
from compiler.render.adapter import Adapter, Rendered, one_line
from compiler.render.manifest import build_manifest
from compiler.sqlgen import Bundle

TARGETS_DIR = Path(__file__).resolve().parents[2] / "targets"

#: Every target that has files of its own. ``wanted`` decides per spec whether it is rendered.
ADAPTERS: tuple[Adapter, ...] = (postgres.ADAPTER, salesforce.ADAPTER, hubspot.ADAPTER)

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


def _hashes(files: dict[str, str]) -> dict[str, str]:
    return {name: _sha256(text) for name, text in sorted(files.items())}


def render(bundle: Bundle, spec_path: str) -> dict[str, str]:
    out: dict[str, str] = {}
    engines: dict[str, dict] = {}
    embedded: dict[str, str] | None = None
    for engine in ENGINES:
        steps = render_steps(engine, bundle, spec_path)
        if steps is None:
            continue
        if engine.folder:
            files = {f"{engine.folder}/{name}": text for name, text in steps.files.items()}
            engines[engine.name] = {**steps.manifest, "files": _hashes(files)}
        else:
            files = embedded = steps.files
        out.update(files)
    assert embedded is not None, "the embedded DuckDB engine always runs"
    targets: dict[str, dict] = {}
    for adapter in ADAPTERS:
        if not adapter.wanted(bundle.spec):
            continue
        rendered = adapter.render(bundle, spec_path, templates(adapter.name))
        files = {f"{adapter.folder}/{name}": text for name, text in rendered.files.items()}
        targets[adapter.name] = {**rendered.manifest, "files": _hashes(files)}
        out.update(files)
    manifest = build_manifest(bundle, spec_path, {name: _sha256(text) for name, text in embedded.items()})
    manifest["targets"] = targets
    manifest["engines"] = engines
    out["manifest.json"] = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return dict(sorted(out.items()))
