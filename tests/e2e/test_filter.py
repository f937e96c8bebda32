"""Filters: rows not kept are archived (table and file), counted, and never referenced."""

from __future__ import annotations

import duckdb
import pytest

from compiler import api
from compiler.errors import FerryError

pytestmark = pytest.mark.slow

SPEC = """\
version: 1
name: filtered
sources:
  orgs: {path: orgs.csv, id: id}
  deals: {path: deals.csv, id: id}
entities:
  org:
    source: orgs
    fields:
      name: name
      status: {from: status, transforms: [lower]}
    filter: {keep: "status = 'active'", archive: archive/orgs.parquet}
  deal:
    source: deals
    fields:
      title: title
      closed: {from: closed, type: date}
    references:
      org_id: {entity: org, from: org}
    filter: {keep: "closed IS NULL OR closed >= DATE '2020-01-01'", archive: archive/deals.csv}
target: {path: out.duckdb}
"""


def project(tmp_path):
    (tmp_path / "orgs.csv").write_text("id,name,status\n1,Acme,ACTIVE\n2,Old Co,inactive\n3,Nameless,\n4,Bad,active\n")
    (tmp_path / "deals.csv").write_text("id,title,closed,org\n10,New,,1\n11,Ancient,2011-05-01,1\n"
                                        "12,To archived org,,2\n13,Recent,2023-01-01,1\n")
    (tmp_path / "filtered.yaml").write_text(SPEC)
    options = api.Options(out=tmp_path / "generated")
    api.compile_spec_files(tmp_path / "filtered.yaml", options)
    return options


def test_archived_rows_are_kept_and_counted(tmp_path):
    manifest = api.run_spec(tmp_path / "filtered.yaml", project(tmp_path))
    counts = {c.entity: (c.read, c.loaded, c.merged, c.archived, c.rejected) for c in manifest.entities}
    # org 3 has no status: NULL is not kept, as in WHERE. deal 12 points at an archived org.
    assert counts == {"org": (4, 2, 0, 2, 0), "deal": (4, 2, 0, 1, 1)}
    con = duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True)
    assert con.execute("SELECT source_key, name FROM _ferry.org_archive ORDER BY 1").fetchall() == [
        ("2", "Old Co"), ("3", "Nameless")]
    assert con.execute("SELECT source_key FROM _ferry.org_crosswalk ORDER BY 1").fetchall() == [("1",), ("4",)]
    assert con.execute("SELECT source_key, reasons[1].rule FROM _ferry.rejects").fetchall() == [
        ("12", "unresolved_reference")]
    files = duckdb.connect()
    assert files.execute(f"SELECT source_key, name FROM '{tmp_path}/archive/orgs.parquet' ORDER BY 1").fetchall() == [
        ("2", "Old Co"), ("3", "Nameless")]
    assert (tmp_path / "archive/deals.csv").read_text().splitlines()[1].startswith("deals,2,11,Ancient,2011-05-01")
    assert not list((tmp_path / "archive").glob(".*tmp"))


def test_failed_run_writes_no_archive(tmp_path):
    options = project(tmp_path)
    (tmp_path / "deals.csv").write_text('id,title,closed,org\n10,"unterminated,,1\n')
    with pytest.raises(FerryError):
        api.run_spec(tmp_path / "filtered.yaml", options)
    assert not (tmp_path / "archive").exists() or not any((tmp_path / "archive").iterdir())
