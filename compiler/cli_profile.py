"""The ``ferry profile`` and ``ferry init`` commands: options -> ``api`` -> print -> exit code.

Kept apart from ``cli`` (which is at its size limit); ``cli`` registers them by name. Nothing
here imports the profiler until a command runs (``ferry --help`` stays fast).
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from compiler import api
from compiler.errors import Diagnostic, FerryError, Span

PROFILE_FORMATS = ("text", "markdown", "json", "html")

out = Console(highlight=False, emoji=False)
err = Console(stderr=True, highlight=False, emoji=False)


def _fail(exc: FerryError) -> None:
    for diagnostic in exc.diagnostics:
        err.print(diagnostic.format(), markup=False, soft_wrap=True)
    raise typer.Exit(1)


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(FerryError(Diagnostic("F804", f"{output}: cannot write ({exc.strerror})", Span(str(output)),
                                    "choose a path in a folder that exists and is writable")))
    err.print(f"wrote {output}", markup=False)


def profile(
    paths: Annotated[list[Path], typer.Argument(help="Export files, or folders of them (csv, tsv, txt, xlsx, json, "
                                                "ndjson, jsonl, xml).", show_default=False)],
    fmt: Annotated[str, typer.Option("--format", help="text (terminal), markdown (a pull request), json (schema: "
                                     "compiler/schema/profile-v1.json) or html (a page with charts).")] = "text",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to this file instead of stdout.",
                                                   show_default=False)] = None,
) -> None:
    """Look at exports before writing a spec: how to read each file and what its columns hold.

    Per file: format, encoding (with the bytes that decided it), delimiter, header row, XML record
    path. Per column: filled and distinct shares, top values, value shapes (date formats, phone
    numbers by country, decimal separators, NIP checksums) and the share a ferry transform would
    accept; candidate ids, likely duplicate keys, and references between files. DuckDB does the
    counting; shapes and checks are counted over a sample of 20,000 rows of larger files.
    """
    if fmt not in PROFILE_FORMATS:
        _fail(FerryError(Diagnostic("F803", f"unknown format '{fmt}'", Span(str(paths[0]) if paths else "ferry"),
                                    "use --format text, markdown, json or html")))
    try:
        result = api.profile_files(tuple(paths))
    except FerryError as exc:
        _fail(exc)
    from compiler.profile import render

    if fmt == "text" and output is None:
        for renderable in render.to_renderables(result):
            out.print(renderable)
        return
    if fmt == "html":
        from compiler.profile import html

        text = html.to_html(result)
    elif fmt == "text":
        plain = Console(file=io.StringIO(), width=160, highlight=False, emoji=False, color_system=None)
        for renderable in render.to_renderables(result):
            plain.print(renderable)
        text = plain.file.getvalue()
    else:
        text = render.to_json(result) if fmt == "json" else render.to_markdown(result)
    _write(text, output)


def init(
    paths: Annotated[list[Path], typer.Argument(help="The export files, or the folder that holds them.",
                                                show_default=False)],
    name: Annotated[str, typer.Option("--name", help="The spec's name (letters, digits, underscores).")],
    out_path: Annotated[Optional[Path], typer.Option(
        "--out", help="Where to write the spec; default: NAME.yaml beside the data folder (in it, when it is the current folder).", show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace the file if it exists.")] = False,
) -> None:
    """Write a starter spec from the exports: sources with their read options, one entity per file,
    the transforms the value shapes call for (date formats, phone regions, decimal separators, NIP),
    references from the ids found, dedup keys from the duplicates, each choice commented with its
    evidence. It validates and runs on the files it came from: edit it from there (`ferry plan`
    shows what would load and what would be rejected)."""
    first = paths[0] if paths else Path(".")
    folder = first if first.is_dir() else first.parent
    # Beside the data folder (a project holds data/ and its spec); in it when it is where the user stands.
    here = os.path.abspath(folder) == os.path.abspath(os.curdir)
    target = out_path or Path(os.path.abspath(folder)).parent / f"{name}.yaml"  # abspath: a linked folder's own parent
    if out_path is None and here:
        target = Path(f"{name}.yaml")
    try:
        written, found = api.init_spec(tuple(paths), name, target, force)
    except FerryError as exc:
        _fail(exc)
    out.print(f"wrote {written}: {len(found.sources)} sources, {len(found.references)} references "
              f"(profiled in {found.seconds:.1f}s); next: ferry validate {written}", markup=False)
