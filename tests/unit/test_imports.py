"""Modules import only from stages before them (no backward imports, no cycles)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "compiler"

#: The pipeline, lowest layer first. A module may import from its own layer or earlier ones.
LAYERS = [
    {"errors", "encodings", "headers", "dag", "functions", "markers", "timeformats", "memdb", "phoneregions"},
    {"load"},
    {"matchmodel", "formats"},
    {"model", "importers", "lineage"},
    {"validate"},
    {"order"},
    {"sqlgen"},
    {"engines"},
    {"render", "lineage_trace"},
    {"write", "sources", "compiled", "filepaths"},
    {"workdir", "reaper", "decisions", "accounting", "history", "delta", "scope_dedup", "scope_commit", "scope", "tuning", "ownership", "run", "rejects", "review", "review_links",
     "plan", "plan_render", "run_render", "diff", "revision", "profile", "starter", "lineage_render",
     "targets", "engines.spark.publish"},  # each target's run-time half; the Spark engine's publish, which runs the DuckDB steps
    {"api"},
    {"cli", "cli_profile", "cli_lineage", "__main__"},
]


def layer_of(module: str) -> int:
    """The layer of the longest dotted prefix of ``module`` that LAYERS names (``engines.spark.publish``, else ``engines``)."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        for i, layer in enumerate(LAYERS):
            if prefix in layer:
                return i
    raise AssertionError(f"compiler.{module} is in no layer: add it to LAYERS")


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        parts = [p for p in rel.parts if p != "__init__"]
        if parts:
            yield ".".join(parts), path


def test_no_backward_imports():
    bad = []
    for name, path in modules():
        own = layer_of(name)
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("compiler"):
                mod = node.module.removeprefix("compiler").lstrip(".")
                # each imported name under its module: ``from compiler.engines.spark import publish`` is a run-layer import
                targets = [f"{mod}.{a.name}" for a in node.names] if mod else [a.name for a in node.names if a.name != "__version__"]
            elif isinstance(node, ast.Import):
                targets = [a.name.removeprefix("compiler.") for a in node.names if a.name.startswith("compiler.")]
            for target in targets:
                if layer_of(target) > own:
                    bad.append(f"compiler.{name} imports compiler.{target}")
    assert not bad, bad


def test_modules_stay_small():
    big = [f"{name}: {n}" for name, path in modules() if (n := len(path.read_text().splitlines())) > 400]
    assert not big, big
