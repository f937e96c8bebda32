"""Two specs into one target: waves of one migration never delete each other's records.

Wave 1 (spec ``wave1``) loads people and their deals from one old system; wave 2 (spec
``wave2``, another system) loads the same entities into the same tables, matching people on
email (mode update: their city). Its old ids overlap wave 1's ("1", "2") but mean other people:
each spec resolves its own old ids. Both specs are written here, like dbt's functional tests.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import duckdb
import pytest

from compiler import api

pytestmark = pytest.mark.slow

PEOPLE = {
    "wave1": "id,name,email,city\n1,Alice,alice@example.pl,Kraków\n2,Bogdan,bogdan@example.ua,Lviv\n"
             "3,Clara,clara@example.de,Berlin\n,Nobody,nobody@example.fr,Paris\n",
    "wave2": "id,name,email,city\n1,Zoé,zoe@example.fr,Lyon\n2,Bogdan B.,bogdan@example.ua,Kyiv\n",
}
DEALS = {
    "wave1": "id,title,person\nd1,Alice's deal,1\nd2,Bogdan's deal,2\n",
    "wave2": "id,title,person\nd1,Zoé's deal,1\nd2,Bogdan's second deal,2\n",
}


def write_spec(folder: Path, name: str, target: str, postgres: str = "") -> Path:
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / f"people_{name}.csv").write_text(PEOPLE[name], "utf-8")
    (data / f"deals_{name}.csv").write_text(DEALS[name], "utf-8")
    match = "    match: {on: [email], mode: update, update: [city]}\n" if name == "wave2" else ""
    spec = folder / f"{name}.yaml"
    spec.write_text(f"""version: 1
name: {name}
sources:
  people_{name}: {{path: data/people_{name}.csv, id: id}}
  deals_{name}: {{path: data/deals_{name}.csv, id: id}}
entities:
  person:
    source: people_{name}
{match}    fields:
      name: name
      email: {{from: email, transforms: [trim, lower]}}
      city: city
  deal:
    source: deals_{name}
    fields:
      title: title
    references:
      person_id: {{entity: person, from: person}}
target:
  kind: duckdb
  path: build/{target}.duckdb
{postgres}""", "utf-8")
    return spec


@pytest.fixture
def waves(tmp_path) -> tuple[Path, Path, api.Options]:
    options = api.Options(out=tmp_path / "generated")
    specs = (write_spec(tmp_path, "wave1", "crm"), write_spec(tmp_path, "wave2", "crm"))
    for spec in specs:
        api.compile_spec_files(spec, options)
    return *specs, options


def rows(target: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(target), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


PEOPLE_BY_NAME = "SELECT name, email, city FROM person ORDER BY email"
DEAL_OWNERS = "SELECT d.title, p.name FROM deal d LEFT JOIN person p ON p.id = d.person_id ORDER BY d.title"


def test_a_second_spec_links_to_the_first_ones_records_and_deletes_none(waves):
    wave1, wave2, options = waves
    first = api.run_spec(wave1, options)
    target = Path(first.target["path"])
    assert rows(target, "SELECT count(*) FROM person") == [(3,)]
    second = api.run_spec(wave2, options)
    person = next(c for c in second.entities if c.entity == "person")
    assert (person.loaded, person.linked, person.rejected) == (2, 1, 0)
    # Every wave 1 record is still there; Bogdan (matched on email) got wave 2's city, not its name.
    assert rows(target, PEOPLE_BY_NAME) == [
        ("Alice", "alice@example.pl", "Kraków"), ("Bogdan", "bogdan@example.ua", "Kyiv"),
        ("Clara", "clara@example.de", "Berlin"), ("Zoé", "zoe@example.fr", "Lyon")]
    # Old id "1" is Alice in wave 1 and Zoé in wave 2: each spec's deals follow its own crosswalk rows.
    assert rows(target, DEAL_OWNERS) == [("Alice's deal", "Alice"), ("Bogdan's deal", "Bogdan"),
                                         ("Bogdan's second deal", "Bogdan"), ("Zoé's deal", "Zoé")]
    # Wave 1's bookkeeping survives wave 2's run: its crosswalk rows and its reject (the row without an id).
    assert rows(target, "SELECT spec, count(*) FROM _ferry.person_crosswalk GROUP BY spec ORDER BY spec") == [
        ("wave1", 3), ("wave2", 2)]
    assert rows(target, "SELECT spec, entity, source_row FROM _ferry.rejects") == [("wave1", "person", 4)]
    assert first.entities[0].rejected == 1 and second.unresolved_references == 0

    # wave 1's plan after wave 2: nothing of its own to insert or delete; it would give Bogdan his city back.
    plan = api.plan_spec(wave1, options)
    by_entity = {e.entity: e for e in plan.entities}
    assert [(e.insert, e.delete) for e in plan.entities] == [(0, 0), (0, 0)]
    assert (by_entity["person"].update, by_entity["person"].untouched, by_entity["person"].previous_reject) == (1, 1, 1)
    assert by_entity["deal"].untouched == 2  # wave 2's deals are not wave 1's to manage

    # Rerunning wave 1 keeps wave 2's records, and wave 2's deals still reach their people.
    api.run_spec(wave1, options)
    assert rows(target, "SELECT name FROM person ORDER BY name") == [("Alice",), ("Bogdan",), ("Clara",), ("Zoé",)]
    assert rows(target, "SELECT count(*) FROM deal") == [(4,)]
    assert rows(target, DEAL_OWNERS)[2:] == [("Bogdan's second deal", "Bogdan"), ("Zoé's deal", "Zoé")]
    assert rows(target, "SELECT spec, count(*) FROM _ferry.rejects GROUP BY spec") == [("wave1", 1)]

    # wave 2 again: unchanged, and its plan deletes nothing either.
    plan = api.plan_spec(wave2, options)
    assert [(e.insert, e.delete) for e in plan.entities] == [(0, 0), (0, 0)]


def test_each_spec_exports_only_its_own_rejects(waves, tmp_path):
    wave1, wave2, options = waves
    api.run_spec(wave1, options)
    api.run_spec(wave2, options)
    files = {(f.entity, f.kind): f.rows for f in api.export_rejects(wave1, options, tmp_path / "r1")}
    assert files[("person", "rejects")] == 1
    files = {(f.entity, f.kind): f.rows for f in api.export_rejects(wave2, options, tmp_path / "r2")}
    assert files[("person", "rejects")] == 0


def test_a_crosswalk_from_before_the_spec_column_is_adopted_by_the_spec_that_runs(waves):
    """An older ferry's crosswalk has no `spec`: its rows become the running spec's, so its records
    are still its own to replace (not duplicated, not orphaned)."""
    wave1, _, options = waves
    target = Path(api.run_spec(wave1, options).target["path"])
    con = duckdb.connect(str(target))
    for table in ("person_crosswalk", "deal_crosswalk", "rejects"):
        con.execute(f"ALTER TABLE _ferry.{table} DROP COLUMN spec")
    con.close()
    api.run_spec(wave1, options)
    assert rows(target, "SELECT count(*) FROM person") == [(3,)]
    assert rows(target, "SELECT DISTINCT spec FROM _ferry.person_crosswalk") == [("wave1",)]
    assert rows(target, "SELECT spec, count(*) FROM _ferry.rejects GROUP BY spec") == [("wave1", 1)]


DSN = os.environ.get("FERRY_TEST_PG_DSN", "")


@pytest.mark.skipif(not DSN, reason="no PostgreSQL: set FERRY_TEST_PG_DSN, or run `make test` as root so "
                                    ".ci/start-postgres can start one")
@pytest.mark.parametrize("shared", [False, True], ids=["own-duckdb-files", "one-duckdb-file"])
def test_two_waves_pushed_to_postgres_keep_each_others_records(tmp_path, shared):
    import psycopg

    schema = f"w_{uuid.uuid4().hex[:12]}"
    postgres = f"  postgres: {{schema: {schema}, dsn_env: FERRY_TEST_PG_DSN}}\n"
    options = api.Options(out=tmp_path / "generated")
    wave1 = write_spec(tmp_path, "wave1", "crm" if shared else "wave1", postgres)
    wave2 = write_spec(tmp_path, "wave2", "crm" if shared else "wave2", postgres)

    def pg(sql: str) -> list[tuple]:
        with psycopg.connect(DSN) as con:
            return con.execute(sql.replace("{s}", f'"{schema}"')).fetchall()

    try:
        for spec in (wave1, wave2):
            api.compile_spec_files(spec, options)
            api.run_spec(spec, options)
            api.push_spec(spec, options)
        people = pg("SELECT name, city FROM {s}.person ORDER BY name")
        names = [n for n, _ in people]
        assert names == ["Alice", "Bogdan", "Clara", "Zoé"]
        if not shared:  # matched in PostgreSQL: wave 2's city reaches wave 1's record
            assert dict(people)["Bogdan"] == "Kyiv"
        assert pg("SELECT d.title, p.name FROM {s}.deal d JOIN {s}.person p ON p.id = d.person_id ORDER BY 1") == [
            ("Alice's deal", "Alice"), ("Bogdan's deal", "Bogdan"), ("Bogdan's second deal", "Bogdan"),
            ("Zoé's deal", "Zoé")]
        assert pg('SELECT spec, count(*) FROM {s}."_ferry_person_crosswalk" GROUP BY spec ORDER BY spec') == [
            ("wave1", 3), ("wave2", 2)]
        # Pushing wave 1 again deletes none of wave 2's records.
        api.run_spec(wave1, options)
        api.push_spec(wave1, options)
        assert [n for n, in pg("SELECT name FROM {s}.person ORDER BY name")] == names
        assert pg("SELECT count(*) FROM {s}.deal") == [(4,)]
    finally:
        with psycopg.connect(DSN, autocommit=True) as con:
            con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
