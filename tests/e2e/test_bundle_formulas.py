"""Formula-like cells in the importer bundles: `formulas: warn | escape | refuse`, end to end.

One source holds a value of every kind a spreadsheet would run (``=``, ``@``, ``+``/``-`` not
followed by a number, a leading tab or carriage return) beside E.164 phones and negative
amounts, which are values in every mode. Each mode is its own project, compiled and run once,
then pushed as both bundles in files of 3 records, so that rows are numbered per file. All have
the same spec name, so the same records get the same ids (and so the same files and rows).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from compiler import api
from compiler.cli import app
from compiler.errors import FerryError

pytestmark = pytest.mark.slow
KINDS = ("salesforce", "hubspot")
BATCH = 3

#: (name, phone, notes, amount); a value in FORMULAS is formula-like, every other one is not.
ROWS = [
    ("Anna Nowak", "+48601234567", '=HYPERLINK("http://evil.example","click")', "-12.50"),
    ("@SUM(A1:A2)", "+12025550123", "plain note", "100.00"),
    ("Jan Kowalski", "+48 601 234 567", "+cmd|' /C calc'!A0", "-1000.00"),
    ("-2+3", "+48601234568", "- call back", "0.00"),
    ("Ewa Lis", "+48601234569", "\tindented", "-0.01"),
    ("=1+1", "+48601234570", "\rafter a carriage return", "5.00"),
    ("Olek Mak", "+1 (555) 010-9999", "a=b, and -2 later", "-7.00"),
    ("Ola Wąs", "+48601234571", "", "-3.50"),
]
FORMULAS = {'=HYPERLINK("http://evil.example","click")', "@SUM(A1:A2)", "+cmd|' /C calc'!A0", "-2+3",
            "- call back", "\tindented", "=1+1", "\rafter a carriage return", "+1 (555) 010-9999"}
CLEAN = [("Anna Nowak", "+48601234567", "note", "-12.50"), ("Jan Kowalski", "+48 601 234 567", "a=b", "-0.01"),
         ("Ewa Lis", "+12025550123", "", "3.00"), ("Ola Wąs", "+48601234571", "x -1", "-1000.00")]
#: bundle -> (name, phone, notes, amount) headers
HEADERS = {"salesforce": ("LastName", "Phone", "Description", "Amount__c"),
           "hubspot": ("lastname", "phone", "notes", "amount")}

SPEC = """\
version: 1
name: formulas
sources:
  people: {{path: people.csv, id: id, options: {{delimiter: ","}}}}
entities:
  contact:
    source: people
    fields:
      name: name
      phone: phone
      notes: notes
      amount: {{from: amount, type: decimal, precision: 10, scale: 2}}
target:
  path: out.duckdb
  salesforce:
    external_id: Legacy_Id__c
    batch_size: {batch}{salesforce}
    objects:
      contact: {{object: Contact, fields: {{name: LastName, phone: Phone, notes: Description}}}}
  hubspot:
    batch_size: {batch}{hubspot}
    objects:
      contact: {{object: contacts, fields: {{name: lastname}}}}
"""


def write_project(folder: Path, rows: list[tuple[str, ...]], mode: str | None) -> Path:
    folder.mkdir(parents=True)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(["id", "name", "phone", "notes", "amount"])
    writer.writerows((i, *r) for i, r in enumerate(rows, start=1))
    (folder / "people.csv").write_text(text.getvalue(), encoding="utf-8", newline="")
    line = f"\n    formulas: {mode}" if mode else ""
    spec = folder / "formulas.yaml"
    spec.write_text(SPEC.format(batch=BATCH, salesforce=line, hubspot=line), encoding="utf-8")
    options = api.Options(out=folder / "generated")
    api.compile_spec_files(spec, options)
    api.run_spec(spec, options)
    return spec


@pytest.fixture(scope="module")
def projects(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("formulas")
    out = {mode or "default": write_project(tmp / (mode or "default"), ROWS, mode)
           for mode in (None, "warn", "escape", "refuse")}
    out.update({f"clean-{mode}": write_project(tmp / f"clean-{mode}", CLEAN, mode)
                for mode in ("warn", "escape", "refuse")})
    return out


def push(spec: Path, kind: str, folder: Path):
    result = CliRunner().invoke(app, ["push", str(spec), "--to", kind, "--out", str(spec.parent / "generated"),
                                      "--bundle-dir", str(folder)])
    stderr = getattr(result, "stderr", result.output)
    return result, [line for line in stderr.splitlines() if line.strip()]


def record_files(folder: Path) -> dict[str, list[dict[str, str]]]:
    """The bundle's record files (not associations): file -> its rows, as the importer reads them."""
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    out = {}
    for f in manifest["files"]:
        if f["phase"] == "records":
            with (folder / f["name"]).open(encoding="utf-8", newline="") as fh:
                out[f["name"]] = list(csv.DictReader(fh))
    return out


def expected_cells(folder: Path, kind: str, rows: list[tuple[str, ...]]) -> list[dict[str, object]]:
    """Where the formula-like values of ``rows`` are in the bundle, found by each record's amount and phone."""
    headers = HEADERS[kind]
    by_record = {(r[1], r[3]): r for r in rows}
    cells = []
    for name, records in record_files(folder).items():
        order = list(records[0])
        for number, record in enumerate(records, start=2):
            source = by_record[(record[headers[1]].lstrip("'"), record[headers[3]])]
            cells += [{"file": name, "row": number, "column": header}
                      for header, value in sorted(zip(headers, source), key=lambda hv: order.index(hv[0]))
                      if value in FORMULAS]
    return cells


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("mode", ["default", "warn"])
def test_warn_writes_every_value_as_it_is_and_lists_every_formula_cell(projects, tmp_path, kind, mode):
    folder = tmp_path / kind
    result, lines = push(projects[mode], kind, folder)
    assert result.exit_code == 0, result.output
    files = record_files(folder)
    written = [tuple(r[h] for h in HEADERS[kind]) for rows in files.values() for r in rows]
    assert sorted(written) == sorted(ROWS)  # byte for byte what the source holds
    listed = json.loads((folder / "manifest.json").read_text("utf-8"))["formulas"]
    cells = expected_cells(folder, kind, ROWS)
    assert len(cells) == len([v for r in ROWS for v in r if v in FORMULAS]) == 9
    assert listed["mode"] == "warn" and listed["cells"] == cells and "spreadsheet" in listed["note"]
    # one warning per file that has any: the file, the first cell's row, the count, the first column
    per_file = {}
    for c in cells:
        per_file.setdefault(c["file"], []).append(c)
    assert len(lines) == len(per_file) >= 2
    for line, (name, found) in zip(lines, per_file.items()):
        n = len(found)
        assert line.startswith(f"{folder / name}:{found[0]['row']}: warning: {n} formula-like cell{'s' * (n > 1)} ")
        assert f"column {found[0]['column']}" in line and f"target.{kind}.formulas" in line


@pytest.mark.parametrize("kind", KINDS)
def test_escape_puts_an_apostrophe_before_formula_cells_only(projects, tmp_path, kind):
    folder = tmp_path / kind
    result, lines = push(projects["escape"], kind, folder)
    assert result.exit_code == 0, result.output
    written = sorted(tuple(r[h] for h in HEADERS[kind]) for rows in record_files(folder).values() for r in rows)
    assert written == sorted(tuple("'" + v if v in FORMULAS else v for v in r) for r in ROWS)
    listed = json.loads((folder / "manifest.json").read_text("utf-8"))["formulas"]
    assert listed["mode"] == "escape" and listed["cells"] == expected_cells(folder, kind, ROWS)
    assert "apostrophe" in listed["note"] and all(": note: " in line for line in lines) and lines


@pytest.mark.parametrize("kind", KINDS)
def test_refuse_is_one_located_error_and_writes_nothing(projects, tmp_path, kind):
    spec, warned = projects["refuse"], projects["warn"]
    folder = tmp_path / "bundle"
    with pytest.raises(FerryError) as caught:
        api.export_bundle(spec, api.Options(out=spec.parent / "generated"), kind, folder)
    (d,) = caught.value.diagnostics
    text = spec.read_text("utf-8").splitlines()
    formulas_line = text.index("    formulas: refuse", text.index(f"  {kind}:")) + 1  # the line in this bundle's section
    assert (d.code, d.span.file, d.span.line) == ("F744", str(spec), formulas_line)
    assert not folder.exists() and not list(tmp_path.iterdir())  # no bundle, no temporary folder
    # the same records as the warned bundle: the error names its first cell and the count
    api.export_bundle(warned, api.Options(out=warned.parent / "generated"), kind, folder)
    first = json.loads((folder / "manifest.json").read_text("utf-8"))["formulas"]["cells"][0]
    assert f"9 formula-like cells in the {kind} bundle, the first in {first['file']} row {first['row']} column " \
           f"{first['column']}," in d.message and "nothing written" in d.message
    # through the CLI, over that bundle: one line, exit 1, the previous bundle as it was
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    result, lines = push(spec, kind, folder)
    assert result.exit_code == 1 and len(lines) == 1 and "[F744]" in lines[0] and "Traceback" not in result.output
    assert lines[0].startswith(f"{spec}:{formulas_line}:") and "formulas: warn" in lines[0]
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]


@pytest.mark.parametrize("kind", KINDS)
def test_e164_phones_and_negative_amounts_are_never_touched(projects, tmp_path, kind):
    _, phone, _, amount = HEADERS[kind]
    for mode in ("default", "warn", "escape"):
        folder = tmp_path / mode
        assert push(projects[mode], kind, folder)[0].exit_code == 0
        records = [r for rows in record_files(folder).values() for r in rows]
        e164 = sorted(r[phone] for r in records if r[phone].startswith("+4") or r[phone].startswith("+120"))
        assert e164 == sorted(r[1] for r in ROWS if r[1] not in FORMULAS), mode
        assert sorted(r[amount] for r in records) == sorted(r[3] for r in ROWS), mode
        assert [r[amount] for r in records if r[amount].startswith("-")], mode  # there are negative ones


@pytest.mark.parametrize("kind", KINDS)
def test_without_formula_cells_every_mode_writes_the_same_bytes(projects, tmp_path, kind):
    bundles = {}
    for mode in ("warn", "escape", "refuse"):
        folder = tmp_path / mode
        result, lines = push(projects[f"clean-{mode}"], kind, folder)
        assert result.exit_code == 0 and lines == [], result.output
        assert "formulas" not in json.loads((folder / "manifest.json").read_text("utf-8"))
        bundles[mode] = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()
                         and p.suffix == ".csv"}
    assert bundles["warn"] == bundles["escape"] == bundles["refuse"] and bundles["warn"]
