"""Every source format end to end: validate, compile, run into DuckDB, export rejects.

The data are the small case files (tests/cases/data): an XML export in
windows-1250 with namespaces, attributes, nested and repeated elements; NDJSON
with nested values and mixed types; a JSON array; and an xlsx workbook whose
header is on row 3 of its second sheet (written by ``tests.helpers``).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from compiler import api
from tests.helpers import project_with_data

pytestmark = pytest.mark.slow

SPEC = """\
version: 1
name: formats
sources:
  deals: {path: data/deals.xml, id: id, options: {record: deal}}
  activities: {path: data/activities.ndjson, id: activity_id}
  owners: {path: data/owners.xlsx, id: user_id, options: {sheet: Users, header_row: 3}}
  users: {path: data/owners.json, id: user_id}
entities:
  deal:
    source: deals
    fields:
      title: title
      stage: stage
      amount: {from: amount, type: decimal, transforms: [{decimal: {separator: ","}}]}
      currency: amount.currency
      city: address.city
      phones: phone
      label: {sql: "title || ' [' || coalesce(stage, '?') || ']'", transforms: [upper]}
  activity:
    source: activities
    fields:
      kind: {from: type, transforms: [lower]}
      notes: notes
      meta: meta
      minutes: {from: duration_min, type: integer}
    references:
      deal_id: {entity: deal, from: deal_id, on_missing: reject}
  owner:
    source: owners
    fields:
      name: {from: full_name, rules: [required]}
      hired: {from: hired, type: date, transforms: [{date: ["%Y-%m-%d", "%Y-%m-%d %H:%M:%S"]}]}
      active: {from: active, type: boolean, transforms: [boolean]}
      quota: {from: quota, type: decimal}
  user:
    source: users
    fields:
      name: name
      active: {from: active, type: boolean, transforms: [boolean]}
      quota: {from: quota, type: decimal}
"""


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> tuple[Path, Path]:
    project = project_with_data(tmp_path_factory.mktemp("formats"))
    spec = project / "formats.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    options = api.Options(out=project / "generated")
    api.compile_spec_files(spec, options)
    manifest = api.run_spec(spec, options)
    return spec, Path(manifest.target["path"])


def query(target: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(target), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_xml_records_are_flattened(loaded):
    _, target = loaded
    assert query(target, "SELECT title, stage, amount, currency, city, phones FROM deal ORDER BY title") == [
        ("Big one", "won", pytest.approx(1234.5), "PLN", None, "+48 601 234 567; 22 123 45 67"),
        ("Łódź & Kraków", None, None, None, "Łódź", None),
    ]


def test_a_sql_field_is_computed_over_the_source_row(loaded):
    _, target = loaded
    assert query(target, "SELECT label FROM deal ORDER BY label") == [("BIG ONE [WON]",), ("ŁÓDŹ & KRAKÓW [?]",)]


def test_ndjson_values_arrive_as_text_and_references_resolve(loaded):
    _, target = loaded
    assert query(target, "SELECT kind, notes, meta, minutes FROM activity") == [
        ("call", "line one\nline two", '{"tags":["a"]}', None)]
    reasons = query(target, "SELECT source_row, reasons[1].rule FROM _ferry.rejects WHERE entity = 'activity'")
    assert reasons == [(2, "unresolved_reference")]


def test_xlsx_cells_read_as_excel_shows_them(loaded):
    _, target = loaded
    assert query(target, "SELECT name, hired, active, quota FROM owner ORDER BY name") == [
        ("Anna Nowak", __import__("datetime").date(2019, 3, 1), True, pytest.approx(125000)),
        ("Jürgen Groß", __import__("datetime").date(2021, 11, 15), False, pytest.approx(99999.5)),
        ("Олена Коваленко", None, None, None),
    ]
    crosswalk = query(target, "SELECT source_key FROM _ferry.owner_crosswalk ORDER BY source_key")
    assert crosswalk == [("7",), ("8",), ("u9",)]


def test_every_record_is_accounted_for(loaded):
    spec, target = loaded
    run = json.loads(target.with_name(f"{target.stem}.run.json").read_text("utf-8"))
    counts = {e["entity"]: (e["read"], e["loaded"], e["rejected"]) for e in run["entities"]}
    # 2 XML records, 2 NDJSON lines, 3 sheet rows (the blank one is no record), 2 JSON objects
    assert counts == {"deal": (2, 2, 0), "activity": (2, 1, 1), "owner": (3, 3, 0), "user": (2, 2, 0)}


def test_json_array(loaded):
    _, target = loaded
    assert query(target, "SELECT name, active, quota FROM \"user\" ORDER BY name") == [
        ("Anna Nowak", True, None), ("Jürgen Groß", False, pytest.approx(12.5))]


def test_rejects_export_has_the_original_record(loaded, tmp_path):
    spec, target = loaded
    files = api.export_rejects(spec, api.Options(out=spec.parent / "generated", target=target), tmp_path)
    by_entity = {f.entity: f for f in files}
    assert by_entity["activity"].rows == 1
    with by_entity["activity"].path.open(encoding="utf-8", newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["activity_id"] == "2" and row["type"] == "Anruf" and row["deal_id"] == "999"
    assert "unresolved_reference" in row["ferry_reasons"]
