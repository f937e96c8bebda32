"""Phones end to end: a row's own region (a column, or SQL over the row) comes first, an
unknown row region is its own reject reason, naming the region's column and value, and a number
two fallbacks read differently is one too, naming the candidates."""

from __future__ import annotations

import duckdb
import pytest

from compiler import api

pytestmark = pytest.mark.slow

SPEC = """\
version: 1
name: phones
sources:
  people: {path: people.csv, id: id, options: {delimiter: ";"}}
entities:
  person:
    source: people
    fields:
      phone: {from: phone, transforms: [{phone: {region: PL, fallback: [DE, FR], region_from: {column: country}}}]}
      office: {from: office, transforms: [{phone: {region: PL, region_from: {sql: "CASE system WHEN 'crm_fr' THEN 'FR' END"}}}]}
target: {path: out.duckdb}
"""

ROWS = """\
id;phone;country;office;system
1;06 24 30 60 69;fr;06 24 30 60 69;crm_fr
2;06 24 30 60 69;;601 234 567;crm_pl
3;+48 601 234 567;Polska;;crm_pl
4;601 234 567;PL;06 24 30 60 69;crm_pl
5;030 1234567; ;12;crm_pl
6;0151 23456789;;;crm_pl
"""


def test_row_regions_come_first_and_unknown_ones_reject(tmp_path):
    (tmp_path / "people.csv").write_text(ROWS, encoding="utf-8")
    (tmp_path / "phones.yaml").write_text(SPEC, encoding="utf-8")
    options = api.Options(out=tmp_path / "generated")
    api.compile_spec_files(tmp_path / "phones.yaml", options)
    manifest = api.run_spec(tmp_path / "phones.yaml", options)
    (counts,) = manifest.entities
    assert (counts.read, counts.loaded, counts.rejected) == (6, 2, 4)
    con = duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True)
    rejects = dict(con.execute("SELECT source_key, [r.rule || '/' || r.field || '/' || r.\"column\" || '=' || "
                               "r.value || coalesce(' (' || r.detail || ')', '') for r in reasons] "
                               "FROM _ferry.rejects").fetchall())
    assert rejects == {
        # No row region, not valid in PL: a French mobile, and a German number too.
        "2": ["ambiguous_phone/phone/phone=06 24 30 60 69 (DE +49624306069, FR +33624306069)"],
        "3": ["unknown_phone_region/phone/country=Polska"],
        # The row's system names no region, and the number is not valid in PL.
        "4": ["invalid_phone/office/office=06 24 30 60 69"],
        "5": ["ambiguous_phone/phone/phone=030 1234567 (DE +49301234567, FR +33301234567)",
              "invalid_phone/office/office=12"],
    }
    assert con.execute("SELECT phone, office FROM person ORDER BY phone").fetchall() == [
        ("+33624306069", "+33624306069"),  # the row's region, FR, before PL and DE
        ("+4915123456789", None),  # no row region: not valid in PL, valid in DE alone
    ]
