"""Exporting an importer bundle: ``generated/<name>/<salesforce|hubspot>/`` + the run's DuckDB file -> a folder.

An I/O edge like ``targets.postgres.push``. It reads only what ``compile`` wrote (each file checked
against the compile manifest's sha256) and the DuckDB file ``run`` wrote (read-only),
and writes, in load order:

* CSV files, UTF-8 with a header row of API names, ``<step>_<n>.csv`` with at most
  ``batch_size`` records each, rows in id order. DuckDB writes them (``COPY ... TO``);
  no row passes through Python;
* Salesforce: the step's ``.sdl`` mapping files and ``process-conf.xml`` (one upsert
  process per CSV file); HubSpot: one import request per CSV file (``<file>.import.json``);
* ``MAPPING.csv``: for the admin who imports, each CSV column's source columns and transforms,
  from the compiled lineage (``generated/<name>/lineage.json``);
* ``manifest.json``: every file in load order with its step, object, operation, phase,
  records and sha256, and the records per entity; and, when any, every formula-like cell
  (``compiler.sqlgen.cells.formula_like``: what a spreadsheet would run) by file, row and column.

A formula-like cell is written as it is (``formulas: warn``, the default: the importer must
get the value unchanged, and ``push`` warns once per file), behind an apostrophe
(``escape``: the importer stores the apostrophe too), or stops the export (``refuse``, F744).

The folder is built beside the destination and renamed into place, so a failed export
leaves the previous bundle (or none), never a partial one. Nothing in it depends on the
time or the machine: exporting the same run again gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb

from compiler import compiled, lineage_render
from sqlglot import exp

from compiler.errors import Diagnostic, FerryError, Span, first_line
from compiler.model import Export, Spec
from compiler.render import salesforce, templates
from compiler.sqlgen import cells

KINDS = ("salesforce", "hubspot")
MAPPING = "MAPPING.csv"  # which source columns and transforms each CSV column comes from (``lineage_render``)
_STEP = re.compile(r"^-- ferry:step (\S+)[^\n]*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class BundleFile:
    name: str
    step: str
    entity: str
    object: str
    operation: str
    phase: str
    records: int
    sha256: str


@dataclass(frozen=True, slots=True)
class FormulaCell:
    """A cell a spreadsheet would run as a formula (``cells.formula_like``)."""

    file: str
    row: int  # as a spreadsheet numbers it: the header is row 1, the first record row 2
    column: str  # its header


#: What manifest.json says about the formula-like cells, by ``formulas`` mode.
FORMULA_NOTES = {
    "warn": "written as they are, as the importer must read them; a spreadsheet would run them as formulas: "
            "review these files in a text editor, or import them into a spreadsheet as text",
    "escape": "written behind an apostrophe so that a spreadsheet shows them as text; the importer stores "
              "the apostrophe too",
}


@dataclass(frozen=True, slots=True)
class BundleManifest:
    spec: str
    target: str  # salesforce | hubspot
    batch_size: int
    files: tuple[BundleFile, ...]  # CSV files, in load order
    config: dict[str, str]  # mapping / process / request files -> sha256
    totals: dict[str, int]  # entity -> records exported (their first phase)
    directory: str = ""  # where the bundle was written (not in manifest.json: it would tie the bytes to a machine)
    formulas: str = "warn"  # the spec's mode: warn | escape (refuse writes no bundle)
    formula_cells: tuple[FormulaCell, ...] = ()  # in load order, then row, then column

    def to_json(self) -> str:
        data = asdict(self)
        del data["directory"], data["formulas"], data["formula_cells"]
        if self.formula_cells:  # only then: a bundle without any keeps the bytes it always had
            data["formulas"] = {"mode": self.formulas, "note": FORMULA_NOTES[self.formulas],
                                "cells": [asdict(c) for c in self.formula_cells]}
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    def formula_warnings(self) -> tuple[str, ...]:
        """One line per file with formula-like cells: where the first is, and how many there are."""
        counts = Counter(c.file for c in self.formula_cells)
        firsts = {c.file: c for c in reversed(self.formula_cells)}  # the first of each file wins
        lines = []
        for name, n in counts.items():
            first, cells_ = firsts[name], f"{n} formula-like cell{'s' if n > 1 else ''}"
            what = (f"warning: {cells_} written as the importer must read them (the first in column {first.column}): "
                    "a spreadsheet would run them; manifest.json lists each "
                    f"(target.{self.target}.formulas: escape or refuse)" if self.formulas == "warn" else
                    f"note: {cells_} written behind an apostrophe, which the importer stores too "
                    f"(the first in column {first.column}); manifest.json lists each")
            lines.append(f"{Path(self.directory) / name}:{first.row}: {what}")
        return tuple(lines)


def _fail(code: str, message: str, span: Span, hint: str | None = None) -> FerryError:
    return FerryError(Diagnostic(code, message, span, hint))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_compiled(directory: Path, kind: str) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """The target's compile manifest entry, its verified files' texts, and each step's query."""
    manifest_path = directory / "manifest.json"
    try:
        _, entry, texts = compiled.read_target(directory, kind)
        steps = [s["name"] for s in entry["steps"]]
    except (compiled.NotCompiled, KeyError, TypeError) as exc:
        raise _fail("F740", f"no compiled {kind} bundle in {directory} ({exc.args[0] if exc.args else ''})",
                    Span(str(manifest_path)), f"add target.{kind} to the spec and run `ferry compile`") from None
    except compiled.Edited as exc:
        raise _fail("F740", f"{exc.args[0]} was edited after compiling", Span(str(exc.args[0])),
                    "change the spec or the template, then run `ferry compile`") from None
    sql = texts[f"{kind}/{entry['queries']}"]
    marks = list(_STEP.finditer(sql))
    queries = {m.group(1): sql[m.end():(marks[i + 1].start() if i + 1 < len(marks) else len(sql))].strip().rstrip(";")
               for i, m in enumerate(marks)}
    if sorted(queries) != sorted(steps):
        raise _fail("F740", f"{directory / kind / entry['queries']} does not match the compile manifest",
                    Span(str(manifest_path)), "run `ferry compile` again")
    return entry, texts, queries


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _formula_cells(duck: duckdb.DuckDBPyConnection, step: dict[str, Any], batch_size: int) -> list[FormulaCell]:
    """The formula-like cells of the step's rows (``_ferry_export``), in file, row and column order."""
    headers = step["headers"]
    scans = [exp.select(exp.column("_ferry_n"), exp.Literal.number(i).as_("c")).from_("_ferry_export")
             .where(cells.formula(exp.column(h, quoted=True))) for i, h in enumerate(headers)]
    query = exp.union(*scans, distinct=False) if len(scans) > 1 else scans[0]
    found = duck.execute(exp.select("_ferry_n", "c").from_(query.subquery("f")).order_by("_ferry_n", "c")
                         .sql(dialect="duckdb")).fetchall()
    return [FormulaCell(f"{step['name']}_{(n - 1) // batch_size + 1}.csv", (n - 1) % batch_size + 2, headers[c])
            for n, c in found]


def _write_step(duck: duckdb.DuckDBPyConnection, step: dict[str, Any], query: str, folder: Path,
                batch_size: int, export: Export) -> tuple[list[tuple[str, int]], list[FormulaCell]]:
    """The step's rows in files of ``batch_size``, numbered in order of the first column (ferry's id),
    and their formula-like cells (escaped in the files when the bundle says ``formulas: escape``)."""
    key = '"' + step["headers"][0].replace('"', '""') + '"'
    duck.execute(f"CREATE OR REPLACE TEMPORARY TABLE _ferry_export AS "
                 f"SELECT row_number() OVER (ORDER BY {key}) AS _ferry_n, * FROM ({query})")
    count = duck.execute("SELECT count(*) FROM _ferry_export").fetchall()[0][0]
    found = _formula_cells(duck, step, batch_size)
    if found and export.formulas == "escape":
        columns = ", ".join(cells.escape(exp.column(h, quoted=True)).as_(h, quoted=True).sql(dialect="duckdb")
                            for h in step["headers"])
    else:  # as it was: the importer reads the values, so they go as they are
        columns = ", ".join('"' + h.replace('"', '""') + '"' for h in step["headers"])
    written = []
    for i, lo in enumerate(range(0, count, batch_size), start=1):
        name = f"{step['name']}_{i}.csv"
        duck.execute(f"COPY (SELECT {columns} FROM _ferry_export WHERE _ferry_n > {lo} AND _ferry_n <= {lo + batch_size}"
                     f" ORDER BY _ferry_n) TO {_literal(folder / name)} (FORMAT csv, HEADER true, DELIMITER ',')")
        written.append((name, min(batch_size, count - lo)))
    return written, found


def _hubspot_request(text: str, csv: str, part: int, parts: int) -> str:
    request = json.loads(text)
    request["name"] = f"{request['name']} ({part}/{parts})"
    request["files"][0]["fileName"] = csv
    return json.dumps(request, indent=2, ensure_ascii=False) + "\n"


def _replace(folder: Path, out: Path) -> None:
    """Move the finished bundle into place: the old one goes only after the new one is complete."""
    old = out.parent / f".{out.name}.old"
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    folder.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def export(spec: Spec, generated: Path, target: Path, kind: str, out: Path,
           batch_size: int | None = None) -> BundleManifest:
    """Write the bundle for ``kind`` from the run's DuckDB file ``target`` into ``out`` (replaced whole)."""
    entry, texts, queries = read_compiled(generated, kind)
    lineage = lineage_render.read(spec, generated)  # for MAPPING.csv
    size = batch_size or entry["batch_size"]
    if not target.is_file():
        raise _fail("F606", f"no target at {target}", Span(str(target)), f"run `ferry run {spec.path}` first")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as exc:
        raise _fail("F741", f"cannot write {out}: {exc.strerror or exc}", Span(str(out)),
                    "choose a writable folder with --bundle-dir") from None
    export_spec = getattr(spec.target, kind)
    duck = duckdb.connect()
    try:
        duck.execute(f"ATTACH {_literal(target)} AS target (READ_ONLY)")
        files, config, totals = [], {}, {}
        process_files, formula_cells = [], []
        for step in entry["steps"]:
            written, found = _write_step(duck, step, queries[step["name"]], folder, size, export_spec)
            formula_cells += found
            for part, (name, records) in enumerate(written, start=1):
                files.append(BundleFile(name, step["name"], step["entity"], step["object"], step["operation"],
                                        step["phase"], records, _sha((folder / name).read_bytes())))
                if kind == "hubspot":
                    request = _hubspot_request(texts[f"hubspot/{step['request']}"], name, part, len(written))
                    config[name.removesuffix(".csv") + ".import.json"] = request
                else:
                    process_files.append((step, name))
            if kind == "salesforce":
                config[step["mapping"]] = texts[f"salesforce/{step['mapping']}"]
            if step["phase"] == "records":
                totals[step["entity"]] = totals.get(step["entity"], 0) + sum(r for _, r in written)
        if formula_cells and export_spec.formulas == "refuse":
            raise _refused(export_spec, formula_cells)
        config[MAPPING] = lineage_render.mapping_csv(lineage, entry["steps"])
        if kind == "salesforce":
            config["process-conf.xml"] = salesforce.process_conf(spec.name, entry["timezone"], size,
                                                                 tuple(process_files), templates("salesforce"))
        (folder / "results").mkdir()  # Data Loader's success and error files (process.outputSuccess/Error)
        for name, text in config.items():
            (folder / name).write_text(text, "utf-8", newline="\n")
        manifest = BundleManifest(spec.name, kind, size, tuple(files),
                                  {n: _sha(t.encode("utf-8")) for n, t in sorted(config.items())}, dict(sorted(totals.items())),
                                  str(out), export_spec.formulas, tuple(formula_cells))
        (folder / "manifest.json").write_text(manifest.to_json(), "utf-8", newline="\n")
        duck.close()
        _replace(folder, out)
    except duckdb.Error as exc:
        raise _fail("F742", f"cannot export the {kind} bundle from {target}: {first_line(exc)}", Span(str(target)),
                    f"run `ferry run {spec.path}` again with the current compiled output") from None
    except OSError as exc:
        raise _fail("F741", f"cannot write {out}: {exc.strerror or exc}", Span(str(out)),
                    "choose a writable folder with --bundle-dir") from None
    finally:
        duck.close()
        shutil.rmtree(folder, ignore_errors=True)  # a bundle that was not moved into place: nothing half-written
    return manifest


def _refused(export: Export, found: list[FormulaCell]) -> FerryError:
    first, n = found[0], len(found)
    return _fail("F744", f"{n} formula-like cell{'s' if n > 1 else ''} in the {export.kind} bundle, the first in "
                         f"{first.file} row {first.row} column {first.column}, and target.{export.kind}.formulas "
                         "is refuse: nothing written", export.formulas_span or export.span,
                 "clean those values in the source or with a transform, or set formulas: warn (written as they "
                 "are, listed in manifest.json) or escape (behind an apostrophe, which the importer stores too)")
