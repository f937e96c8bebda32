"""The delta on PostgreSQL (``compiler.targets.postgres.delta``): the server holds what users edit, and ferry's ledger of what it pushed.

The example is run and pushed once; records are edited on the server with SQL; the export changes (the same
second export as ``test_delta``) and ``ferry plan --to postgres`` must predict exactly what ``ferry run`` then
``ferry push --to postgres`` do: every conflict and gone policy, checked on the server's rows,
``_ferry_conflicts`` and ``_ferry_gone``; a push killed with SIGKILL leaves the server as it was, and pushing
again converges. Needs $FERRY_TEST_PG_DSN (see test_postgres).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from compiler import api, run as run_module
from tests.e2e import test_delta as cutover
from tests.helpers import EXAMPLE, ROOT

DSN = os.environ.get("FERRY_TEST_PG_DSN", "")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not DSN, reason="no PostgreSQL: set FERRY_TEST_PG_DSN, or run "
                                                                  "`make test` as root so .ci/start-postgres can start one")]
SPEC = "legacy_crm/legacy_crm.yaml"


def pg(sql: str, params: list | None = None) -> list[tuple]:
    import psycopg
    with psycopg.connect(DSN, autocommit=True) as con:
        cur = con.execute(sql, params or [])
        return cur.fetchall() if cur.description else []


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """The example with a PostgreSQL target, compiled and run once (not pushed)."""
    project = tmp_path_factory.mktemp("pgdelta") / "p"
    shutil.copytree(EXAMPLE.parent, project / "legacy_crm", ignore=shutil.ignore_patterns("build"))
    spec = project / SPEC
    spec.write_text(spec.read_text("utf-8").replace(
        "target:\n  kind: duckdb\n", "target:\n  kind: duckdb\n  postgres: {schema: SCHEMA, dsn_env: FERRY_TEST_PG_DSN}\n"),
        "utf-8")
    return project


@pytest.fixture
def project(template, tmp_path) -> Path:
    """A copy of the template with its own schema, run and pushed: the first export on the server."""
    shutil.copytree(template, tmp_path / "p")
    spec = tmp_path / "p" / SPEC
    schema = f"t_{uuid.uuid4().hex[:12]}"
    spec.write_text(spec.read_text("utf-8").replace("schema: SCHEMA", f"schema: {schema}"), "utf-8")
    api.compile_spec_files(spec, options(tmp_path / "p"))
    api.run_spec(spec, options(tmp_path / "p"))
    first = api.push_spec(spec, options(tmp_path / "p"))
    assert {e["mode"] for e in first.delta["entities"].values()} == {"replace"}
    yield tmp_path / "p"
    pg(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def options(project: Path) -> api.Options:
    return api.Options(out=project / "generated")


def schema_of(project: Path) -> str:
    return api.validate_spec(project / SPEC).target.postgres_schema


def ids(project: Path) -> dict[str, str]:
    return dict(pg(f'SELECT source_key, id::text FROM "{schema_of(project)}"._ferry_contact_crosswalk'))


def city(project: Path, record: str) -> str | None:
    rows = pg(f'SELECT city FROM "{schema_of(project)}".contact WHERE id = %s', [record])
    return rows[0][0] if rows else "(no record)"


def edit_server(project: Path, before: dict[str, str]) -> None:
    """What the new system's users did on the server after the first push (its foreign keys hold)."""
    s = schema_of(project)
    for key, value in (("50010", "Sopot"), ("50020", "Kyiv (HQ)"), ("50030", "Dnipro")):
        pg(f'UPDATE "{s}".contact SET city = %s WHERE id = %s', [value, before[key]])
    for table in ("activity", "deal"):
        pg(f'UPDATE "{s}".{table} SET contact_id = NULL WHERE contact_id = %s', [before["50002"]])
    pg(f'DELETE FROM "{s}".contact WHERE id = %s', [before["50002"]])


def digest(project: Path) -> dict[str, str]:
    s = schema_of(project)
    tables = [t for (t,) in pg("SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY 1", [s])]
    return {t: pg(f'SELECT md5(coalesce(string_agg(t::text, \'|\' ORDER BY t::text), \'\')) FROM "{s}"."{t}" AS t')[0][0]
            for t in tables}


def _counts(entities: dict) -> dict:
    keys = ("insert", "update", "unchanged", "delete", "conflicts")
    return {e: ({k: c[k] for k in keys}, c["gone"]) for e, c in entities.items()}


@pytest.mark.parametrize("conflicts,gone", [("target_wins", "keep"), ("source_wins", "archive"), ("reject", "delete")])
def test_plan_to_postgres_predicts_the_push_and_every_case_holds_on_the_server(project, conflicts, gone):
    cutover.set_policies(project, conflicts, gone)
    s = schema_of(project)
    before = ids(project)
    activity = pg(f"SELECT id::text FROM \"{s}\"._ferry_activity_crosswalk WHERE source_key = '3000001'")[0][0]
    deals_of = lambda record: pg(f'SELECT count(*) FROM "{s}".deal WHERE contact_id = %s', [record])[0][0]  # noqa: E731
    deals = {k: deals_of(before[k]) for k in ("50011", "50022")}
    edit_server(project, before)
    cutover.second_export(project)
    server = digest(project)
    planned = api.plan_spec(project / SPEC, options(project), sample=0, to="postgres")
    assert digest(project) == server  # the plan wrote nothing
    assert planned.kind == "delta" and planned.has_changes
    api.run_spec(project / SPEC, options(project))
    pushed = api.push_spec(project / SPEC, options(project))
    assert {e["mode"] for e in pushed.delta["entities"].values()} == {"delta"}
    # The plan predicted exactly what the push did.
    assert {e.entity: ({"insert": e.insert, "update": e.update, "unchanged": e.unchanged, "delete": e.delete,
                        "conflicts": len(e.conflicts)}, dict(e.gone)) for e in planned.entities} == _counts(
        pushed.delta["entities"])
    resolution = {"target_wins": "target_wins", "source_wins": "source_wins", "reject": "rejected"}[conflicts]
    assert [(c.id, c.field, c.written, c.target, c.source, c.resolution) for e in planned.entities
            for c in e.conflicts] == [(before["50020"], "city", "Kyiv", "Kyiv (HQ)", "Kharkiv", resolution)]

    # Only the server changed: its value stays. Only the source changed: applied. Both, to the same value: kept.
    assert city(project, before["50010"]) == "Sopot" and city(project, before["50014"]) == "Lviv"
    assert city(project, before["50030"]) == "Dnipro"
    # Both changed to different values: a conflict, listed on the server with both values, resolved by the policy.
    assert pg(f'SELECT field, written, target, source, resolution FROM "{s}"._ferry_conflicts WHERE id = %s',
              [before["50020"]]) == [("city", "Kyiv", "Kyiv (HQ)", "Kharkiv", resolution)]
    notes = pg(f'SELECT notes FROM "{s}".contact WHERE id = %s', [before["50020"]])[0][0]
    expected = {"source_wins": ("Kharkiv", "Nowy numer"), "target_wins": ("Kyiv (HQ)", "Nowy numer"),
                "reject": ("Kyiv (HQ)", None)}[conflicts]
    assert (city(project, before["50020"]), notes) == expected
    # A record deleted on the server stays deleted; a new one is inserted; the gone contact is kept (default).
    assert city(project, before["50002"]) == "(no record)"
    assert city(project, ids(project)["59999"]) == "Łódź" and city(project, before["50031"]) == "Lublin"
    # The gone activity under each policy; archive keeps its values in _ferry_gone.
    assert pg(f'SELECT resolution, record IS NOT NULL FROM "{s}"._ferry_gone WHERE id = %s', [activity]) == [
        (gone, gone == "archive")]
    assert pg(f'SELECT count(*) FROM "{s}".activity WHERE id = %s', [activity]) == [(int(gone == "keep"),)]
    # The bridged contacts: the smaller id stays, the other is merged into it and removed, its deals re-pointed.
    kept, merged = sorted((before["50011"], before["50022"]))
    assert city(project, merged) == "(no record)" and deals_of(kept) == deals["50011"] + deals["50022"]
    assert pg(f"SELECT resolution, merged_into::text FROM \"{s}\"._ferry_gone WHERE id = %s", [merged]) == [
        ("merged", kept)]
    # The ledger on the server advanced: a rejected conflict's row did not (it is reported again next time).
    written = pg(f'SELECT city FROM "{s}"._ferry_contact_written WHERE id = %s', [before["50020"]])
    assert written == [("Kyiv",)] if conflicts == "reject" else written == [("Kharkiv",)]
    assert len(pg(f'SELECT 1 FROM pg_constraint WHERE connamespace = %s::regnamespace AND contype = \'f\'', [s])) == 8
    # Pushing again changes nothing (converged); the plan says so.
    again = api.plan_spec(project / SPEC, options(project), sample=0, to="postgres")
    assert not again.has_changes, [(e.entity, e.insert, e.update, e.delete) for e in again.entities]
    assert (len([c for e in again.entities for c in e.conflicts]) == 1) == (conflicts == "reject")


def test_an_unchanged_export_plans_no_change_and_keeps_the_server_edits(project):
    before = ids(project)
    edit_server(project, before)
    result = subprocess.run([sys.executable, "-m", "compiler", "plan", SPEC, "--to", "postgres"], capture_output=True,
                            text=True, cwd=project, env={**os.environ, "COLUMNS": "200", "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stdout + result.stderr
    server = digest(project)
    pushed = api.push_spec(project / SPEC, options(project))
    assert all(c["insert"] == c["update"] == c["delete"] == 0 for c in pushed.delta["entities"].values())
    assert pushed.delta["entities"]["contact"]["deleted_in_target"] == 1
    assert city(project, before["50010"]) == "Sopot" and city(project, before["50002"]) == "(no record)"
    changed = {t for t, d in digest(project).items() if server.get(t) != d}
    assert changed <= {f"_ferry_{e}_written" for e in ("activity", "company", "contact", "deal", "owner")}, changed


def test_a_push_killed_before_its_delta_writes_leaves_the_server_as_it_was_and_converges(project, tmp_path):
    before = ids(project)
    edit_server(project, before)
    cutover.second_export(project)
    api.run_spec(project / SPEC, options(project))
    server = digest(project)
    paused = tmp_path / "paused"
    env = {**os.environ, run_module.PAUSE_STEP: "push", run_module.PAUSE_SIGNAL: str(paused)}
    child = subprocess.Popen([sys.executable, "-m", "compiler", "push", str(project / SPEC), "--out",
                              str(project / "generated")], cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=env)
    give_up = time.monotonic() + 600  # a guard against a hang, not a speed assumption
    while not paused.exists():
        assert child.poll() is None, "the push ended before its delta writes"
        assert time.monotonic() < give_up
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert digest(project) == server
    planned = api.plan_spec(project / SPEC, options(project), sample=0, to="postgres")
    pushed = api.push_spec(project / SPEC, options(project))
    assert city(project, before["50014"]) == "Lviv" and city(project, before["50010"]) == "Sopot"
    assert pushed.delta["entities"]["contact"]["update"] == next(e.update for e in planned.entities
                                                                  if e.entity == "contact") > 0
    again = api.push_spec(project / SPEC, options(project))
    assert all(c["insert"] == c["update"] == c["delete"] == 0 for c in again.delta["entities"].values())


def test_plan_to_a_dead_server_is_one_located_line(project):
    env = {**os.environ, "FERRY_TEST_PG_DSN": "postgresql://ferry:s3cret@127.0.0.1:9/postgres", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "compiler", "plan", SPEC, "--to", "postgres"], capture_output=True,
                            text=True, cwd=project, env=env)
    assert result.returncode == 1 and "[F703]" in result.stderr and "hint:" in result.stderr
    assert "Traceback" not in result.stderr and "s3cret" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_server_loaded_without_a_ledger_stops_a_delta_push(project):
    s = schema_of(project)
    for entity in ("activity", "company", "contact", "deal", "owner"):  # what a push before the ledger left
        pg(f'DROP TABLE "{s}"._ferry_{entity}_written')
    cutover.second_export(project)
    api.run_spec(project / SPEC, options(project))
    server = digest(project)
    with pytest.raises(Exception) as raised:
        api.push_spec(project / SPEC, options(project))
    assert raised.value.diagnostics[0].code == "F630" and "--full" in raised.value.diagnostics[0].format()
    assert digest(project) == server
    api.run_spec(project / SPEC, options(project), full=True)
    assert {e["mode"] for e in api.push_spec(project / SPEC, options(project)).delta["entities"].values()} == {"replace"}


def test_the_cutover_fixtures_second_export_with_server_edits_is_planned_exactly(tmp_path):
    """``tests/e2e/fixtures/cutover.py``'s second export (changes, gone rows, new rows, duplicates, a bridge), with its
    ``edits`` made on the server by SQL: the plan predicts the push, the edits whose source did not change stay,
    and every conflict is one of the edits whose source changed."""
    from tests.e2e.fixtures import cutover as fixture

    schema = f"t_{uuid.uuid4().hex[:12]}"

    def project(export: Path = fixture.FIRST) -> Path:  # the example spec over the export, pushing to the schema
        spec = fixture.project(tmp_path / "legacy_crm", export)
        spec.write_text(spec.read_text("utf-8").replace("target:\n  kind: duckdb\n", "target:\n  kind: duckdb\n  "
                                                        f"postgres: {{schema: {schema}, dsn_env: FERRY_TEST_PG_DSN}}\n"), "utf-8")
        return spec

    spec = project()
    opts = api.Options(out=tmp_path / "generated")
    try:
        api.compile_spec_files(spec, opts)
        api.run_spec(spec, opts)
        api.push_spec(spec, opts)
        truth = fixture.write(tmp_path / "second")
        model = api.validate_spec(spec)
        for edit in truth["edits"]:
            entity = model.entity(edit["entity"])
            table = f'"{schema}"."{model.target.table_prefix}{entity.table}"'
            (record,) = pg(f'SELECT id FROM "{schema}"._ferry_{entity.name}_crosswalk WHERE source_key = %s '
                           "AND status = 'loaded'", [edit["id"]])[0]
            pg(f'UPDATE {table} SET "{edit["field"]}" = %s WHERE id = %s', [edit["target_edit"], record])
        project(tmp_path / "second")
        planned = api.plan_spec(spec, opts, sample=0, allow_shrink=True, to="postgres")
        api.run_spec(spec, opts, allow_shrink=True)
        pushed = api.push_spec(spec, opts)
        assert {e.entity: ({"insert": e.insert, "update": e.update, "unchanged": e.unchanged, "delete": e.delete,
                            "conflicts": len(e.conflicts)}, dict(e.gone)) for e in planned.entities} == _counts(
            pushed.delta["entities"])
        assert sum(c["insert"] for c in pushed.delta["entities"].values()) > 0
        assert sum(c["update"] for c in pushed.delta["entities"].values()) > 0
        conflicted = {(e.entity, c.source_key, c.field) for e in planned.entities for c in e.conflicts}
        assert conflicted and conflicted <= {(e["entity"], e["id"], e["field"]) for e in truth["edits"]
                                             if e["source_changed"]}
        assert pg(f'SELECT count(*) FROM "{schema}"._ferry_conflicts') == [(len(conflicted),)]
        for edit in (e for e in truth["edits"] if not e["source_changed"] and e["entity"] != "deal"):
            entity = model.entity(edit["entity"])
            value = pg(f'SELECT t."{edit["field"]}"::text FROM "{schema}"."{model.target.table_prefix}{entity.table}" '
                       f'AS t JOIN "{schema}"._ferry_{entity.name}_crosswalk AS x ON x.id = t.id '
                       "WHERE x.source_key = %s AND x.status = 'loaded'", [edit["id"]])
            assert value == [(edit["target_edit"],)], edit  # only the server changed it: its value stays
    finally:
        pg(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
