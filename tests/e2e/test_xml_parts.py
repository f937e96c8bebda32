"""`ferry run` on an XML source converted in parts loads, rejects and counts exactly as one pass does.

The export is the hazard corpus of tests/unit/test_xml_split.py (CDATA and
comments holding record tags, nested records, byte-order marks in values,
windows-1250), and ``_SPLIT_BYTES`` is lowered so it is split. Rejects carry
``source_row``: the row numbers must be the same whichever way the file was read.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from compiler import api
from compiler.sources import xmlsplit
from tests.unit.test_xml_split import document

pytestmark = pytest.mark.slow

SPEC = """\
version: 1
name: parts
sources:
  deals: {path: deals.xml, id: id, options: {record: /export/deals/deal}}
entities:
  deal:
    source: deals
    fields:
      title: title
      stage: {from: stage, rules: [required]}
      amount: {from: amount, type: decimal}
      currency: amount.currency
      city: address.city
      phones: phone
      note: note
      owner: owner
      nested: deal.id
"""


def run(folder: Path, data: bytes, monkeypatch, split: bool) -> tuple[dict, list, list]:
    folder.mkdir()
    (folder / "deals.xml").write_bytes(data)
    spec = folder / "parts.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    monkeypatch.setattr(xmlsplit, "_SPLIT_BYTES", 0 if split else 1 << 62)
    monkeypatch.setattr(xmlsplit, "_cores", lambda: 3)
    used = []
    real = xmlsplit.convert
    monkeypatch.setattr(xmlsplit, "convert", lambda *a: used.append(r := real(*a)) or r)
    options = api.Options(out=folder / "generated")
    api.compile_spec_files(spec, options)
    manifest = api.run_spec(spec, options)
    assert (used[0] is not None and used[0].parts == 3) == split
    target = Path(manifest.target["path"])
    run_json = json.loads(target.with_name(f"{target.stem}.run.json").read_text("utf-8"))
    con = duckdb.connect(str(target), read_only=True)
    try:
        rows = con.execute("SELECT * EXCLUDE (id) FROM deal ORDER BY title, amount, stage, note, owner, phones").fetchall()
        rejects = con.execute("SELECT source_row, source_key, reasons FROM _ferry.rejects ORDER BY source_row").fetchall()
    finally:
        con.close()
    counts = {e["entity"]: (e["read"], e["loaded"], e["rejected"]) for e in run_json["entities"]}
    inputs = [(i.source, i.sha256, i.marks_removed, i.notes) for i in manifest.inputs]
    return {"counts": counts, "inputs": inputs}, rows, rejects


@pytest.mark.parametrize("kind", ["utf-8", "cp1250"])
def test_a_run_reads_the_parts_as_one_pass(tmp_path, monkeypatch, kind):
    data = document(kind, 600)
    one = run(tmp_path / "one", data, monkeypatch, split=False)
    parts = run(tmp_path / "parts", data, monkeypatch, split=True)
    assert parts == one
    summary, rows, rejects = one
    assert summary["counts"]["deal"][0] == data.count(b"<deal id=\"") - data.count(b"<deal id=\"nested") \
        - data.count(b"<deal id=\"cdata") - data.count(b"<deal id=\"comment")
    assert rejects and rows  # blank stages reject, with the row they came from
    assert "byte-order marks" in summary["inputs"][0][3][0]
