"""`ferry push --to postgres` against a real PostgreSQL server.

The server comes from $FERRY_TEST_PG_DSN (`make test` and `.ci/run` start a throwaway
cluster with .ci/start-postgres). Without it these tests are skipped, with the reason.
Each test loads the example into its own schema.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import duckdb
import pytest

from compiler import api
from compiler.errors import FerryError
from compiler.errors import FerryError
from tests.helpers import EXAMPLE, ROOT

DSN = os.environ.get("FERRY_TEST_PG_DSN", "")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not DSN, reason="no PostgreSQL: set FERRY_TEST_PG_DSN, or run "
                                                                  "`make test` as root so .ci/start-postgres can start one")]
ENTITIES = ("company", "contact", "owner", "deal", "activity")


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> tuple[Path, str]:
    """The example pushing to a schema of its own via $FERRY_TEST_PG_DSN, compiled and run once per test process
    (the folder and the schema's name); each test copies the folder (``project``). Tests of one process run
    one after another and each drops the schema when done, so each starts without it, as with a schema per test."""
    folder = tmp_path_factory.mktemp("pg") / "w"
    shutil.copytree(EXAMPLE.parent, folder / "legacy_crm", ignore=shutil.ignore_patterns("build"))
    spec = folder / "legacy_crm" / "legacy_crm.yaml"
    schema = f"t_{uuid.uuid4().hex[:12]}"
    text = spec.read_text("utf-8").replace(
        "target:\n  kind: duckdb\n", f"target:\n  kind: duckdb\n  postgres: {{schema: {schema}, dsn_env: FERRY_TEST_PG_DSN}}\n")
    spec.write_text(text, "utf-8")
    options = api.Options(out=folder / "generated")
    api.compile_spec_files(spec, options)
    api.run_spec(spec, options)
    return folder, schema


@pytest.fixture
def project(migrated, tmp_path) -> Path:
    """A copy of the migrated example (``migrated``); its schema dropped after the test."""
    folder, schema = migrated
    shutil.copytree(folder, tmp_path / "w")
    assert not pg_rows(f"SELECT 1 FROM pg_namespace WHERE nspname = '{schema}'")  # fresh, as its own schema was
    yield tmp_path / "w" / "legacy_crm" / "legacy_crm.yaml"
    import psycopg
    with psycopg.connect(DSN, autocommit=True) as pg:
        pg.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def pg_rows(sql: str) -> list[tuple]:
    import psycopg
    with psycopg.connect(DSN) as pg:
        return pg.execute(sql).fetchall()


def schema_of(spec: Path) -> str:
    return api.validate_spec(spec).target.postgres_schema


def test_push_loads_every_record_with_keys_and_foreign_keys(project):
    options = api.Options(out=project.parent.parent / "generated")
    manifest = api.push_spec(project, options)
    schema = schema_of(project)
    duck = duckdb.connect(str(project.parent / "build" / "legacy_crm.duckdb"), read_only=True)
    for entity in ENTITIES:
        expected = duck.execute(f"SELECT count(*) FROM {entity}").fetchall()[0][0]
        assert pg_rows(f'SELECT count(*) FROM "{schema}"."{entity}"') == [(expected,)], entity
        assert any(t.table == f"main.{entity}" and t.rows == expected for t in manifest.tables)
    # The same ids and values as the DuckDB result (spot check: every company).
    assert sorted(pg_rows(f'SELECT id::text, name, nip FROM "{schema}".company')) == sorted(
        (str(i), n, p) for i, n, p in duck.execute("SELECT id, name, nip FROM company").fetchall())
    keys = pg_rows(f"SELECT conrelid::regclass::text, contype, pg_get_constraintdef(oid) FROM pg_constraint "
                   f"WHERE connamespace = '{schema}'::regnamespace ORDER BY 1, 3")
    primary = {table.split(".")[-1] for table, kind, _ in keys if kind == "p"}
    assert primary == set(ENTITIES)  # crosswalks have none
    # The push's scratch tables (matched links, the next crosswalk rows) were its own, temporary: none is left;
    # what stays is the crosswalks, the ledger of what was pushed, and the delta's conflicts and gone records.
    assert sorted(t for t, in pg_rows(f"SELECT tablename FROM pg_tables WHERE schemaname = '{schema}'")
                  if t.startswith("_ferry_")) == sorted([*(f"_ferry_{e}_{t}" for e in ENTITIES for t in ("crosswalk", "written")),
                                                         "_ferry_conflicts", "_ferry_gone"])
    foreign = {(table.split(".")[-1], definition.split(" REFERENCES ")[0]) for table, kind, definition in keys
               if kind == "f"}
    assert ("company", "FOREIGN KEY (parent_id)") in foreign and ("activity", "FOREIGN KEY (deal_id)") in foreign
    assert len(foreign) == 8  # every reference of the example


def test_push_again_converges_to_the_same_rows(project):
    options = api.Options(out=project.parent.parent / "generated")
    schema = schema_of(project)
    digest = f'SELECT md5(string_agg(t::text, \'|\' ORDER BY t::text)) FROM "{schema}".contact AS t'
    api.push_spec(project, options)
    first = pg_rows(digest)
    api.push_spec(project, options)
    assert pg_rows(digest) == first
    assert pg_rows(f'SELECT count(*) FROM "{schema}".contact') == pg_rows(
        f"SELECT count(*) FROM \"{schema}\"._ferry_contact_crosswalk WHERE status = 'loaded'")


def test_records_a_later_run_drops_are_deleted_others_stay(project):
    options = api.Options(out=project.parent.parent / "generated")
    schema = schema_of(project)
    api.push_spec(project, options)
    import psycopg
    with psycopg.connect(DSN, autocommit=True) as pg:  # a record that someone else loaded
        pg.execute(f'INSERT INTO "{schema}".owner (id, full_name) VALUES (gen_random_uuid(), \'From the CRM\')')
    spec_text = project.read_text("utf-8")
    project.write_text(spec_text.replace("      region: region\n", "      region: {from: region, rules: "
                                         "[{one_of: [DACH]}]}\n"), "utf-8")  # now most owners are rejected
    api.compile_spec_files(project, options)
    api.run_spec(project, options, full=True)  # replaced, as before delta runs: the owners' records go
    api.push_spec(project, options)
    names = [n for (n,) in pg_rows(f'SELECT full_name FROM "{schema}".owner ORDER BY 1')]
    loaded = duckdb.connect(str(project.parent / "build" / "legacy_crm.duckdb"), read_only=True).execute(
        "SELECT count(*) FROM owner").fetchall()[0][0]
    assert "From the CRM" in names and len(names) == loaded + 1


def test_a_push_after_a_delta_keeps_the_records_the_delta_kept(project):
    """A delta run keeps records gone from the export (gone: keep, the default): the push is a delta on the server
    too, keeps them there and lists them in _ferry_gone (before pushes knew kept records, it stopped: F623)."""
    options = api.Options(out=project.parent.parent / "generated")
    schema = schema_of(project)
    api.push_spec(project, options)
    before = pg_rows(f'SELECT id, full_name FROM "{schema}".owner ORDER BY 1')
    spec_text = project.read_text("utf-8")
    project.write_text(spec_text.replace("      region: region\n", "      region: {from: region, rules: "
                                         "[{one_of: [DACH]}]}\n"), "utf-8")
    api.compile_spec_files(project, options)
    run = api.run_spec(project, options)
    kept = run.delta["entities"]["owner"]["gone"]["keep"]
    assert kept > 0
    pushed = api.push_spec(project, options)
    assert pushed.delta["entities"]["owner"]["mode"] == "delta" and pushed.delta["entities"]["owner"]["gone"] == {
        "keep": kept}
    assert pg_rows(f'SELECT id, full_name FROM "{schema}".owner ORDER BY 1') == before
    assert pg_rows(f"SELECT count(*) FROM \"{schema}\"._ferry_gone WHERE entity = 'owner' AND resolution = 'keep'") == [
        (kept,)]


def test_a_dead_server_is_one_line_and_no_secret(project, tmp_path):
    dead = "postgresql://ferry:s3cret@127.0.0.1:9/postgres"
    env = {**os.environ, "FERRY_TEST_PG_DSN": dead}
    out = subprocess.run([sys.executable, "-m", "compiler", "push", str(project), "--out",
                          str(project.parent.parent / "generated")], capture_output=True, text=True, env=env, cwd=ROOT)
    assert out.returncode == 1 and "F703" in out.stderr and "Traceback" not in out.stderr
    assert "s3cret" not in out.stderr + out.stdout
    assert all("s3cret" not in p.read_text("utf-8") for p in (project.parent.parent / "generated").rglob("*")
               if p.is_file())


def test_a_malformed_dsn_is_never_echoed(project, monkeypatch):
    monkeypatch.setenv("FERRY_TEST_PG_DSN", "loader:S3cretPw@db.internal:5432/crm")
    with pytest.raises(FerryError) as info:
        api.push_spec(project, api.Options(out=project.parent.parent / "generated"))
    message = info.value.diagnostics[0].format()
    assert "F703" in message and "S3cretPw" not in message


def test_missing_dsn_variable(project, monkeypatch):
    monkeypatch.delenv("FERRY_TEST_PG_DSN")
    with pytest.raises(FerryError) as info:
        api.push_spec(project, api.Options(out=project.parent.parent / "generated"))
    assert info.value.diagnostics[0].code == "F702"


def digests(schema: str) -> dict[str, str]:
    """Every entity table's content, as one md5 per table (order-independent)."""
    return {e: pg_rows(f'SELECT md5(coalesce(string_agg(t::text, \'|\' ORDER BY t::text), \'\')) '
                       f'FROM "{schema}"."{e}" AS t')[0][0] for e in ENTITIES}


def test_batches_give_the_same_rows_as_one_transaction(project):
    options = api.Options(out=project.parent.parent / "generated")
    schema = schema_of(project)
    whole = api.push_spec(project, options)
    assert whole.transactions == 1 and set(whole.paths.values()) == {"fresh"}
    expected = digests(schema)
    import psycopg
    with psycopg.connect(DSN, autocommit=True) as pg:
        pg.execute(f'DROP SCHEMA "{schema}" CASCADE')
    batched = api.push_spec(project, options, batch_size=25)
    contacts = next(t.rows for t in batched.tables if t.table == "main.contact")
    assert batched.transactions >= 2 + len(ENTITIES) + contacts // 25  # prepare, probes, batches, finish
    assert digests(schema) == expected
    again = api.push_spec(project, options, batch_size=25)  # a rerun upserts, in batches too
    assert set(again.paths.values()) == {"merge"} and digests(schema) == expected


def test_a_push_killed_midway_converges_when_run_again(project):
    """kill -9 during a batched push; the rerun gives exactly the rows of an uninterrupted push."""
    import signal
    import time
    options = api.Options(out=project.parent.parent / "generated")
    schema = schema_of(project)
    api.push_spec(project, options)
    expected = digests(schema)
    import psycopg
    with psycopg.connect(DSN, autocommit=True) as pg:
        pg.execute(f'DROP SCHEMA "{schema}" CASCADE')
    env = {**os.environ, "FERRY_TEST_PG_DSN": DSN}
    child = subprocess.Popen([sys.executable, "-m", "compiler", "push", str(project), "--out",
                              str(options.out), "--batch-size", "3"], env=env, cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and child.poll() is None:
        if pg_rows(f"SELECT count(*) FROM information_schema.tables WHERE table_schema = '{schema}' "
                   "AND table_name = 'contact'") == [(1,)] and pg_rows(f'SELECT count(*) FROM "{schema}".contact')[0][0]:
            break
        time.sleep(0.02)
    assert child.poll() is None, "the push finished before it could be killed"
    child.send_signal(signal.SIGKILL)
    child.wait()
    partial = digests(schema)
    assert partial["contact"] != expected["contact"] and partial["activity"] != expected["activity"]
    api.push_spec(project, options, batch_size=7)
    assert digests(schema) == expected
    assert len(pg_rows(f"SELECT 1 FROM pg_constraint WHERE connamespace = '{schema}'::regnamespace "
                       "AND contype = 'f'")) == 8


def test_a_record_only_the_server_has_is_matched_not_duplicated(project):
    """company matches on nip (mode update): a company someone else created in PostgreSQL with the same
    NIP is linked: updated, kept under its own id, and contacts of the migrated company point to it."""
    options = api.Options(out=project.parent.parent / "generated")
    schema = schema_of(project)
    duck = duckdb.connect(str(project.parent / "build" / "legacy_crm.duckdb"), read_only=True)
    ferry_id, nip, name = duck.execute("SELECT id::text, nip, name FROM company WHERE nip IS NOT NULL "
                                       "AND id IN (SELECT company_id FROM contact) ORDER BY id LIMIT 1").fetchone()
    children = duck.execute("SELECT count(*) FROM contact WHERE company_id = ?", [ferry_id]).fetchone()[0]
    duck.close()
    api.push_spec(project, options)  # creates the tables
    import psycopg
    with psycopg.connect(DSN, autocommit=True) as pg:
        pg.execute(f'DROP SCHEMA "{schema}" CASCADE')
        pg.execute(f'CREATE SCHEMA "{schema}"')
        pg.execute(f'CREATE TABLE "{schema}".company (id uuid PRIMARY KEY, name text, nip text, city text, '
                   f'country text, phone text, created_on date, status text, parent_id uuid)')
        pg.execute(f'INSERT INTO "{schema}".company (id, name, nip, country) VALUES '
                   f"('00000000-0000-4000-8000-000000000001', 'Old name', %s, 'XX')", [nip])
    for _ in range(2):  # and again: still linked, nothing duplicated
        api.push_spec(project, options)
        rows = pg_rows(f'SELECT id::text, name, country FROM "{schema}".company WHERE nip = \'{nip}\'')
        assert rows == [("00000000-0000-4000-8000-000000000001", name, "XX")]  # name updated, country not listed
        assert pg_rows(f'SELECT count(*) FROM "{schema}".contact WHERE company_id = '
                       f"'00000000-0000-4000-8000-000000000001'") == [(children,)]
        assert pg_rows(f'SELECT count(*) FROM "{schema}".company WHERE id = \'{ferry_id}\'') == [(0,)]
        assert pg_rows(f'SELECT linked FROM "{schema}"._ferry_company_crosswalk '
                       f"WHERE id = '00000000-0000-4000-8000-000000000001' AND status = 'loaded'") == [(True,)]
