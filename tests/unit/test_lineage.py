"""Column lineage: what generated/<name>/lineage.json says for the examples, and that it follows the spec.

The lineage is traced from the compiled SQL (``compiler.lineage``); these tests check it against
what the example specs write, and that editing a field's ``from``, its transforms, or a step's
arguments changes it (and so what `ferry diff` calls touched).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compiler import api, diff, lineage
from compiler.lineage import Input, Lookup
from tests.helpers import ROOT

PEOPLE = ROOT / "specs" / "people"


def example(name: str) -> lineage.Lineage:
    return lineage.from_json((ROOT / "generated" / name / lineage.FILE).read_text("utf-8"))


def test_example_fields_come_from_their_columns_through_their_transforms():
    crm = example("legacy_crm")
    field = {f.name: f for f in crm.fields}
    assert field["contact.email"].inputs == (Input("contacts", "email", ("email", "lower")),)
    assert field["contact.full_name"].inputs == (Input("contacts", "first_name", ("squish", "title")),
                                                 Input("contacts", "last_name", ("squish", "title")))
    assert field["company.created_on"].inputs == (Input("companies", "data_utworzenia", ("date", "as date")),)
    assert field["deal.currency"].inputs == (Input("deals", "amount.currency", ("trim", "upper")),)  # XML attribute
    assert field["deal.stage"].inputs == (Input("deals", "stage", ("squish", "lower", "map")),)
    assert field["activity.tags"].inputs == (Input("activities", "meta", ("sql",)),)
    assert field["owner.region"].inputs == (Input("owners", "region"),)
    # dedup: the merged value is the survivor's or the cluster's, chosen by the field's strategy
    assert field["contact.notes"].inputs == (Input("contacts", "notes", ("merge: longest",)),)
    assert field["contact.all_emails"].inputs == (Input("contacts", "email", ("email", "lower", "merge: union")),)
    # references: the referenced record's id, by the old id in the source column
    assert field["contact.company_id"].inputs == ()
    assert field["contact.company_id"].lookups == (Lookup("company", (Input("contacts", "company_id"),)),)
    # a self-reference is set by the second pass (an UPDATE), traced too
    parent = field["company.parent_id"]
    assert parent.lookups == (Lookup("company", (Input("companies", "firma_nadrzedna"),)),)
    assert parent.written_by == ("020_company.sql", "030_company_links.sql")
    assert field["company.id"].inputs == (Input("companies", "firma_id"),)
    # every target column the spec declares, and only those, in the spec's order per entity
    spec = api.load_spec(ROOT / "specs" / "legacy_crm" / "legacy_crm.yaml")
    assert [f.name for f in crm.fields] == [f"{e.name}.{c}" for e in spec.entities
                                             for c in ("id", *(f.name for f in e.fields), *(r.name for r in e.references))]


def test_example_with_a_match_model():
    people = {f.field: f for f in example("people").fields}
    assert people["street"].inputs == (Input("people", "street", ("squish", "replace")),)
    assert people["phone"].inputs == (Input("people", "phone", ("blank_as_null", "phone")),)
    assert people["birth_date"].inputs == (Input("people", "birth_date", ("as date",)),)
    assert people["postcode"].inputs == (Input("people", "postcode"),)


def test_json_round_trip_is_byte_identical():
    text = (ROOT / "generated" / "legacy_crm" / lineage.FILE).read_text("utf-8")
    assert lineage.to_json(lineage.from_json(text)) == text


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> lineage.Lineage:
    return _compiled(tmp_path_factory.mktemp("base"), None)


def _compiled(tmp: Path, edit: tuple[str, str] | None) -> lineage.Lineage:
    shutil.copytree(PEOPLE, tmp / "people")
    spec = tmp / "people" / "people.yaml"
    if edit is not None:
        text = spec.read_text("utf-8")
        assert edit[0] in text
        spec.write_text(text.replace(*edit), "utf-8")
    files = api.compile_files(spec, api.Options(out=tmp / "generated")).files
    return lineage.from_json(files[lineage.FILE])


EDITS = {
    "from": (("city: {from: city, transforms: [squish]}", "city: {from: street, transforms: [squish]}"),
             [("changed", "person.city", "people.city (squish) -> people.street (squish)")]),
    "transforms": (("first_name: {from: first_name, transforms: [squish]}",
                    "first_name: {from: first_name, transforms: [squish, upper]}"),
                   [("changed", "person.first_name", "people.first_name (squish) -> people.first_name (squish, upper)")]),
    "arguments": (('{replace: {pattern: "^ul\\\\. ", with: ""}}', '{replace: {pattern: "^ulica ", with: ""}}'),
                  [("changed", "person.street", "people.street (squish, replace): its SQL changed (a step's arguments)")]),
    "added": (("      postcode: postcode\n", "      postcode: postcode\n      zip: {from: postcode, transforms: [digits]}\n"),
              [("added", "person.zip", "people.postcode (digits)")]),
    "comment only": (("# \"ul. Polna 12\"", "# The street: \"ul. Polna 12\""), []),
}


@pytest.mark.parametrize("case", EDITS, ids=list(EDITS))
def test_an_edit_touches_exactly_its_field(base, tmp_path, case):
    edit, expected = EDITS[case]
    head = _compiled(tmp_path, edit)
    assert [(t.kind, t.field, t.detail) for t in diff.touched_fields(base, head)] == expected


def ferry(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "compiler", *args], capture_output=True, text=True, cwd=cwd,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "COLUMNS": "200"})


def test_cli_prints_the_tree_and_json():
    text = ferry("lineage", "specs/legacy_crm/legacy_crm.yaml", "contact", cwd=ROOT)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == "contact -> main.contact"
    assert "|-- email <- contacts.email (email, lower)" in lines
    assert lines[lines.index("|-- full_name") + 1:][:2] == ["|   |-- <- contacts.first_name (squish, title)",
                                                            "|   `-- <- contacts.last_name (squish, title)"]
    assert lines[-1] == "`-- reports_to_id <- contact.id looked up by contacts.reports_to"
    one = ferry("lineage", "specs/legacy_crm/legacy_crm.yaml", "deal.currency", "--format", "json", cwd=ROOT)
    assert one.returncode == 0, one.stderr
    assert [f.name for f in lineage.from_json(one.stdout).fields] == ["deal.currency"]


def test_cli_errors_are_one_located_line(tmp_path):
    shutil.copytree(PEOPLE, tmp_path / "people")
    spec = "people/people.yaml"
    cases = [((spec,), "F830"),  # not compiled yet
             ((spec, "--format", "xml"), "F833")]
    for args, code in cases:
        result = ferry("lineage", *args, cwd=tmp_path)
        assert result.returncode == 1 and f"[{code}]" in result.stderr and len(result.stderr.splitlines()) == 1, \
            result.stderr
    assert ferry("compile", spec, cwd=tmp_path).returncode == 0
    for args, code in [((spec, "person.nope"), "F832"), ((spec, "nobody"), "F832")]:
        result = ferry("lineage", *args, cwd=tmp_path)
        assert result.returncode == 1 and f"[{code}]" in result.stderr and "hint: use one of:" in result.stderr
    path = tmp_path / spec
    path.write_text(path.read_text("utf-8").replace("postcode: postcode", "postcode: {from: postcode}"), "utf-8")
    stale = ferry("lineage", spec, cwd=tmp_path)
    assert stale.returncode == 1 and "[F831]" in stale.stderr and "Traceback" not in stale.stderr


def test_a_statement_sqlglot_cannot_follow_leaves_its_fields_untraced_not_sourceless(monkeypatch):
    from sqlglot.errors import OptimizeError

    from compiler import lineage_render, lineage_trace
    from compiler.order import build_order
    from compiler.sqlgen import compile_spec

    spec = api.validate_spec(PEOPLE / "people.yaml", read_rows=False)
    bundle = compile_spec(spec, build_order(spec))
    real = lineage_trace.qualify.qualify

    def qualify(expression, **kwargs):
        if any(t.name == "_ferry_stage_people" for t in expression.find_all(lineage_trace.exp.Table)):
            raise OptimizeError("cannot qualify this")
        return real(expression, **kwargs)

    monkeypatch.setattr(lineage_trace.qualify, "qualify", qualify)
    traced = lineage_trace.build_lineage(bundle)
    city = traced.field("person", "city")
    assert city.inputs == () and city.untraced == "OptimizeError: cannot qualify this"
    assert "`-- <- (not traced: OptimizeError: cannot qualify this)" not in lineage_render.to_text(traced)
    assert "city <- (not traced: OptimizeError: cannot qualify this)" in lineage_render.to_text(traced)
    assert lineage.from_json(lineage.to_json(traced)) == traced
    assert [t.field for t in diff.touched_fields(example("people"), traced)] == sorted(
        f.name for f in example("people").fields)  # every field went through the working table
