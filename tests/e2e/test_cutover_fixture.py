"""The second export of the example (tests/e2e/fixtures/cutover.py) against its truth file.

The example runs on the first export, then (today's full re-run, into a fresh target) on the second:
the rows the fixture picked load in the first run, the second run's accounting is the truth's counts,
new rows appear, gone rows do not, changed rows change their records, duplicates and the bridge join
the records they name, new rows' references resolve to first-export records, orphans are reported.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from compiler import api
from tests.e2e.fixtures import cutover

pytestmark = pytest.mark.slow
#: (source, column) -> the entity table's reference field.
REF_FIELDS = {("contacts", "company_id"): "company_id", ("contacts", "reports_to"): "reports_to_id",
              ("deals", "company_id"): "company_id", ("deals", "contact_id"): "contact_id",
              ("activities", "deal_id"): "deal_id"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cutover")
    truth = cutover.write(tmp / "second")
    out = tmp / "generated"
    first = cutover.project(tmp / "p1")
    second = cutover.project(tmp / "p2", tmp / "second")
    api.compile_spec_files(first, api.Options(out=out))
    api.run_spec(first, api.Options(out=out))
    api.run_spec(second, api.Options(out=out))
    cons = [duckdb.connect(str(p.parent / "build" / "legacy_crm.duckdb"), read_only=True) for p in (first, second)]
    manifest = json.loads((second.parent / "build" / "legacy_crm.run.json").read_text("utf-8"))
    yield truth, cons[0], cons[1], manifest, tmp
    for con in cons:
        con.close()


def crosswalk(con, entity: str) -> dict[str, tuple[str, str]]:
    return {k: (i, s) for k, i, s in con.execute(
        f"SELECT source_key, id::VARCHAR, status FROM _ferry.{entity}_crosswalk").fetchall()}


def record(con, entity: str, id_: str) -> tuple:
    return con.execute(f"SELECT * FROM main.{entity} WHERE id = ?::UUID", [id_]).fetchone()


def test_untouched_files_round_trip_byte_for_byte(tmp_path):
    for name, _, options in cutover.SOURCES.values():
        src = cutover.FIRST / name
        cutover.files.rewrite(src, tmp_path / name, lambda r: r, (), options)
        if name.endswith(".xlsx"):  # the workbook: same sheet, same values (openpyxl rewrites its parts)
            assert list(cutover.files.records(tmp_path / name, options)) == list(cutover.files.records(src, options))
        else:
            assert (tmp_path / name).read_bytes() == src.read_bytes(), name
    # A record written from its dict (not from its text as read) comes out the same.
    strip = lambda r: {k: v for k, v in r.items() if k != cutover.files.RAW}  # noqa: E731
    for name in ("deals.xml", "activities.ndjson"):
        cutover.files.rewrite(cutover.FIRST / name, tmp_path / f"d_{name}", strip)
        assert (tmp_path / f"d_{name}").read_bytes() == (cutover.FIRST / name).read_bytes(), name


def test_the_second_export_is_seeded_and_keeps_the_formats(runs, tmp_path):
    truth, *_, tmp = runs
    again = cutover.write(tmp_path / "again")
    assert again == truth
    for name, _, _ in cutover.SOURCES.values():
        assert (tmp_path / "again" / name).read_bytes() == (tmp / "second" / name).read_bytes(), name
    other = cutover.write(tmp_path / "other", seed=cutover.SEED + 1)
    assert other["sources"]["contacts"]["changed"] != truth["sources"]["contacts"]["changed"]
    second = tmp / "second"
    raw = (second / "companies.csv").read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n") and raw.decode("cp1250").startswith("firma_id;nazwa;")
    assert (second / "contacts.csv").read_bytes().startswith(b"\xef\xbb\xbfcontact_id,")
    assert (second / "deals.xml").read_text("utf-8").startswith('<?xml version="1.0" encoding="UTF-8"?>\n<export ')
    for source, (name, id_, options) in cutover.SOURCES.items():
        ids = [str(r[id_]) for r in cutover.files.records(second / name, options)]
        assert len(ids) == truth["sources"][source]["rows"]["second"]
        assert set(truth["sources"][source]["new"]) <= set(ids)
        assert not set(truth["sources"][source]["gone"]) & set(ids)
    owners = list(cutover.files.records(second / "owners.xlsx", cutover.SOURCES["owners"][2]))
    assert {type(o["hired"]).__name__ for o in owners} == {"datetime"}


def test_picked_rows_load_in_the_first_run(runs):
    truth, first, *_ = runs
    picked: dict[str, set[str]] = {s: set(v["changed"]) | set(v["gone"]) for s, v in truth["sources"].items()}
    for case in truth["edits"]:
        picked[case["source"]].add(case["id"])
    for case in truth["duplicates"]:
        picked[case["source"]].add(case["of"])
    for case in truth["bridges"]:
        picked[case["source"]].update(case["joins"])
    for case in truth["refers_to_first"]:
        picked[case["to_source"]].add(case["to"])
    for source, ids in picked.items():
        xw = crosswalk(first, cutover.ENTITIES[source])
        assert {i: xw.get(i, (None, "rejected"))[1] for i in ids} == dict.fromkeys(ids, "loaded"), source


def test_the_second_run_accounts_for_the_truths_rows(runs):
    truth, _, second, manifest, _ = runs
    by_source = {e["source"]: e for e in manifest["entities"]}
    for source, facts in truth["sources"].items():
        counts = by_source[source]
        assert counts["read"] == facts["rows"]["second"], source
        assert counts["read"] == counts["loaded"] + counts["merged"] + counts["archived"] + counts["rejected"]
        xw = crosswalk(second, facts["entity"])
        orphans = {o["id"] for o in truth["orphaned"] if o["source"] == source}
        assert set(facts["new"]) - orphans <= set(xw), source
        assert not set(facts["gone"]) & set(xw), source
        assert facts["rows"]["second"] == facts["rows"]["first"] - len(facts["gone"]) + len(facts["new"])


def test_changed_rows_change_their_records_and_edits_name_real_fields(runs):
    truth, first, second, *_ = runs
    for source, facts in truth["sources"].items():
        entity = facts["entity"]
        xw1, xw2 = crosswalk(first, entity), crosswalk(second, entity)
        for old_id in facts["changed"]:
            assert xw1[old_id][0] == xw2[old_id][0]
            assert record(first, entity, xw1[old_id][0]) != record(second, entity, xw2[old_id][0]), (source, old_id)
    for edit in truth["edits"]:
        xw = crosswalk(second, edit["entity"])
        value = second.execute(f'SELECT "{edit["field"]}"::VARCHAR FROM main.{edit["entity"]} WHERE id = ?::UUID',
                               [xw[edit["id"]][0]]).fetchone()[0]
        assert value != edit["target_edit"]
        if edit["entity"] != "deal":  # squish-only text fields: the record holds the export's value
            assert value == edit["second"], edit
        assert edit["source_changed"] == (edit["id"] in truth["sources"][edit["source"]]["changed"])
    assert any(e["source_changed"] for e in truth["edits"]) and not all(e["source_changed"] for e in truth["edits"])


def test_duplicates_and_the_bridge_join_the_records_they_name(runs):
    truth, first, second, *_ = runs
    for case in truth["duplicates"]:
        entity = cutover.ENTITIES[case["source"]]
        xw = crosswalk(second, entity)
        assert xw[case["id"]][0] == xw[case["of"]][0], case
    assert {c["by"] for c in truth["duplicates"]} == {"email", "phone", "nip"}
    (bridge,) = truth["bridges"]
    a, b = bridge["joins"]
    xw1, xw2 = crosswalk(first, "contact"), crosswalk(second, "contact")
    assert xw1[a][0] != xw1[b][0]
    assert xw2[a][0] == xw2[b][0] == xw2[bridge["id"]][0]


def test_new_rows_refer_to_first_export_records(runs):
    truth, first, second, *_ = runs
    assert {c["source"] for c in truth["refers_to_first"]} == {"contacts", "deals", "activities"}
    for case in truth["refers_to_first"]:
        entity, parent = cutover.ENTITIES[case["source"]], cutover.ENTITIES[case["to_source"]]
        child_id = crosswalk(second, entity)[case["id"]][0]
        value = second.execute(f'SELECT "{REF_FIELDS[(case["source"], case["column"])]}"::VARCHAR '
                               f"FROM main.{entity} WHERE id = ?::UUID", [child_id]).fetchone()[0]
        assert value == crosswalk(second, parent)[case["to"]][0] == crosswalk(first, parent)[case["to"]][0]


def test_children_of_gone_rows_are_reported(runs):
    truth, _, second, *_ = runs
    assert truth["orphaned"], "the second export must hold a child whose parent is gone"
    unresolved = set(second.execute("SELECT source, source_key, \"column\" FROM _ferry.unresolved_references")
                     .fetchall())
    rejected = {(s, k, r["column"]) for s, k, reasons in second.execute(
        "SELECT source, source_key, reasons FROM _ferry.rejects").fetchall() for r in reasons
        if r["rule"] == "unresolved_reference"}
    for orphan in truth["orphaned"]:
        assert (orphan["source"], orphan["id"], orphan["column"]) in unresolved | rejected, orphan


def test_the_command_line_writes_the_same_export(tmp_path):
    import subprocess
    import sys

    subprocess.run([sys.executable, str(Path(cutover.__file__)), str(tmp_path / "cli")], check=True)
    truth = json.loads((tmp_path / "cli" / "truth" / "cutover.json").read_text("utf-8"))
    assert truth == json.loads(json.dumps(cutover.write(tmp_path / "api"), default=str))
    with (tmp_path / "cli" / "contacts.csv").open(encoding="utf-8-sig", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == truth["sources"]["contacts"]["rows"]["second"]
    shutil.rmtree(tmp_path / "cli")


def test_the_bench_second_export_matches_its_truth(tmp_path):
    """bench/cutover_export.py (the 1M bench's second export), on the example with high rates."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("ferry_bench_cutover_export", cutover.ROOT / "bench" / "cutover_export.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    truth = bench.write(cutover.FIRST, tmp_path / "b", seed=3, rates={"changed": 0.1, "new": 0.05, "gone": 0.05})
    assert (tmp_path / "b" / "owners.xlsx").read_bytes() == (cutover.FIRST / "owners.xlsx").read_bytes()
    for source, facts in truth["sources"].items():
        name, id_, options = bench.SOURCES[source]
        first = {str(r[id_]): r for r in cutover.files.records(cutover.FIRST / name, options)}
        second = {str(r[id_]): r for r in cutover.files.records(tmp_path / "b" / name, options)}
        assert facts["changed"] and facts["gone"] and facts["new"], source
        assert len(second) == facts["rows"]["second"] - (source == "contacts") * 2  # 3 rows without an id: one key
        assert set(facts["new"]) == set(second) - set(first)
        assert set(facts["gone"]) == set(first) - set(second)
        for old_id, columns in facts["changed"].items():
            for column, (before, after) in columns.items():
                assert first[old_id].get(column) == before and second[old_id][column] == after != before
        unchanged = set(first) & set(second) - set(facts["changed"])
        assert all(first[i].get(cutover.files.RAW, first[i]) == second[i].get(cutover.files.RAW, second[i])
                   for i in unchanged)
    for dup in truth["sources"]["contacts"]["duplicates"]:
        rows = {r["contact_id"]: r for r in cutover.files.records(tmp_path / "b" / "contacts.csv")}
        assert rows[dup["id"]]["email"].strip().lower() == rows[dup["of"]]["email"].strip().lower()
