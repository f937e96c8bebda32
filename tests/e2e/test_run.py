"""`ferry run` end to end on a hand-made fixture where every row's fate is known."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import duckdb
import pytest

from compiler import api
from compiler.errors import FerryError
from compiler.sqlgen.ids import FERRY_NAMESPACE

FIXTURE = Path(__file__).parent / "fixtures" / "mini"

pytestmark = pytest.mark.slow


def new_id(entity: str, source: str, key: str) -> uuid.UUID:
    return uuid.uuid5(FERRY_NAMESPACE, f"{entity}/{source}/{key}")


@pytest.fixture
def project(tmp_path) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "mini")
    return tmp_path / "mini"


def migrate(project: Path, target: Path | None = None) -> tuple[api.run_module.RunManifest, Path]:
    options = api.Options(out=project / "generated", target=target)
    spec = project / "mini.yaml"
    api.compile_spec_files(spec, options)
    manifest = api.run_spec(spec, options)
    return manifest, Path(manifest.target["path"])


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def test_every_row_has_its_known_fate(project):
    manifest, target = migrate(project)
    counts = {c.entity: (c.read, c.loaded, c.merged, c.rejected) for c in manifest.entities}
    assert counts == {"company": (4, 3, 1, 0), "contact": (5, 2, 1, 2), "deal": (4, 2, 0, 2)}
    con = duckdb.connect(str(target), read_only=True)
    # The NIP written two ways is one company; its old ids both map to the survivor (1001).
    c1001 = new_id("company", "companies", "1001")
    assert rows(con, "SELECT source_key, id, status FROM _ferry.company_crosswalk ORDER BY source_key") == [
        ("1001", c1001, "loaded"), ("1002", new_id("company", "companies", "1002"), "loaded"),
        ("1003", c1001, "merged"), ("1004", new_id("company", "companies", "1004"), "loaded")]
    # Self-reference set in the second pass; the orphan parent is left empty and recorded.
    assert rows(con, "SELECT name, parent_id FROM company ORDER BY name") == [
        ("Müller GmbH", c1001), ("Orphan parent", None), ("Łęcki sp. z o.o.", None)]
    # References follow merges: contact 50001 pointed at 1003, deal 900001 at 1003 and contact 50002.
    olena = new_id("contact", "contacts", "50001")
    assert rows(con, "SELECT id, email, company_id FROM contact WHERE first_name = 'Олена'") == [
        (olena, "olena@x.ua", c1001)]
    assert rows(con, "SELECT title, amount, company_id, contact_id FROM deal ORDER BY title") == [
        ("Big deal", pytest.approx(12345.5), c1001, olena),
        ("Orphan contact", pytest.approx(10), new_id("company", "companies", "1002"), None)]
    # Every rejected row with every reason.
    assert rows(con, "SELECT entity, source_row, source_key, [r.rule for r in reasons] FROM _ferry.rejects "
                     "ORDER BY entity, source_row") == [
        ("contact", 3, None, ["missing_source_id"]),
        ("contact", 4, "50003", ["unresolved_reference"]),
        ("deal", 2, "900002", ["invalid_decimal"]),
        ("deal", 4, "900001", ["duplicate_source_id"])]
    assert rows(con, "SELECT entity, source_key, reference, value FROM _ferry.unresolved_references "
                     "ORDER BY entity") == [
        ("company", "1004", "parent_id", "9999"), ("contact", "50004", "reports_to_id", "50003"),
        ("deal", "900003", "contact_id", "88888")]


def test_run_manifest_records_inputs_and_counts(project):
    manifest, target = migrate(project)
    saved = json.loads(target.with_name("mini.run.json").read_text("utf-8"))
    inputs = {i["source"]: i for i in saved["inputs"]}
    assert inputs["companies"]["transcoded"] is True and inputs["contacts"]["transcoded"] is False
    import hashlib
    assert inputs["deals"]["sha256"] == hashlib.sha256((project / "data/deals.csv").read_bytes()).hexdigest()
    assert saved["spec"]["sha256"] == hashlib.sha256((project / "mini.yaml").read_bytes()).hexdigest()
    assert {e["entity"]: e["read"] for e in saved["entities"]} == {"company": 4, "contact": 5, "deal": 4}
    assert saved["tools"]["duckdb"] == duckdb.__version__
    assert [s["file"] for s in saved["steps"]][0] == "000_prelude.sql"


def table_digest(path: Path) -> dict[str, str]:
    con = duckdb.connect(str(path), read_only=True)
    tables = rows(con, "SELECT schema_name, table_name FROM duckdb_tables() ORDER BY ALL")
    out = {}
    for schema, table in tables:
        if (schema, table) == ("_ferry", "runs"):
            continue  # the history of runs: one more row, with its own timestamps, each time
        # The written ledger's rows name the run that wrote them (a timestamp), as _ferry.runs does.
        columns = "* EXCLUDE (_ferry_run)" if table.endswith("_written") else "*"
        if (schema, table) == ("_ferry", "rowhash_runs"):
            columns = "* EXCLUDE (run)"  # which run stored each entity's row hashes: its timestamp
        out[f"{schema}.{table}"] = rows(con, f'SELECT md5(string_agg(t::VARCHAR, \'|\' ORDER BY t::VARCHAR)) '
                                             f'FROM (SELECT {columns} FROM "{schema}"."{table}") AS t')[0][0]
    con.close()
    return out


def test_rerun_gives_an_identical_target(project, tmp_path):
    _, first = migrate(project)
    before = table_digest(first)
    migrate(project)  # again, into the same file
    _, other = migrate(project, target=tmp_path / "other.duckdb")  # and into a fresh file
    assert before == table_digest(first) == table_digest(other)
    # 3 entities, 3 crosswalks, 3 written ledgers, rejects, unresolved_references, emptied_values, dedup_stats,
    # dedup_model, conflicts, gone, 2 duplicate reports, the row hashes of the one entity a delta can scope (the
    # others dedup) and which run stored them
    assert len(before) == 20


def test_malformed_csv_fails_with_location_and_writes_nothing(project):
    options = api.Options(out=project / "generated")
    api.compile_spec_files(project / "mini.yaml", options)
    line = (project / "data/deals.csv").read_bytes().count(b"\n") + 1
    with (project / "data/deals.csv").open("a", encoding="utf-8") as fh:
        fh.write('900009,"unterminated,1,pln,nowa,1001,,2024-01-01\n')
    with pytest.raises(FerryError) as info:
        api.run_spec(project / "mini.yaml", options)
    (diag,) = info.value.diagnostics
    # Found while loading it (sources.csvrows): the error names the file, the line and the cause
    # (as `ferry validate` would), and nothing is written.
    assert diag.code == "F319" and f"deals.csv:{line}: a quoted value" in diag.message, diag.format()
    assert not (project / "build" / "mini.duckdb").exists()


def test_failed_run_keeps_the_previous_target(project):
    _, target = migrate(project)
    before = table_digest(target)
    (project / "data/contacts.csv").write_bytes(b"\xef\xbb\xbfcontact_id,first_name\n1,\"x\n")
    with pytest.raises(FerryError):
        api.run_spec(project / "mini.yaml", api.Options(out=project / "generated"))
    assert table_digest(target) == before


def test_stale_or_edited_generated_is_refused(project):
    options = api.Options(out=project / "generated")
    api.compile_spec_files(project / "mini.yaml", options)
    sql = project / "generated/mini/050_contact.sql"
    sql.write_text(sql.read_text("utf-8") + "\n-- tweak\n", encoding="utf-8")
    with pytest.raises(FerryError) as info:
        api.run_spec(project / "mini.yaml", options)
    assert info.value.diagnostics[0].code == "F503"
    spec = project / "mini.yaml"
    spec.write_text(spec.read_text("utf-8").replace("key: [email]", "key: [email, phone]"), encoding="utf-8")
    with pytest.raises(FerryError) as info:
        api.run_spec(spec, options)
    assert info.value.diagnostics[0].code == "F502"
    assert info.value.diagnostics[0].hint == f"run `ferry compile {spec} --out {project / 'generated'}` and review the diff"


def test_csv_error_in_a_view_staged_source_points_at_the_file(project):
    """Sources read by one entity are parsed inside its load step; errors still name the CSV and line."""
    options = api.Options(out=project / "generated")
    api.compile_spec_files(project / "mini.yaml", options)
    contacts = project / "data/contacts.csv"
    line = contacts.read_bytes().count(b"\n") + 1
    contacts.write_bytes(contacts.read_bytes() + b'50009,A,"B,C\n')
    with pytest.raises(FerryError) as info:
        api.run_spec(project / "mini.yaml", options)
    (diag,) = info.value.diagnostics
    assert diag.code == "F319" and f"contacts.csv:{line}: " in diag.message, diag.format()


def test_manifest_that_drops_a_step_is_refused(project):
    options = api.Options(out=project / "generated")
    api.compile_spec_files(project / "mini.yaml", options)
    path = project / "generated/mini/manifest.json"
    manifest = json.loads(path.read_text("utf-8"))
    manifest["files"] = [f for f in manifest["files"] if not f["name"].endswith("_links.sql")]
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(FerryError) as info:
        api.run_spec(project / "mini.yaml", options)
    assert info.value.diagnostics[0].code == "F503" and "_links.sql" in info.value.diagnostics[0].message
    del manifest["files"]
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(FerryError) as info:
        api.run_spec(project / "mini.yaml", options)
    assert info.value.diagnostics[0].code == "F503"


def test_rejects_export_gives_original_rows_and_reasons(project, tmp_path):
    import csv
    migrate(project)
    files = {f.entity: f for f in api.export_rejects(project / "mini.yaml", api.Options(), tmp_path / "rejects")}
    assert {e: f.rows for e, f in files.items()} == {"company": 0, "contact": 2, "deal": 2}
    with files["deal"].path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["ferry_row"], r["deal_id"], r["amount"], r["ferry_reasons"]) for r in rows] == [
        ("2", "900002", "n/a", "invalid_decimal amount=n/a"), ("4", "900001", "1", "duplicate_source_id=900001")]
    assert list(rows[0])[:3] == ["ferry_row", "deal_id", "title"]  # every source column, as in the file
