"""The ``ferry lineage`` command: options -> ``api`` -> print -> exit code.

Kept apart from ``cli`` (which is at its size limit); ``cli`` registers it by name. It reads
``generated/<name>/lineage.json`` (``compiler.lineage``) and imports nothing of sqlglot's lineage.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from compiler import api
from compiler.errors import Diagnostic, FerryError, Span

FORMATS = ("text", "json")

err = Console(stderr=True, highlight=False, emoji=False)


def _fail(exc: FerryError) -> None:
    for diagnostic in exc.diagnostics:
        err.print(diagnostic.format(), markup=False, soft_wrap=True)
    raise typer.Exit(1)


def lineage(
    spec: Annotated[Path, typer.Argument(help="The spec whose compiled lineage to show.")],
    field: Annotated[Optional[str], typer.Argument(help="ENTITY or ENTITY.FIELD; default: every target field.",
                                                   show_default=False)] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder of compiled output (one subfolder per spec).")]
    = Path("generated"),
    fmt: Annotated[str, typer.Option("--format", help="text (a tree) or json.")] = "text",
) -> None:
    """Show which source columns and transforms each target field comes from.

    Reads generated/NAME/lineage.json, which `ferry compile` writes by tracing the compiled SQL
    (sqlglot's lineage) from each target column down to the source file's columns. Steps are the
    spec's transform names, the cast to the field's type (`as date`) and the dedup merge
    (`merge: longest`); a reference shows the entity whose id it looks up, and by which column.
    """
    if fmt not in FORMATS:
        _fail(FerryError(Diagnostic("F833", f"unknown format '{fmt}'", Span(str(spec)), "use --format text or json")))
    try:
        result = api.lineage_spec(spec, api.Options(out=out_dir), field)
    except FerryError as exc:
        _fail(exc)
    from compiler import lineage as lineage_module, lineage_render

    sys.stdout.write(lineage_module.to_json(result) if fmt == "json" else lineage_render.to_text(result))
