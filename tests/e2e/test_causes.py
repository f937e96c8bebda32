"""Every value and every reference accounted for, with its cause.

* ``on_error: null``: a record whose secondary field fails loads with the field empty; the value
  and its reason go to ``_ferry.emptied_values``, which the run's accounting, ``ferry rejects``
  and ``ferry plan`` report.
* An unresolved reference says why: the parent row was rejected (with its reasons), archived by
  its filter, or is missing from its source; a merged duplicate's reference is recorded too.
"""

from __future__ import annotations

import csv
import datetime as dt
import json

import duckdb
import jsonschema
import pytest

from compiler import api
from compiler.plan_render import to_dict, to_markdown
from tests.helpers import ROOT

pytestmark = pytest.mark.slow

SPEC = """\
version: 1
name: causes
sources:
  companies: {path: companies.csv, id: id, options: {delimiter: ";"}}
  contacts: {path: contacts.csv, id: id, options: {delimiter: ";"}}
  orders: {path: orders.csv, id: id, options: {delimiter: ";"}}
entities:
  company:
    source: companies
    fields:
      name: name
      nip: {from: nip, transforms: [nip]}
      phone: {from: phone, transforms: [{phone: {region: PL}}], on_error: "null"}
      founded: {from: founded, type: date, transforms: [{date: ["%Y-%m-%d"]}], on_error: "null"}
      status: status
    filter: {keep: "status = 'active'"}
    checks:
      reachable: "phone IS NOT NULL OR name IS NOT NULL"
  contact:
    source: contacts
    dedup: {keys: [[email]]}
    fields:
      name: name
      email: {from: email, transforms: [email, lower]}
    references:
      company_id: {entity: company, from: company, on_missing: "null"}
  order:
    source: orders
    fields:
      total: {from: total, type: decimal}
    references:
      company_id: {entity: company, from: company}
target: {path: out.duckdb}
"""


def nip(nine: str) -> str:
    """A valid NIP from nine digits (their check digit must not be 10)."""
    check = sum(w * int(d) for w, d in zip((6, 5, 7, 2, 3, 4, 5, 6, 7), nine)) % 11
    assert check != 10
    return nine + str(check)


COMPANIES = f"""\
id;name;nip;phone;founded;status
C1;Acme;{nip('123456321')};601 234 567;2001-05-01;active
C2;=1+2;1234563219;-601 234 568;2002-05-01;active
C3;Gamma;{nip('523456322')};not a phone;31.12.2003;active
C4;Delta;{nip('723456325')};601 234 569;2004-05-01;closed
"""

CONTACTS = """\
id;name;email;company
K1;Ann;ann@example.pl;C1
K2;Ann Again;ANN@example.pl;C9
K3;Bob;bob@example.pl;C2
K4;Cy;cy@example.pl;C4
"""

ORDERS = """\
id;total;company
O1;10.50;C2
O2;20.00;C3
O3;30.00;C9
O4;40.00;C4
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("causes")
    for name, text in (("companies.csv", COMPANIES), ("contacts.csv", CONTACTS), ("orders.csv", ORDERS),
                       ("causes.yaml", SPEC)):
        (root / name).write_text(text, encoding="utf-8")
    options = api.Options(out=root / "generated")
    api.compile_spec_files(root / "causes.yaml", options)
    manifest = api.run_spec(root / "causes.yaml", options)
    return root, options, manifest


def test_a_failing_secondary_field_empties_the_field_and_keeps_the_record(project):
    root, _, manifest = project
    company = next(c for c in manifest.entities if c.entity == "company")
    assert (company.read, company.loaded, company.archived, company.rejected, company.emptied) == (4, 2, 1, 1, 2)
    con = duckdb.connect(str(root / "out.duckdb"), read_only=True)
    assert con.execute("SELECT name, phone, founded FROM company ORDER BY name").fetchall() == [
        ("Acme", "+48601234567", dt.date(2001, 5, 1)), ("Gamma", None, None)]
    assert con.execute("SELECT source_row, source_key, status, field, rule, \"column\", value "
                       "FROM _ferry.emptied_values ORDER BY field").fetchall() == [
        (3, "C3", "loaded", "founded", "invalid_date", "founded", "31.12.2003"),
        (3, "C3", "loaded", "phone", "invalid_phone", "phone", "not a phone")]
    # A failing primary field still rejects: on_error is per field.
    assert con.execute("SELECT source_key, [r.rule for r in reasons] FROM _ferry.rejects "
                       "WHERE entity = 'company'").fetchall() == [("C2", ["invalid_nip"])]


def test_unresolved_references_carry_their_cause(project):
    root, _, manifest = project
    con = duckdb.connect(str(root / "out.duckdb"), read_only=True)
    rows = con.execute("SELECT entity, source_key, reference, value, status, cause, detail "
                       "FROM _ferry.unresolved_references ORDER BY source_key").fetchall()
    assert rows == [
        # The merged duplicate's reference is recorded too: its record is K1's.
        ("contact", "K2", "company_id", "C9", "merged", "missing", "no company has this id in source 'companies'"),
        ("contact", "K3", "company_id", "C2", "loaded", "rejected",
         "company row 2 was rejected: invalid_nip nip=1234563219"),
        ("contact", "K4", "company_id", "C4", "loaded", "archived", "company row 4 was archived by its filter"),
    ]
    assert manifest.unresolved_by_cause == {"archived": 1, "missing": 1, "rejected": 1}
    rejects = dict(con.execute("SELECT source_key, [r.rule || ': ' || r.value || ' / ' || r.detail for r in reasons] "
                               "FROM _ferry.rejects WHERE entity = 'order'").fetchall())
    assert rejects == {
        "O1": ["unresolved_reference: C2 / company row 2 was rejected: invalid_nip nip=1234563219"],
        "O3": ["unresolved_reference: C9 / no company has this id in source 'companies'"],
        "O4": ["unresolved_reference: C4 / company row 4 was archived by its filter"],
    }


def test_ferry_rejects_lists_emptied_values_with_their_rows(project, tmp_path):
    root, options, _ = project
    files = {(f.entity, f.kind): f for f in api.export_rejects(root / "causes.yaml", options, tmp_path)}
    emptied = files[("company", "emptied")]
    assert emptied.rows == 2
    with emptied.path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["id"], r["ferry_status"], r["ferry_emptied"]) for r in rows] == [
        ("C3", "loaded", "invalid_date founded=31.12.2003; invalid_phone phone=not a phone")]
    with files[("order", "rejects")].path.open(encoding="utf-8") as fh:
        reasons = {r["id"]: r["ferry_reasons"] for r in csv.DictReader(fh)}
    assert reasons["O1"] == "unresolved_reference company_id=C2 (company row 2 was rejected: invalid_nip nip=1234563219)"
    assert ("contact", "emptied") not in files  # no on_error: null field there
    # For spreadsheets: a formula is escaped, a number is not.
    with files[("company", "rejects")].path.open(encoding="utf-8") as fh:
        (rejected,) = list(csv.DictReader(fh))
    assert (rejected["name"], rejected["phone"]) == ("'=1+2", "-601 234 568")


def test_plan_reports_emptied_values(project):
    root, options, _ = project
    plan = api.plan_spec(root / "causes.yaml", options)
    data = to_dict(plan)
    jsonschema.validate(data, json.loads((ROOT / "compiler" / "schema" / "plan-v1.json").read_text("utf-8")))
    assert [e["emptied"] for e in data["entities"]] == [2, 0, 0]
    assert data["summary"]["emptied"] == 2
    assert "| emptied |" in to_markdown(plan)
