"""`ferry push --to salesforce|hubspot` on the example: the bundles' files, against the run's DuckDB file.

The example is compiled and run once into a temporary folder, then exported with 50 records
per file so that every object is split.
"""

from __future__ import annotations

import csv
import json
import math
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from compiler import api
from compiler.cli import app
from compiler.errors import FerryError
from tests.helpers import EXAMPLE

pytestmark = pytest.mark.slow
BATCH = 50


@pytest.fixture(scope="module")
def run(tmp_path_factory, compiled_example) -> tuple[Path, api.Options]:
    tmp = tmp_path_factory.mktemp("bundles")
    options = api.Options(out=tmp / "generated", target=tmp / "example.duckdb")
    shutil.copytree(compiled_example, options.out)  # the example's compile, made once per test process
    api.run_spec(EXAMPLE, options)
    return tmp, options


@pytest.fixture(scope="module")
def bundles(run) -> dict[str, tuple[Path, api.bundle_module.BundleManifest]]:
    tmp, options = run
    return {kind: (tmp / kind, api.export_bundle(EXAMPLE, options, kind, tmp / kind, BATCH))
            for kind in ("salesforce", "hubspot")}


def rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        header, *body = list(csv.reader(fh))
    return header, body


def loaded_ids(con: duckdb.DuckDBPyConnection, entity: str) -> list[str]:
    return sorted(i for (i,) in con.execute(
        f"SELECT id::VARCHAR FROM {entity} WHERE id IN (SELECT id FROM _ferry.{entity}_crosswalk "
        "WHERE status = 'loaded' AND NOT coalesce(linked, false))").fetchall())


def compiled_steps(run, kind: str) -> list[dict]:
    tmp, _ = run
    return json.loads((tmp / "generated" / "legacy_crm" / "manifest.json").read_text("utf-8"))["targets"][kind]["steps"]


@pytest.mark.parametrize("kind", ["salesforce", "hubspot"])
def test_every_loaded_record_is_exported_once_in_files_of_the_batch_size(run, bundles, kind):
    tmp, options = run
    folder, manifest = bundles[kind]
    con = duckdb.connect(str(options.target), read_only=True)
    for step in compiled_steps(run, kind):
        files = [f for f in manifest.files if f.step == step["name"]]
        ids = [r[0] for f in files for r in rows(folder / f.name)[1]]
        assert [f.records for f in files] == [len(rows(folder / f.name)[1]) for f in files]
        assert all(f.records == BATCH for f in files[:-1]) and 0 < files[-1].records <= BATCH
        assert [f.name for f in files] == [f"{step['name']}_{i}.csv" for i in range(1, len(files) + 1)]
        assert ids == sorted(ids) and len(ids) == len(set(ids))  # id order, no record twice
        if step["phase"] in ("records", "links"):
            expected = loaded_ids(con, step["entity"])
            assert ids == expected, step["name"]
            assert len(files) == math.ceil(len(expected) / BATCH)
            if step["phase"] == "records":
                assert manifest.totals[step["entity"]] == len(expected)
    assert set(manifest.totals) == {s["entity"] for s in compiled_steps(run, kind)}
    assert [f.name for f in manifest.files] == sorted(f.name for f in manifest.files)  # load order
    on_disk = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert [f["name"] for f in on_disk["files"]] == [f.name for f in manifest.files]
    assert on_disk["totals"] == manifest.totals


def test_salesforce_headers_are_api_names_and_the_sdl_maps_exactly_them(bundles):
    folder, manifest = bundles["salesforce"]
    assert rows(folder / "030_Contact_1.csv")[0] == [
        "Legacy_Id__c", "FirstName", "LastName", "Email", "All_Emails__c", "Phone", "MailingCity", "Created_On__c",
        "Description", "Account.Legacy_Id__c"]
    assert rows(folder / "020_Account_links_1.csv")[0] == ["Legacy_Id__c", "Parent.Legacy_Id__c"]
    for f in manifest.files:
        sdl = (folder / f"{f.step}.sdl").read_text("utf-8")
        mapped = dict(line.split("=", 1) for line in sdl.splitlines() if line and not line.startswith("#"))
        assert list(mapped) == rows(folder / f.name)[0], f.name
        for header, field in mapped.items():
            if "." in header:  # relationship: Data Loader's Relationship\:Object-ExternalId, colon escaped
                relationship, key = header.split(".")
                assert re.fullmatch(rf"{relationship}\\:[A-Za-z]+-{key}", field), field
            else:
                assert field == header
    conf = (folder / "process-conf.xml").read_text("utf-8")
    named = re.findall(r'<entry key="dataAccess.name" value="([^"]+)"/>', conf)
    assert named == [f.name for f in manifest.files]  # one process per file, in load order
    assert conf.count('value="upsert"') == len(manifest.files)


def test_salesforce_relationships_point_at_records_exported_before(bundles):
    folder, manifest = bundles["salesforce"]
    exported: dict[str, set[str]] = {}  # object -> external ids upserted so far
    checked = 0
    for f in manifest.files:
        header, body = rows(folder / f.name)
        sdl = (folder / f"{f.step}.sdl").read_text("utf-8")
        parents = dict(re.findall(r"^(\S+\.\S+)=\S+\\:([A-Za-z]+)-", sdl, re.MULTILINE))
        for i, name in enumerate(header):
            if name in parents:
                values = {r[i] for r in body if r[i]}
                assert values <= exported.get(parents[name], set()), (f.name, name)
                checked += len(values)
        if f.phase == "records":
            exported.setdefault(f.object, set()).update(r[0] for r in body)
    assert checked > 100


def test_hubspot_requests_and_associations(bundles):
    folder, manifest = bundles["hubspot"]
    types = {"companies": "0-2", "contacts": "0-1", "deals": "0-3"}
    exported: dict[str, set[str]] = {}
    for f in manifest.files:
        header, body = rows(folder / f.name)
        request = json.loads((folder / f"{f.name.removesuffix('.csv')}.import.json").read_text("utf-8"))
        (only,) = request["files"]
        assert only["fileName"] == f.name
        mappings = only["fileImportPage"]["columnMappings"]
        assert [m["columnName"] for m in mappings] == header
        assert mappings[0] == {"columnName": "ferry_id", "columnObjectTypeId": types[f.object], "propertyName": "ferry_id",
                               "columnType": "HUBSPOT_ALTERNATE_ID"}
        if f.phase == "records":
            assert request["importOperations"] == {types[f.object]: "UPSERT"}
            exported.setdefault(mappings[0]["columnObjectTypeId"], set()).update(r[0] for r in body)
        else:
            own, other = mappings
            assert set(request["importOperations"].values()) == {"UPDATE"}
            assert {r[0] for r in body} <= exported[own["columnObjectTypeId"]]
            assert {r[1] for r in body} <= exported[other["columnObjectTypeId"]]
            assert all(r[1] for r in body)  # only records whose reference is set
    assert rows(folder / "060_deals_1.csv")[0] == ["ferry_id", "dealname", "amount", "deal_currency_code", "dealstage",
                                                  "closedate"]


@pytest.mark.parametrize("kind", ["salesforce", "hubspot"])
def test_exporting_again_gives_the_same_bytes(run, bundles, kind):
    tmp, options = run
    folder, _ = bundles[kind]
    again = tmp / f"{kind}-again"
    api.export_bundle(EXAMPLE, options, kind, again, BATCH)
    api.export_bundle(EXAMPLE, options, kind, again, BATCH)  # replaces the folder it wrote
    first = {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    second = {p.relative_to(again): p.read_bytes() for p in sorted(again.rglob("*")) if p.is_file()}
    assert first == second
    assert not [p for p in tmp.iterdir() if p.name.startswith(f".{kind}")]  # no temporary folder left behind


def _push(*args: str):
    result = CliRunner().invoke(app, ["push", str(EXAMPLE), *args])
    stderr = getattr(result, "stderr", result.output)
    return result, [line for line in stderr.splitlines() if line.strip()]


def test_an_edited_compiled_file_is_a_one_line_error(run, tmp_path):
    tmp, options = run
    generated = tmp_path / "generated"
    shutil.copytree(options.out, generated)
    sdl = generated / "legacy_crm" / "salesforce" / "010_Account.sdl"
    sdl.write_text(sdl.read_text("utf-8") + "Site=Site\n", "utf-8")
    result, lines = _push("--to", "salesforce", "--out", str(generated), "--target", str(options.target),
                          "--bundle-dir", str(tmp_path / "bundle"))
    assert result.exit_code == 1 and not isinstance(result.exception, (KeyError, ValueError, TypeError, OSError))
    assert len(lines) == 1 and "[F740]" in lines[0] and "edited" in lines[0] and "Traceback" not in result.output
    assert not (tmp_path / "bundle").exists()


def test_a_missing_run_is_a_one_line_error(run, tmp_path):
    tmp, options = run
    result, lines = _push("--to", "hubspot", "--out", str(options.out), "--target", str(tmp_path / "none.duckdb"),
                          "--bundle-dir", str(tmp_path / "bundle"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert len(lines) == 1 and "[F606]" in lines[0] and "ferry run" in lines[0]
    assert not (tmp_path / "bundle").exists()


def test_a_failed_export_keeps_the_previous_bundle(run, bundles, tmp_path):
    tmp, options = run
    folder = tmp_path / "bundle"
    api.export_bundle(EXAMPLE, options, "hubspot", folder, BATCH)
    before = sorted(p.name for p in folder.iterdir())
    result, lines = _push("--to", "hubspot", "--out", str(options.out), "--target", str(tmp_path / "none.duckdb"),
                          "--bundle-dir", str(folder), "--batch-size", "10")
    assert result.exit_code == 1 and sorted(p.name for p in folder.iterdir()) == before
    result, _ = _push("--to", "hubspot", "--out", str(options.out), "--target", str(options.target),
                      "--batch-size", "0", "--bundle-dir", str(folder))
    assert result.exit_code != 0 and "Traceback" not in result.output  # the CLI refuses it as a usage error
    with pytest.raises(FerryError) as caught:
        api.export_bundle(EXAMPLE, options, "hubspot", folder, 0)
    assert [d.code for d in caught.value.diagnostics] == ["F743"]
    assert sorted(p.name for p in folder.iterdir()) == before


@pytest.mark.parametrize("kind", ["salesforce", "hubspot"])
def test_a_bundle_for_a_spec_without_its_section_is_one_located_error(tmp_path, kind):
    (tmp_path / "a.csv").write_text("id,name\n1,Ann\n", encoding="utf-8")
    spec = tmp_path / "s.yaml"
    spec.write_text("version: 1\nname: nosection\nsources:\n  a: {path: a.csv, id: id}\nentities:\n  t:\n"
                    "    source: a\n    fields: {name: name}\ntarget: {path: out.duckdb}\n", encoding="utf-8")
    with pytest.raises(FerryError) as info:
        api.export_bundle(spec, api.Options(out=tmp_path / "generated"), kind)
    (d,) = info.value.diagnostics
    assert (d.code, d.span.line) == ("F740", 9) and f"target.{kind}" in d.message


@pytest.mark.parametrize("kind", ["salesforce", "hubspot"])
def test_the_example_has_no_formula_cells_so_its_bundles_are_as_before(bundles, kind):
    folder, manifest = bundles[kind]
    assert manifest.formula_cells == () and manifest.formula_warnings() == ()
    assert list(json.loads((folder / "manifest.json").read_text("utf-8"))) == [
        "spec", "target", "batch_size", "files", "config", "totals"]  # no `formulas` key


def test_bundles_carry_the_mapping_from_the_lineage(run, bundles):
    """MAPPING.csv: one row per CSV column of every step, saying which source columns and transforms it holds."""
    for kind in ("salesforce", "hubspot"):
        folder, manifest = bundles[kind]
        header, body = rows(folder / "MAPPING.csv")
        assert header == ["file", "object", "object_field", "entity", "field", "source_columns", "steps", "looked_up"]
        assert "MAPPING.csv" in manifest.config
        expected = [(s["name"], h) for s in compiled_steps(run, kind) for h in s["headers"]]
        assert [(r[0], r[2]) for r in body] == expected  # every column of every step, in order
    sf = {(r[0], r[2]): r for r in rows(bundles["salesforce"][0] / "MAPPING.csv")[1]}
    assert sf[("030_Contact", "Email")][3:] == ["contact", "email", "contacts.email", "email, lower", ""]
    assert sf[("010_Account", "Legacy_Id__c")][3:] == ["company", "id", "companies.firma_id", "", ""]
    assert sf[("050_Opportunity", "Account.Legacy_Id__c")][3:] == [
        "deal", "company_id", "", "", "company.id looked up by deals.company_id"]
    hs = {(r[0], r[2]): r for r in rows(bundles["hubspot"][0] / "MAPPING.csv")[1]}
    assert hs[("060_deals", "dealstage")][5:7] == ["deals.stage", "squish, lower, map"]


def test_a_bundle_without_compiled_lineage_is_a_one_line_error(run, tmp_path):
    tmp, options = run
    generated = tmp_path / "generated"
    shutil.copytree(options.out, generated)
    (generated / "legacy_crm" / "lineage.json").unlink()
    result, lines = _push("--to", "hubspot", "--out", str(generated), "--target", str(options.target),
                          "--bundle-dir", str(tmp_path / "bundle"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert len(lines) == 1 and "[F830]" in lines[0] and "ferry compile" in lines[0]
    assert not (tmp_path / "bundle").exists()
