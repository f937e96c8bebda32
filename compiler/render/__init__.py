"""Rendering: ``Bundle`` + ``Target`` -> ``{relative path: text}``.

In:  the ``Bundle`` of sqlglot trees, the target to render for, and the spec's
path relative to the project root (recorded in headers and the manifest).
Out: the text of every file under ``generated/<spec name>/``: one SQL file per
step and ``manifest.json``. Pure: nothing is written here (see ``write``).

Trees become text exactly once, with the target's sqlglot dialect. Templates in
``targets/<name>/`` own only the layout of a file; they get a small typed
context and run with ``StrictUndefined``, so a typo in a template fails loudly.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jinja2

from compiler import __version__
from compiler.render import postgres
from compiler.render.manifest import build_manifest
from compiler.sqlgen import Bundle

TARGETS_DIR = Path(__file__).resolve().parents[2] / "targets"
POSTGRES_SCRIPT = "postgres_load.sql"


@dataclass(frozen=True, slots=True)
class Target:
    """How one kind of target renders: its sqlglot dialect and its template folder."""

    name: str
    dialect: str
    step_template: str = "step.sql.j2"


TARGETS: dict[str, Target] = {
    "duckdb": Target(name="duckdb", dialect="duckdb"),
}


@dataclass(frozen=True, slots=True)
class StepContext:
    """Everything a step template may use."""

    version: str
    spec_path: str
    name: str
    title: str
    statements: tuple[str, ...]


def one_line(text: str) -> str:
    """Text safe inside a ``--`` comment: every kind of line break becomes a space.

    Spec values (paths, names) appear in file headers; a newline in one would end
    the comment and turn the rest into SQL.
    """
    return " ".join(text.splitlines())


@cache
def _environment(target: str) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TARGETS_DIR / target),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render(bundle: Bundle, spec_path: str) -> dict[str, str]:
    target = TARGETS[bundle.spec.target.kind]
    template = _environment(target.name).get_template(target.step_template)
    out: dict[str, str] = {}
    for file in bundle.files:
        context = StepContext(
            version=__version__,
            spec_path=one_line(spec_path),
            name=file.name,
            title=one_line(file.title),
            statements=tuple(s.sql(dialect=target.dialect, pretty=True) for s in file.statements),
        )
        out[file.name] = template.render(**{f: getattr(context, f) for f in context.__slots__})
    hashes = {name: hashlib.sha256(text.encode("utf-8")).hexdigest() for name, text in out.items()}
    manifest = build_manifest(bundle, spec_path, hashes)
    # Load scripts for the other targets, fed from the run's DuckDB file (``compiler.push``).
    out[POSTGRES_SCRIPT] = postgres.render_load(bundle, spec_path, str(TARGETS_DIR))
    manifest["targets"] = {"postgres": {"file": POSTGRES_SCRIPT,
                                        "sha256": hashlib.sha256(out[POSTGRES_SCRIPT].encode("utf-8")).hexdigest(),
                                        "schema": bundle.spec.target.postgres_schema,
                                        "dsn_env": bundle.spec.target.dsn_env}}
    out["manifest.json"] = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return dict(sorted(out.items()))
