"""A second, later export into a target its users have edited: a delta run (``compiler.delta``, ``sqlgen.stable``).

The example is run once (the first export); then records are edited in the target with SQL, the export
changes (a row changed, a row gone, a row new, a new duplicate of a migrated contact, a row bridging two
migrated contacts) and the spec runs again. Every case is checked on the target's records, ``_ferry.conflicts``
and ``_ferry.gone``; plan run before the second run must predict exactly what it does; a run killed
during the delta leaves the target as it was and the next run converges.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from compiler import api, plan as plan_module, run as run_module
from tests.helpers import EXAMPLE, ROOT

pytestmark = pytest.mark.slow
SPEC = "legacy_crm/legacy_crm.yaml"


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """The example compiled and run once: the first export, loaded."""
    project = tmp_path_factory.mktemp("delta") / "p"
    shutil.copytree(EXAMPLE.parent, project / "legacy_crm", ignore=shutil.ignore_patterns("build"))
    options = api.Options(out=project / "generated")
    api.compile_spec_files(project / SPEC, options)
    first = api.run_spec(project / SPEC, options)
    assert first.delta["kind"] == "first" and first.delta["entities"]["contact"]["insert"] == 231
    return project


@pytest.fixture
def project(migrated, tmp_path) -> Path:
    shutil.copytree(migrated, tmp_path / "p")
    return tmp_path / "p"


def target(project: Path) -> Path:
    return project / "legacy_crm" / "build" / "legacy_crm.duckdb"


def options(project: Path) -> api.Options:
    return api.Options(out=project / "generated")


def ids(project: Path) -> dict[str, str]:
    """Old contact id -> the id of the record it became (the crosswalk)."""
    with duckdb.connect(str(target(project)), read_only=True) as con:
        return dict(con.execute("SELECT source_key, CAST(id AS VARCHAR) FROM _ferry.contact_crosswalk").fetchall())


def query(project: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(target(project)), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def city(project: Path, record: str) -> str | None:
    rows = query(project, "SELECT city FROM contact WHERE id = ?", [record])
    return rows[0][0] if rows else "(no record)"


def edit_target(project: Path, before: dict[str, str]) -> None:
    """What the new system's users did after the first load."""
    with duckdb.connect(str(target(project))) as con:
        for key, value in (("50010", "Sopot"), ("50020", "Kyiv (HQ)"), ("50030", "Dnipro")):
            con.execute("UPDATE contact SET city = ? WHERE id = ?", [value, before[key]])
        con.execute("DELETE FROM contact WHERE id = ?", [before["50002"]])


def second_export(project: Path) -> None:
    """The final export: 50014 and 50020 (city and notes) and 50030 changed, 50031 gone, 59999 new, 59998 a
    new and more complete duplicate of 50013 (same e-mail), 59997 bridging 50011 (its e-mail) and 50022 (its
    phone); activity 3000001 gone, 3999999 new (of the gone contact 50031)."""
    path = project / "legacy_crm" / "data" / "contacts.csv"
    lines = path.read_text("utf-8").split("\n")
    changed = {"50014": (",Odesa,", ",Lviv,"), "50020": (",Kyiv,", ",Kharkiv,Nowy numer"),
               "50030": (",Kyiv,", ",Dnipro,")}
    out = []
    for line in lines:
        key = line.split(",", 1)[0]
        if key == "50031":
            continue
        if key in changed:
            old, new = changed[key]
            assert old in line, line
            line = line.replace(old, new)
        out.append(line)
    out[2:2] = ["59999,Nowy,Kontakt,nowy.kontakt@example.pl,601 234 567,,,2020-01-01,Łódź,hello",
                "59998,Jadwiga,Ślęzak,slezak.jadwiga@onet.pl,+48 746 460 865,1033,,2010-01-01,Lublin,Stała klientka",
                "59997,Hanna,Schäfer-Bieńkowska,hannelore.schaefer@gmail.com,+48 857 513 642,,,2024-01-01,,"]
    path.write_text("\n".join(out), "utf-8")
    activities = project / "legacy_crm" / "data" / "activities.ndjson"
    activities.write_text("".join(line for line in activities.read_text("utf-8").splitlines(keepends=True)
                                  if '"activity_id": 3000001,' not in line)
                          + '{"activity_id": 3999999, "type": "call", "deal_id": 900002, "contact_id": 50031, '
                            '"occurred_at": "2026-11-30T10:00:00", "duration_min": 5, "notes": "after the export", '
                            '"meta": {"tags": []}}\n', "utf-8")


def set_policies(project: Path, contact: str, activity: str) -> None:
    spec = project / SPEC
    text = spec.read_text("utf-8")
    text = text.replace("  contact:\n    source: contacts\n",
                        f"  contact:\n    source: contacts\n    delta: {{conflicts: {contact}}}\n")
    text = text.replace("  activity:\n    source: activities\n",
                        f"  activity:\n    source: activities\n    delta: {{gone: {activity}}}\n")
    spec.write_text(text, "utf-8")
    api.compile_spec_files(spec, options(project))


@pytest.mark.parametrize("conflicts,gone", [("target_wins", "keep"), ("source_wins", "archive"), ("reject", "delete")])
def test_a_second_export_runs_as_a_delta(project, conflicts, gone):
    set_policies(project, conflicts, gone)
    before = ids(project)
    activity = query(project, "SELECT id FROM _ferry.activity_crosswalk WHERE source_key = '3000001'")[0][0]
    deals_of = lambda record: query(project, "SELECT count(*) FROM deal WHERE contact_id = ?", [record])[0][0]  # noqa: E731
    deals = {k: deals_of(before[k]) for k in ("50011", "50022", "50013")}
    assert deals["50011"] and deals["50022"] and deals["50013"]
    edit_target(project, before)
    second_export(project)
    snapshot = project / "before.duckdb"
    shutil.copyfile(target(project), snapshot)
    planned = api.plan_spec(project / SPEC, options(project), sample=0)
    run = api.run_spec(project / SPEC, options(project))
    assert run.delta["kind"] == planned.kind == "delta"
    after = ids(project)
    contact = run.delta["entities"]["contact"]

    # Only the target changed: the target's value stays. Only the source changed: it is applied.
    assert city(project, before["50010"]) == "Sopot"
    assert city(project, before["50014"]) == "Lviv"
    # Both changed to the same value: no conflict.
    assert city(project, before["50030"]) == "Dnipro"
    # Both changed to different values: a conflict, resolved by the policy and listed with both values.
    rows = query(project, "SELECT field, written, target, source, resolution FROM _ferry.conflicts WHERE id = ?",
                 [before["50020"]])
    resolution = {"target_wins": "target_wins", "source_wins": "source_wins", "reject": "rejected"}[conflicts]
    assert rows == [("city", "Kyiv", "Kyiv (HQ)", "Kharkiv", resolution)]
    assert contact["conflicts"] == 1 and contact["conflicted_records"] == 1
    notes = query(project, "SELECT notes FROM contact WHERE id = ?", [before["50020"]])[0][0]
    if conflicts == "source_wins":
        assert city(project, before["50020"]) == "Kharkiv" and notes == "Nowy numer"
    elif conflicts == "target_wins":  # the conflicting field keeps the target's value, the rest is applied
        assert city(project, before["50020"]) == "Kyiv (HQ)" and notes == "Nowy numer"
    else:  # reject: the record is not updated at all
        assert city(project, before["50020"]) == "Kyiv (HQ)" and notes is None
    # A record the target's users deleted stays deleted.
    assert city(project, before["50002"]) == "(no record)" and contact["deleted_in_target"] == 1

    # A new row is inserted; a gone contact is kept (the default), and listed.
    assert city(project, after["59999"]) == "Łódź" and after["50031"] == before["50031"]
    assert city(project, before["50031"]) == "Lublin"
    assert query(project, "SELECT resolution, source_key FROM _ferry.gone WHERE entity = 'contact' "
                          "AND resolution <> 'merged'") == [("keep", "50031")]
    # A new row referring to the kept contact's old id resolves to it (its crosswalk row is kept).
    assert query(project, "SELECT CAST(a.contact_id AS VARCHAR) FROM activity AS a JOIN _ferry.activity_crosswalk AS x "
                          "ON x.id = a.id WHERE x.source_key = '3999999'") == [(before["50031"],)]
    assert query(project, "SELECT status FROM _ferry.contact_crosswalk WHERE source_key = '50031'") == [("kept",)]
    # A gone activity, under each policy.
    gone_rows = query(project, "SELECT resolution, record IS NOT NULL FROM _ferry.gone WHERE id = ?", [activity])
    assert gone_rows == [(gone, gone == "archive")]
    assert bool(query(project, "SELECT count(*) FROM activity WHERE id = ?", [activity])[0][0]) == (gone == "keep")
    assert run.delta["entities"]["activity"]["gone"] == {gone: 1}

    # A new duplicate of a migrated contact joins its cluster and keeps its id, though it now survives.
    assert after["59998"] == after["50013"] == before["50013"]
    assert query(project, "SELECT status FROM _ferry.contact_crosswalk WHERE source_key = '59998'") == [("loaded",)]
    assert query(project, "SELECT created_on::VARCHAR FROM contact WHERE id = ?", [before["50013"]]) == [("2010-01-01",)]
    assert deals_of(before["50013"]) == deals["50013"]
    # A row bridging two migrated contacts: the smaller id stays, the other is merged into it (reported),
    # and the deals of both point at the one left.
    kept, merged = sorted((before["50011"], before["50022"]))
    assert after["50011"] == after["50022"] == after["59997"] == kept
    assert city(project, merged) == "(no record)"
    assert query(project, "SELECT resolution, CAST(merged_into AS VARCHAR) FROM _ferry.gone WHERE id = ?",
                 [merged]) == [("merged", kept)]
    assert deals_of(kept) == deals["50011"] + deals["50022"] and deals_of(merged) == 0
    assert contact["gone"] == {"keep": 1, "merged": 1}
    # Nothing already loaded was renumbered.
    assert all(after[k] == v for k, v in before.items() if k in after and v != merged)

    # The plan made before the run predicted exactly what it did.
    compiled, _ = run_module.read_compiled(api.validate_spec(project / SPEC, options(project), read_rows=False),
                                           project / "generated" / "legacy_crm")
    actual = plan_module.compare(snapshot, target(project), compiled, run, 0)
    assert [(e.entity, e.insert, e.update, e.delete, e.unchanged, e.gone) for e in planned.entities] == [
        (e.entity, e.insert, e.update, e.delete, e.unchanged, e.gone) for e in actual]
    assert [(c.id, c.field, c.target, c.source, c.resolution) for e in planned.entities for c in e.conflicts] == [
        (before["50020"], "city", "Kyiv (HQ)", "Kharkiv", resolution)]
    assert planned.has_changes


def test_a_run_of_an_unchanged_export_changes_nothing_and_keeps_the_edits(project):
    before = ids(project)
    edit_target(project, before)
    shutil.copyfile(target(project), project / "before.duckdb")
    planned = api.plan_spec(project / SPEC, options(project), sample=0)
    assert not planned.has_changes and planned.kind == "delta"
    run = api.run_spec(project / SPEC, options(project))
    assert all(c["insert"] == c["update"] == c["conflicts"] == 0 and not c["gone"] for c in run.delta["entities"].values())
    assert city(project, before["50010"]) == "Sopot" and city(project, before["50002"]) == "(no record)"
    assert ids(project) == before


def test_a_kill_during_the_delta_leaves_the_target_as_it_was_and_a_rerun_converges(project, tmp_path):
    before = ids(project)
    edit_target(project, before)
    second_export(project)
    with duckdb.connect(str(target(project)), read_only=True) as con:
        state = con.execute("SELECT * FROM contact ORDER BY id").fetchall()
    paused = tmp_path / "paused"
    env = {**os.environ, run_module.PAUSE_STEP: "delta", run_module.PAUSE_SIGNAL: str(paused)}
    child = subprocess.Popen([sys.executable, "-m", "compiler", "run", str(project / SPEC), "--out",
                              str(project / "generated")], cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=env)
    give_up = time.monotonic() + 600  # a guard against a hang, not a speed assumption
    while not paused.exists():
        assert child.poll() is None, "the run ended before the delta"
        assert time.monotonic() < give_up
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    with duckdb.connect(str(target(project)), read_only=True) as con:
        assert con.execute("SELECT * FROM contact ORDER BY id").fetchall() == state
    run = api.run_spec(project / SPEC, options(project))
    assert run.delta["kind"] == "delta" and city(project, before["50010"]) == "Sopot"
    assert city(project, before["50014"]) == "Lviv"
    again = api.run_spec(project / SPEC, options(project))  # converged: nothing left to do
    assert all(c["insert"] == c["update"] == 0 and set(c["gone"]) <= {"keep"} for c in again.delta["entities"].values()), \
        json.dumps(again.delta)


def test_a_pilot_into_a_migrated_target_and_an_older_target_are_refused_with_a_hint(project):
    with pytest.raises(Exception) as raised:
        api.run_spec(project / SPEC, options(project), sample=10)
    assert "[F621]" in str(raised.value.diagnostics[0].format())
    with duckdb.connect(str(target(project))) as con:  # what an older ferry left: no record of what it wrote
        for started_at, manifest in con.execute("SELECT started_at, manifest FROM _ferry.runs").fetchall():
            older = {k: v for k, v in json.loads(manifest).items() if k != "delta"}
            con.execute("UPDATE _ferry.runs SET manifest = ? WHERE started_at = ?", [json.dumps(older), started_at])
    with pytest.raises(Exception) as raised:
        api.run_spec(project / SPEC, options(project))
    assert "[F620]" in raised.value.diagnostics[0].format() and "--full" in raised.value.diagnostics[0].format()
    assert api.plan_spec(project / SPEC, options(project), sample=0, full=True).kind == "full"
    full = api.run_spec(project / SPEC, options(project), full=True)
    assert full.delta["kind"] == "full"
    assert api.run_spec(project / SPEC, options(project)).delta["kind"] == "delta"


def test_the_manifest_records_the_export_date(project):
    spec = project / SPEC
    spec.write_text(spec.read_text("utf-8").replace("    id: contact_id\n", "    id: contact_id\n    export_date: 2026-11-30\n"),
                    "utf-8")
    api.compile_spec_files(spec, options(project))
    run = api.run_spec(spec, options(project))
    assert {i.source: i.export_date for i in run.inputs}["contacts"] == "2026-11-30"
    stored = json.loads(query(project, "SELECT manifest FROM _ferry.runs ORDER BY started_at DESC LIMIT 1")[0][0])
    assert stored["delta"]["kind"] == "delta"
    assert {i["source"]: i["export_date"] for i in stored["inputs"]} == {
        "activities": None, "companies": None, "contacts": "2026-11-30", "deals": None, "owners": None}


def ferry(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "compiler", *args], capture_output=True, text=True, cwd=cwd,
                          env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "PYTHONPATH": str(ROOT)})


def test_plan_shows_conflicts_and_gone_records_in_every_format(project):
    import jsonschema
    from markdown_it import MarkdownIt

    before = ids(project)
    edit_target(project, before)
    second_export(project)
    text = ferry("plan", SPEC, cwd=project)
    assert text.returncode == 2, text.stderr
    assert "conflicts (1): edited in the target, changed in the source" in text.stdout
    assert '! contact 50020 city: target "Kyiv (HQ)", source "Kharkiv" (written "Kyiv") -> target_wins' in text.stdout
    assert "gone from the export, contact: 1 keep, 1 merged" in text.stdout
    assert "gone from the export, activity: 1 keep" in text.stdout
    data = json.loads(ferry("plan", SPEC, "--format", "json", cwd=project).stdout)
    jsonschema.validate(data, json.loads((ROOT / "compiler" / "schema" / "plan-v1.json").read_text("utf-8")))
    contact = next(e for e in data["entities"] if e["entity"] == "contact")
    assert data["kind"] == "delta" and contact["gone"] == {"keep": 1, "merged": 1}
    assert contact["conflicts"] == [{"id": before["50020"], "source_key": "50020", "field": "city", "written": "Kyiv",
                                     "target": "Kyiv (HQ)", "source": "Kharkiv", "resolution": "target_wins"}]
    markdown = ferry("plan", SPEC, "--format", "markdown", cwd=project).stdout
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    assert "<td>50020</td>\n<td>city</td>\n<td>Kyiv</td>\n<td>Kyiv (HQ)</td>\n<td>Kharkiv</td>" in html
    run = ferry("run", SPEC, cwd=project)
    assert run.returncode == 0, run.stderr
    assert "delta contact: +1 ~" in run.stdout and "1 conflicts" in run.stdout and "_ferry.conflicts" in run.stdout


def test_refusals_are_one_located_line(project):
    result = ferry("run", SPEC, "--sample", "10", cwd=project)
    assert result.returncode == 1 and "[F621]" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_first_run_writes_the_ledger_in_the_entity_tables_order(migrated):
    """The ledger of a replacing run holds the records the entity table holds, in the table's own order (so the
    same files give the same ledger row for row, and its insert reads them as they lie)."""
    with duckdb.connect(str(target(migrated)), read_only=True) as con:
        for entity in ("company", "contact", "deal", "activity", "owner"):
            written = [r[0] for r in con.execute(f'SELECT id FROM _ferry."{entity}_written" ORDER BY rowid').fetchall()]
            table = [r[0] for r in con.execute(f'SELECT id FROM main."{entity}" ORDER BY rowid').fetchall()]
            assert written and written == table, entity
