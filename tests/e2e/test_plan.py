"""`ferry plan`: exact counts and field-level changes against a real target, which it never writes.

Each test copies the example to tmp, compiles and runs it (the target), then changes a
source row, a transform or nothing, and plans. Exit codes follow terraform plan
-detailed-exitcode: 0 no changes, 2 changes, 1 error.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import jsonschema
import pytest
from markdown_it import MarkdownIt

from compiler import api, plan_render
from tests.helpers import EXAMPLE, ROOT

pytestmark = pytest.mark.slow
SCHEMA = json.loads((ROOT / "compiler" / "schema" / "plan-v1.json").read_text("utf-8"))


def ferry(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "compiler", *args], capture_output=True, text=True, cwd=cwd,
                          env={"PATH": "/usr/bin:/bin", "COLUMNS": "120", "PYTHONPATH": str(ROOT)})


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """The example, compiled and run once; tests copy this folder (a run takes a few seconds)."""
    project = tmp_path_factory.mktemp("plan") / "p"
    shutil.copytree(EXAMPLE.parent, project / "legacy_crm", ignore=shutil.ignore_patterns("build"))
    spec = project / "legacy_crm" / EXAMPLE.name
    options = api.Options(out=project / "generated")
    api.compile_spec_files(spec, options)
    api.run_spec(spec, options)
    return project


@pytest.fixture
def project(migrated, tmp_path) -> Path:
    shutil.copytree(migrated, tmp_path / "p")
    return tmp_path / "p"


SPEC = "legacy_crm/legacy_crm.yaml"


def fingerprint(project: Path) -> dict[str, str]:
    """sha256 of everything a run writes: the target, its run manifest, the archive file."""
    build = project / "legacy_crm" / "build"
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(build.rglob("*")) if p.is_file()}


def plan(project: Path, sample: int = 5):
    return api.plan_spec(project / SPEC, api.Options(out=project / "generated"), sample)


def edit_contacts(project: Path) -> None:
    """50001 moves to another city (with markup in the name), 50002 is gone, 59999 is new."""
    path = project / "legacy_crm" / "data" / "contacts.csv"
    lines = path.read_text("utf-8").split("\n")
    lines = [line.replace(",Poznań,", ",Gdańsk | <b>x</b>,") if line.startswith("50001,") else line
             for line in lines if not line.startswith("50002,")]
    lines.insert(2, "59999,Nowy,Kontakt,nowy.kontakt@example.pl,601 234 567,,,2020-01-01,Łódź,hello")
    path.write_text("\n".join(lines), "utf-8")


def by_entity(result) -> dict:
    return {e.entity: e for e in result.entities}


def test_plan_after_a_run_has_no_changes_exit_0_and_writes_nothing(project):
    before = fingerprint(project)
    result = ferry("plan", SPEC, "--format", "json", cwd=project)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    jsonschema.validate(data, SCHEMA)
    assert data["has_changes"] is False
    assert {e["entity"]: (e["insert"], e["update"], e["delete"]) for e in data["entities"]} == {
        e: (0, 0, 0) for e in ("company", "contact", "owner", "deal", "activity")}
    contact = next(e for e in data["entities"] if e["entity"] == "contact")
    # 53 rejects: 7 the generator meant, 6 French mobiles in +33 70-72, which are not valid numbers,
    # and 40 French and Ukrainian national numbers (06 44 25 04 22, 099 595 74 19) that are valid
    # in two or three of the fallbacks DE, FR, UA as different numbers (ambiguous_phone).
    assert contact["unchanged"] == 231 and contact["reject"] == contact["previous"]["reject"] == 53
    assert fingerprint(project) == before
    assert ferry("plan", SPEC, cwd=project).returncode == 0


def test_changed_rows_give_exact_counts_field_diffs_and_exit_2(project):
    edit_contacts(project)
    before = fingerprint(project)
    result = plan(project)
    contact = by_entity(result)["contact"]
    # 50002 is gone from the export: kept (the default `delta: {gone: keep}`), and shown as gone.
    assert (contact.insert, contact.update, contact.delete, contact.unchanged, contact.gone) == (
        1, 1, 0, 229, (("keep", 1),))
    assert result.kind == "delta" and not contact.conflicts
    assert not any(e.changed for e in result.entities if e.entity != "contact")
    samples = {(r.action, r.source_key): r for r in contact.samples}
    assert [(f.field, f.old, f.new) for f in samples["update", "50001"].fields] == [
        ("city", "Poznań", "Gdańsk | <b>x</b>")]
    assert ("city", None, "Łódź") in [(f.field, f.old, f.new) for f in samples["insert", "59999"].fields]
    assert ("delete", "50002") not in samples
    cli = ferry("plan", SPEC, "--format", "json", cwd=project)
    assert cli.returncode == 2, cli.stderr
    jsonschema.validate(json.loads(cli.stdout), SCHEMA)
    text = ferry("plan", SPEC, cwd=project)
    assert text.returncode == 2
    for line in ("+ 59999", "~ 50001", "gone from the export, contact: 1 keep", 'city: "Poznań" -> "Gdańsk | <b>x</b>"',
                 "Plan: 1 to insert, 1 to update, 0 to delete"):
        assert line in text.stdout
    assert fingerprint(project) == before


def test_a_changed_transform_updates_every_record_it_touches(project):
    spec = project / SPEC
    spec.write_text(spec.read_text("utf-8").replace(
        "city: {from: miasto, transforms: [squish]}", "city: {from: miasto, transforms: [squish, upper]}"), "utf-8")
    assert ferry("plan", SPEC, cwd=project).returncode == 1  # generated/ is stale: run refuses it, so does plan
    api.compile_spec_files(spec, api.Options(out=project / "generated"))
    result = plan(project, sample=3)
    company = by_entity(result)["company"]
    assert (company.update, company.insert, company.delete) == (101, 0, 0)
    assert len(company.samples) == 3 and [r.id for r in company.samples] == sorted(r.id for r in company.samples)
    for row in company.samples:
        assert [f.field for f in row.fields] == ["city"] and row.fields[0].new == row.fields[0].old.upper()


def test_no_target_yet_every_record_is_an_insert(project):
    shutil.rmtree(project / "legacy_crm" / "build")
    result = plan(project, sample=0)
    assert result.target_exists is False and result.has_changes
    for e in result.entities:
        assert e.new_table and e.insert == e.unchanged + e.insert and e.delete == 0 and not e.samples
    assert not (project / "legacy_crm" / "build").exists()


def test_a_shrunk_source_stops_the_plan_as_it_stops_the_run_and_allow_shrink_previews_the_run(project):
    """Plan and run agree: a source that lost more rows than its shrink_limit stops both (F610);
    `--allow-shrink` on plan shows exactly what the confirmed run then does."""
    contacts = project / "legacy_crm" / "data" / "contacts.csv"
    contacts.write_text("".join(contacts.read_text("utf-8").splitlines(keepends=True)[:60]), "utf-8")
    before = fingerprint(project)
    stopped = ferry("plan", SPEC, cwd=project)
    assert stopped.returncode == 1 and "[F610]" in stopped.stderr and "--allow-shrink" in stopped.stderr
    assert len(stopped.stderr.strip().splitlines()) == 1 and "Traceback" not in stopped.stderr
    previewed = ferry("plan", SPEC, "--allow-shrink", "--format", "json", cwd=project)
    assert previewed.returncode == 2, previewed.stderr
    contact = next(e for e in json.loads(previewed.stdout)["entities"] if e["entity"] == "contact")
    assert contact["delete"] == 0 and contact["gone"]["keep"] > 150  # gone rows' records are kept (the default)
    assert fingerprint(project) == before  # neither plan wrote anything
    target = project / "legacy_crm" / "build" / "legacy_crm.duckdb"
    count = "SELECT count(*) FROM contact"
    with duckdb.connect(str(target), read_only=True) as con:
        records = con.execute(count).fetchall()[0][0]
    api.run_spec(project / SPEC, api.Options(out=project / "generated"), allow_shrink=True)
    with duckdb.connect(str(target), read_only=True) as con:
        assert con.execute(count).fetchall()[0][0] == records - contact["delete"] + contact["insert"]
    assert not plan(project).has_changes  # the confirmed run is the new baseline


def test_errors_exit_1_with_one_line(project):
    for args in (("--format", "xml"), ("--sample", "-1"), ("--bogus",), ()):
        result = ferry("plan", SPEC, *args, cwd=project) if args != () else ferry("plan", cwd=project)
        assert result.returncode == 1, (args, result.stdout)
        assert "Traceback" not in result.stderr
    missing = ferry("plan", "nope.yaml", cwd=project)
    assert missing.returncode == 1 and len(missing.stderr.strip().splitlines()) == 1


def tokens(markdown: str):
    return MarkdownIt("commonmark").enable("table").parse(markdown)


def rows_of(toks) -> list[list[str]]:
    """Each table row as its cells' plain text (inline children joined)."""
    rows, row, cell = [], None, None
    for t in toks:
        if t.type == "tr_open":
            row = []
        elif t.type in ("td_open", "th_open"):
            cell = []
        elif t.type == "inline" and cell is not None:
            cell.append("".join(c.content for c in t.children if c.type in ("text", "code_inline")))
        elif t.type in ("td_close", "th_close"):
            row.append("".join(cell))
            cell = None
        elif t.type == "tr_close":
            rows.append(row)
    return rows


def test_markdown_renders_as_tables_and_collapsible_entities(project):
    edit_contacts(project)
    result = plan(project)
    markdown = plan_render.to_markdown(result)
    toks = tokens(markdown)
    html_blocks = [t.content for t in toks if t.type == "html_block"]
    assert sum("<details>" in b for b in html_blocks) == 1  # only the changed entity
    assert any("<summary><b>contact</b>: +1 ~1</summary>" in b for b in html_blocks)
    assert sum(t.type == "table_open" for t in toks) == 3  # the summary, contact's sample, the gone records
    rows = rows_of(toks)
    assert rows[0] == ["entity", "+ insert", "~ update", "= unchanged", "- delete", "rejected", "archived", "emptied"]
    assert rows[2][:6] == ["contact", "1", "1", "229", "0", "53"]
    assert ["contact", "keep", "1"] in rows  # gone from the export, under its policy
    sample = [r for r in rows if len(r) == 5]
    assert all(len(r) == 5 for r in rows if r[0] in ("+", "~", "-"))
    # The data's "|" and "<b>" stay literal text in their cell: no extra column, no HTML.
    assert ["~", "50001", "city", "Poznań", "Gdańsk | <b>x</b>"] in sample
    md = MarkdownIt("commonmark").enable("table")
    assert "<td>Gdańsk | &lt;b&gt;x&lt;/b&gt;</td>" in md.render(markdown)


def test_markdown_without_changes(project):
    toks = tokens(plan_render.to_markdown(plan(project)))
    assert not any(t.type == "html_block" and "<details>" in t.content for t in toks)
    assert any(t.type == "inline" and "No changes" in t.content for t in toks)


def test_the_plan_schema_is_a_valid_schema_and_strict():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"format": "ferry.plan/v1"}, SCHEMA)
