"""`ferry profile`: a first look at exports nobody has described yet.

In:  file paths (a folder stands for the files in it).
Out: ``model.Profile``: per file how to read it (``detect``) and, per column, counts, top
values, value shapes and what a transform makes of them (``measure``, ``refine``); candidate
ids, likely duplicate keys and references between files (``relate``). ``render`` and ``html``
turn it into text, Markdown, JSON and an HTML page; ``ferry init`` (``compiler.starter``)
writes a spec from it.

    detect -> measure.load -> measure.count -> refine -> relate.exact_keys -> relate

All the counting is DuckDB's, over tables read the way a run reads the files: one DuckDB
connection in memory, spilling to a scratch folder, removed at the end.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path

import duckdb
from sqlglot import exp

from compiler import functions
from compiler.errors import Diagnostic, FerryError, Span
from compiler.profile import detect, measure, refine, relate
from compiler.profile.model import Profile, SourceProfile

#: Files a folder stands for (by extension); other files in it are left out.
PROFILED = (".csv", ".tsv", ".txt", ".xlsx", ".json", ".ndjson", ".jsonl", ".xml")


def expand(paths: tuple[Path, ...]) -> tuple[Path, ...]:
    """Folders replaced by the data files directly in them, sorted; F800 for a path that is neither."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in PROFILED)
        elif path.is_file():
            files.append(path)
        else:
            raise FerryError(Diagnostic("F800", f"{path}: no such file or folder", Span(str(path)),
                                        "pass export files, or the folder that holds them"))
    if not files:
        raise FerryError(Diagnostic("F800", f"no data files in {', '.join(map(str, paths))}", Span(str(paths[0])),
                                    f"ferry profiles {', '.join(PROFILED)} files"))
    names = [detect.source_name(p) for p in files]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise FerryError(Diagnostic("F802", f"two files would both be source '{repeated[0]}'", Span(str(files[0])),
                                    "rename one of them, or profile them separately"))
    return tuple(files)


def profile(paths: tuple[Path, ...], memory_limit: str = "4GB") -> Profile:
    started = time.perf_counter()
    files = expand(paths)
    found = [detect.detect(p) for p in files]
    with tempfile.TemporaryDirectory(prefix="ferry-profile-") as tmp:
        con = functions.register(duckdb.connect())
        try:
            for setting, value in (("memory_limit", memory_limit), ("temp_directory", str(Path(tmp) / "spill"))):
                con.execute(f"SET {setting} = {exp.Literal.string(value).sql(dialect='duckdb')}")
            con.execute("SET enable_progress_bar = false")
            measure.define(con)
            profiled, written = [], []
            for i, f in enumerate(found):
                loaded = measure.load(con, f, i, Path(tmp))
                counts = measure.count(con, loaded)
                loaded = dataclasses.replace(loaded, padded=frozenset(
                    name for name, c in zip(loaded.columns, counts) if c.padded))
                columns, exact = relate.exact_keys(con, loaded, refine.refine(con, loaded, counts))
                profiled.append((loaded, columns, relate.candidate_ids(loaded, columns)))
                written.append(exact)
            references = relate.references(con, profiled)
            sources = tuple(SourceProfile(loaded.found, loaded.rows, loaded.sampled, columns, ids,
                                          relate.duplicates(con, loaded, columns, exact))
                            for (loaded, columns, ids), exact in zip(profiled, written))
        finally:
            refine.forget(con)
            con.close()
    return Profile(sources, references, time.perf_counter() - started)
