"""A delta run that computes only the changed rows (``compiler.scope``): the same target as a delta over the
whole export, row for row, and the manifest says which entities were scoped, how many rows, or why not.

The example is run once, its target edited, then the second export of ``test_delta`` runs twice into copies
of that target: with the scope, and with ``FERRY_DELTA_SCOPE=off`` (every entity computed whole, as before
the scope existed). Every table of the two targets must hold the same rows, except the run stamps and the
scope's own row hashes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from compiler import api, run_render, scope
from tests.e2e.test_delta import SPEC, edit_target, ids, options, query, second_export, target
from tests.helpers import EXAMPLE, ROOT

pytestmark = pytest.mark.slow
#: Columns that hold the run that wrote a row (its start time): different in any two runs.
STAMPS = {"run", "_ferry_run", "started_at", "manifest"}


@pytest.fixture(scope="module")
def edited(tmp_path_factory) -> Path:
    """The example run once, then edited in the target, and the second export in place (not yet run)."""
    project = tmp_path_factory.mktemp("scope") / "p"
    shutil.copytree(EXAMPLE.parent, project / "legacy_crm", ignore=shutil.ignore_patterns("build"))
    api.compile_spec_files(project / SPEC, options(project))
    first = api.run_spec(project / SPEC, options(project))
    assert first.delta["scope"]["activity"]["reason"] == "a first run"
    edit_target(project, ids(project))
    second_export(project)
    return project


def _copy(project: Path, where: Path) -> Path:
    shutil.copytree(project, where)
    return where


def tables(path: Path) -> dict[str, list[tuple]]:
    """Every table of a target (but the scope's own: row hashes and dedup values), its rows sorted, without
    run stamps."""
    out = {}
    with duckdb.connect(str(path), read_only=True) as con:
        for schema, name in con.execute("SELECT schema_name, table_name FROM duckdb_tables() "
                                        "WHERE NOT table_name LIKE '%rowhash%' AND NOT table_name LIKE '%rowdedup%' "
                                        "ORDER BY 1, 2").fetchall():
            columns = [c for (c,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
                "ORDER BY column_index", [schema, name]).fetchall() if c not in STAMPS]
            listed = ", ".join(f'CAST("{c}" AS VARCHAR)' for c in columns)
            out[f"{schema}.{name}"] = con.execute(f'SELECT {listed} FROM "{schema}"."{name}" ORDER BY ALL').fetchall()
    return out


@pytest.fixture(scope="module")
def both(edited, tmp_path_factory, ) -> tuple[Path, Path, object]:
    """The second export run with the scope and without it, each into its own copy of the edited target."""
    base = tmp_path_factory.mktemp("both")
    scoped, whole = _copy(edited, base / "scoped"), _copy(edited, base / "whole")
    with pytest.MonkeyPatch.context() as mp:  # the example's rows are dirty by design: most are in scope
        mp.setattr(scope, "LIMIT", 1.0)
        run = api.run_spec(scoped / SPEC, options(scoped))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(scope.SWITCH, "off")
        other = api.run_spec(whole / SPEC, options(whole))
    return scoped, whole, run, other


def test_a_scoped_delta_gives_the_same_target_as_a_whole_one_row_for_row(both):
    scoped, whole, run, other = both
    a, b = tables(target(scoped)), tables(target(whole))
    assert a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], name
    assert run.entities == other.entities and run.sources == other.sources  # the accounting, every row
    assert run.delta["entities"] == other.delta["entities"]  # inserts, updates, unchanged, conflicts, gone
    assert run.unresolved_references == other.unresolved_references


def test_the_manifest_says_which_entities_were_scoped_and_how_many_rows_they_computed(both):
    _, _, run, _ = both
    s = run.delta["scope"]
    assert s["activity"]["scoped"] and s["deal"]["scoped"] and s["owner"]["scoped"]
    activity = s["activity"]
    read = next(e.read for e in run.entities if e.entity == "activity")
    assert activity["rows"] == read and activity["new"] == 1 and activity["changed"] == 0
    # the new row, and the rows of contacts whose record changed (50031 gone, 50011/50022 bridged), at least
    assert 1 < activity["scope"] < read
    assert activity["new"] + activity["changed"] + activity["unchanged"] == read
    owners = next(e for e in run.entities if e.entity == "owner")  # no owner changed: its rejected rows only
    assert s["owner"]["scope"] == owners.rejected == 1 and s["owner"]["unchanged_records"] == owners.loaded
    # contacts dedup: in scope the changed, new and gone rows' clusters and the rows sharing their keys or blocks
    contact = s["contact"]
    assert contact["scoped"] and contact["new"] == 6 and contact["changed"] == 3
    assert contact["new"] + contact["changed"] < contact["scope"] < contact["rows"]
    # rows without an old id can match nothing stored: counted in "new", and named apart in the run's summary
    scoped, *_ = both
    with duckdb.connect() as con:
        keyless = con.execute("SELECT count(*) FROM read_csv(?, all_varchar = true) WHERE trim(coalesce(contact_id, "
                              "'')) = ''", [str(scoped / "legacy_crm" / "data" / "contacts.csv")]).fetchone()[0]
    assert contact["keyless"] == keyless > 0 and contact["new"] >= keyless
    line = next(x for x in run_render._delta_lines(run) if x.startswith("  scope contact:"))
    again = contact["scope"] - contact["new"] - contact["changed"]  # > 0 above: the parentheses add up to the scope
    assert (f"(new {contact['new'] - keyless:,}, changed {contact['changed']:,}, without an old id {keyless:,}, "
            f"unchanged but recomputed {again:,}: ") in line
    assert f"{contact['scope']:,} of {contact['rows']:,} rows computed" in line
    assert not s["company"]["scoped"] and s["company"]["reason"].startswith("match")
    counts = run.delta["entities"]["activity"]
    loaded = next(e.loaded for e in run.entities if e.entity == "activity")
    assert counts["insert"] == 1 and counts["insert"] + counts["update"] + counts["unchanged"] == loaded


def test_children_of_a_merged_or_gone_parent_are_recomputed_and_point_at_its_record(both):
    scoped, _, _, _ = both
    crosswalk = dict(query(scoped, "SELECT source_key, CAST(id AS VARCHAR) FROM _ferry.contact_crosswalk"))
    for key in ("50011", "50022"):  # bridged by 59997: one of them merged into the other's record
        pointing = query(scoped, "SELECT DISTINCT CAST(a.contact_id AS VARCHAR) FROM activity a JOIN "
                                 "_ferry.activity_crosswalk x ON x.id = a.id JOIN read_ndjson_auto(?) s "
                                 "ON CAST(s.activity_id AS VARCHAR) = x.source_key WHERE CAST(s.contact_id AS VARCHAR) = ?",
                         [str(scoped / "legacy_crm" / "data" / "activities.ndjson"), key])
        assert pointing in ([], [(crosswalk[key],)])


def test_a_scope_above_the_limit_computes_the_entity_whole_and_says_why(edited, tmp_path, monkeypatch):
    project = _copy(edited, tmp_path / "p")
    monkeypatch.setattr(scope, "LIMIT", 0.001)  # the example's activities: a few rows in scope, the new one at least
    run = api.run_spec(project / SPEC, options(project))
    activity = run.delta["scope"]["activity"]
    assert not activity["scoped"] and activity["scope"] > scope.LIMIT * activity["rows"]
    assert activity["reason"].startswith(f"the scope holds {activity['scope']} of {activity['rows']} rows")


def test_a_spec_change_computes_every_entity_whole_and_says_why(edited, tmp_path, monkeypatch):
    monkeypatch.setattr(scope, "LIMIT", 1.0)
    project = _copy(edited, tmp_path / "p")
    spec = project / SPEC
    spec.write_text(spec.read_text("utf-8").replace("  activity:\n    source: activities\n",
                                                    "  activity:\n    source: activities\n    delta: {gone: keep}\n"),
                    "utf-8")
    api.compile_spec_files(spec, options(project))
    run = api.run_spec(spec, options(project))
    s = run.delta["scope"]
    assert not any(e["scoped"] for e in s.values())
    assert s["activity"]["reason"] == "the spec or its compiled SQL changed since the last run"
    again = api.run_spec(spec, options(project))  # the next run, of the same export: scoped, nothing changed
    activity = again.delta["scope"]["activity"]
    assert activity["scoped"] and activity["new"] == activity["changed"] == 0
    # in scope: only the rows that did not settle and are not carried (their references unresolved, as before)
    unsettled = query(project, "SELECT count(*) FROM _ferry.activity_rowhash WHERE NOT settled")[0][0]
    carried = query(project, "SELECT count(*) FROM _ferry.activity_rowhash WHERE NOT settled AND carry IS NOT NULL")[0][0]
    assert 0 < carried == activity["carried"] and activity["scope"] == unsettled - carried < activity["rows"]


@pytest.mark.skipif(not (ROOT / "bench" / "generate.py").is_file(), reason="the bench generator is not in this tree")
def test_on_a_20k_bench_export_a_scoped_delta_gives_the_same_target_as_a_whole_one(tmp_path):
    """The key parity check at a size where the scope is well below its limit: the bench generator's export
    (20k contacts) and its second export (``bench/cutover_export.py``: 1% changed, 0.5% new, 0.5% gone)."""
    import sys
    sys.path[:0] = [str(ROOT / "bench")]
    import cutover_export
    import run as bench_run
    from variants import bench_spec
    bench_run.load_generator().generate(tmp_path / "export1", 20_000, 2026, deals_format="xml", people=True)
    cutover_export.write(tmp_path / "export1", tmp_path / "export2", 17)
    spec = bench_spec(tmp_path, "bench_cutover")
    opts = api.Options(out=tmp_path / "generated", target=tmp_path / "first.duckdb")
    (tmp_path / "data").symlink_to("export1", target_is_directory=True)
    api.compile_spec_files(spec, opts)
    api.run_spec(spec, opts)
    (tmp_path / "data").unlink()
    (tmp_path / "data").symlink_to("export2", target_is_directory=True)
    runs = {}
    for name in ("scoped", "whole"):
        shutil.copyfile(tmp_path / "first.duckdb", tmp_path / f"{name}.duckdb")
        with pytest.MonkeyPatch.context() as mp:
            if name == "whole":
                mp.setenv(scope.SWITCH, "off")
            runs[name] = api.run_spec(spec, api.Options(out=tmp_path / "generated", target=tmp_path / f"{name}.duckdb"))
    s = runs["scoped"].delta["scope"]
    assert s["activity"]["scoped"] and s["deal"]["scoped"] and s["contact"]["scoped"], s
    assert 0 < s["contact"]["new"] and s["contact"]["scope"] < s["contact"]["rows"]
    assert 0 < s["activity"]["new"] and 0 < s["activity"]["changed"] and s["activity"]["scope"] < s["activity"]["rows"]
    a, b = tables(tmp_path / "scoped.duckdb"), tables(tmp_path / "whole.duckdb")
    assert a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], name
    assert runs["scoped"].entities == runs["whole"].entities
    assert runs["scoped"].delta["entities"] == runs["whole"].delta["entities"]
    assert runs["scoped"].dedup == runs["whole"].dedup
