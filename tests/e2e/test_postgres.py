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
from tests.helpers import EXAMPLE, ROOT

DSN = os.environ.get("FERRY_TEST_PG_DSN", "")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not DSN, reason="no PostgreSQL: set FERRY_TEST_PG_DSN, or run "
                                                                  "`make test` as root so .ci/start-postgres can start one")]
ENTITIES = ("company", "contact", "owner", "deal", "activity")


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """The example in a temporary folder, pushing to a schema of its own via $FERRY_TEST_PG_DSN."""
    shutil.copytree(EXAMPLE.parent, tmp_path / "legacy_crm", ignore=shutil.ignore_patterns("build"))
    spec = tmp_path / "legacy_crm" / "legacy_crm.yaml"
    schema = f"t_{uuid.uuid4().hex[:12]}"
    text = spec.read_text("utf-8").replace(
        "target:\n  kind: duckdb\n", f"target:\n  kind: duckdb\n  postgres: {{schema: {schema}, dsn_env: FERRY_TEST_PG_DSN}}\n")
    spec.write_text(text, "utf-8")
    options = api.Options(out=tmp_path / "generated")
    api.compile_spec_files(spec, options)
    api.run_spec(spec, options)
    yield spec
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
    assert sum(1 for _, kind, _ in keys if kind == "p") == len(ENTITIES)  # crosswalks have none
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
    api.run_spec(project, options)
    api.push_spec(project, options)
    names = [n for (n,) in pg_rows(f'SELECT full_name FROM "{schema}".owner ORDER BY 1')]
    loaded = duckdb.connect(str(project.parent / "build" / "legacy_crm.duckdb"), read_only=True).execute(
        "SELECT count(*) FROM owner").fetchall()[0][0]
    assert "From the CRM" in names and len(names) == loaded + 1


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
