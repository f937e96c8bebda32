"""Two specs into one target: waves of one migration never delete each other's records.

Wave 1 (spec ``wave1``) loads people and their deals from one old system; wave 2 (spec
``wave2``, another system) loads the same entities into the same tables, matching people on
email (mode update: their city). Its old ids overlap wave 1's ("1", "2") but mean other people:
each spec resolves its own old ids. Both specs are written here, like dbt's functional tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from compiler import api
from compiler.errors import FerryError
from compiler.sqlgen.ids import FERRY_NAMESPACE
from tests.helpers import ROOT

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


#: ``extras``: each wave also has a person typed twice (merged by e-mail) and a lost deal (archived),
#: and wave 2's deals have columns wave 1's lack: an amount, a field named ``spec`` and a second reference.
EXTRA_PEOPLE = {"wave1": "4,Alice Again,ALICE@example.pl,Kraków\n", "wave2": "3,Zoe Dup,ZOE@example.fr,Lyon\n"}
EXTRA_DEALS = {"wave1": "id,title,person\nd1,Alice's deal,1\nd2,Bogdan's deal,2\nd3,Alice's lost deal,1\n",
               "wave2": "id,title,person,amount,spec,helper\nd1,Zoé's deal,1,10.50,A,2\n"
                        "d2,Bogdan's second deal,2,20.00,B,\nd3,Zoé's lost deal,1,5.00,C,2\n"}
EXTRA_FIELDS = {"wave1": "", "wave2": "      amount: {from: amount, type: decimal, precision: 10, scale: 2}\n"
                                      "      spec: spec\n"}
EXTRA_REFERENCES = {"wave1": "", "wave2": "      helper_id: {entity: person, from: helper}\n"}


def write_spec(folder: Path, name: str, target: str, postgres: str = "", extras: bool = False,
               source: str | None = None, match: str | None = None) -> Path:
    """``source``: the people source's name (default ``people_<name>``); ``match``: the person entity's
    ``match:`` (default: wave 2 matches on email, mode update)."""
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / f"people_{name}.csv").write_text(PEOPLE[name] + (EXTRA_PEOPLE[name] if extras else ""), "utf-8")
    (data / f"deals_{name}.csv").write_text(EXTRA_DEALS[name] if extras else DEALS[name], "utf-8")
    if match is None:
        match = "{on: [email], mode: update, update: [city]}" if name == "wave2" else ""
    match = f"    match: {match}\n" if match else ""
    people = source or f"people_{name}"
    dedup = "    dedup: {keys: [[email]]}\n" if extras else ""
    keep = (f"    filter: {{keep: \"title NOT LIKE '%lost%'\", archive: build/archive/{name}_deals.csv}}\n"
            if extras else "")
    spec = folder / f"{name}.yaml"
    spec.write_text(f"""version: 1
name: {name}
sources:
  {people}: {{path: data/people_{name}.csv, id: id}}
  deals_{name}: {{path: data/deals_{name}.csv, id: id}}
entities:
  person:
    source: {people}
{match}{dedup}    fields:
      name: name
      email: {{from: email, transforms: [trim, lower]}}
      city: city
  deal:
    source: deals_{name}
{keep}    fields:
      title: title
{EXTRA_FIELDS[name] if extras else ""}    references:
      person_id: {{entity: person, from: person}}
{EXTRA_REFERENCES[name] if extras else ""}target:
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

    # wave 1's plan after wave 2: nothing of its own to insert or delete; Bogdan's city, which wave 2 wrote,
    # is to wave 1 an edit made in the target since its run, and its own source did not change: it stays.
    plan = api.plan_spec(wave1, options)
    by_entity = {e.entity: e for e in plan.entities}
    assert [(e.insert, e.delete) for e in plan.entities] == [(0, 0), (0, 0)]
    assert (by_entity["person"].update, by_entity["person"].untouched, by_entity["person"].previous_reject) == (0, 1, 1)
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


# -- archives and duplicates ---------------------------------------------------------------------------

ARCHIVED = "SELECT _ferry_spec, source_key, title FROM _ferry.deal_archive ORDER BY 1"
DUPLICATES = "SELECT _ferry_spec, source_key, name, survivor FROM _ferry.person_duplicates ORDER BY 1, 2"
EXPECTED_ARCHIVED = {"wave1": [("wave1", "d3", "Alice's lost deal")], "wave2": [("wave2", "d3", "Zoé's lost deal")]}
EXPECTED_DUPLICATES = {"wave1": [("wave1", "1", "Alice", True), ("wave1", "4", "Alice Again", False)],
                       "wave2": [("wave2", "1", "Zoé", True), ("wave2", "3", "Zoe Dup", False)]}


def check_own_rows(target: Path, ran: set[str]) -> None:
    """Every spec that ran has its archived deal and its duplicate cluster, whoever ran last."""
    assert rows(target, ARCHIVED) == [r for s in sorted(ran) for r in EXPECTED_ARCHIVED[s]]
    assert rows(target, DUPLICATES) == [r for s in sorted(ran) for r in EXPECTED_DUPLICATES[s]]


@pytest.mark.parametrize("order", [("wave1", "wave2"), ("wave2", "wave1")], ids=["1-then-2", "2-then-1"])
def test_each_spec_keeps_its_archive_and_duplicates_whichever_runs_last(tmp_path, order):
    """Wave 2's deals have an amount, a field named `spec` and a second reference wave 1's lack: the shared
    tables get those columns, and each spec's archive file still has only its own columns and rows."""
    options = api.Options(out=tmp_path / "generated")
    specs = {n: write_spec(tmp_path, n, "crm", extras=True) for n in ("wave1", "wave2")}
    for spec in specs.values():
        api.compile_spec_files(spec, options)
    target = tmp_path / "build" / "crm.duckdb"
    ran: set[str] = set()
    for name in (*order, *order):  # both, then both again
        manifest = api.run_spec(specs[name], options)
        ran.add(name)
        check_own_rows(target, ran)
        assert {(c.entity, c.merged, c.archived) for c in manifest.entities} == {("person", 1, 0), ("deal", 0, 1)}
        plan = api.plan_spec(specs[name], options)
        assert not plan.has_changes, [(e.entity, e.insert, e.update, e.delete) for e in plan.entities]
        assert {e.entity: e.previous_archive for e in plan.entities}["deal"] == 1
    assert rows(target, "SELECT _ferry_spec, amount, spec, old_references.helper_id FROM _ferry.deal_archive "
                        "ORDER BY 1") == [("wave1", None, None, None), ("wave2", Decimal("5.00"), "C", "2")]
    # Each archive file holds its spec's row, in its spec's columns.
    files = {n: (tmp_path / "build" / "archive" / f"{n}_deals.csv").read_text("utf-8").splitlines() for n in specs}
    assert files["wave1"] == ["source,source_row,source_key,title,reasons,old_references",
                              "deals_wave1,3,d3,Alice's lost deal,,{'person_id': 1}"]
    assert files["wave2"][0] == "source,source_row,source_key,title,amount,spec,reasons,old_references"
    assert files["wave2"][1].startswith("deals_wave2,3,d3,Zoé's lost deal,5.00,C,")
    # The review lists each spec's own cluster.
    for name, kept in (("wave1", "Alice Again"), ("wave2", "Zoe Dup")):
        review = api.export_review(specs[name], options, tmp_path / f"review_{name}", 10)
        assert [(f.clusters, f.members) for f in review if f.entity == "person"] == [(1, 2)]
        text = (tmp_path / f"review_{name}" / "review.md").read_text("utf-8")
        assert kept in text and ({"Alice Again", "Zoe Dup"} - {kept}).pop() not in text


def test_archive_and_duplicates_from_before_the_owner_column_are_adopted(tmp_path):
    """An older ferry's archive and duplicates tables have no `_ferry_spec` (and were replaced whole by
    each run): the spec that runs first adopts their rows, replacing them with its own."""
    options = api.Options(out=tmp_path / "generated")
    wave1 = write_spec(tmp_path, "wave1", "crm", extras=True)
    api.compile_spec_files(wave1, options)
    target = Path(api.run_spec(wave1, options).target["path"])
    con = duckdb.connect(str(target))
    for table in ("deal_archive", "person_duplicates"):
        con.execute(f"ALTER TABLE _ferry.{table} DROP COLUMN _ferry_spec")
        con.execute(f"INSERT INTO _ferry.{table} SELECT * FROM _ferry.{table}")  # doubled: only a rerun fixes it
    con.close()
    assert not api.plan_spec(wave1, options).has_changes
    api.run_spec(wave1, options)
    check_own_rows(target, {"wave1"})


# -- two specs inserting the same records ----------------------------------------------------------------


def test_two_specs_inserting_the_same_ids_stop_with_a_located_error_before_writing(tmp_path):
    """Both waves name their people source `people`, and old ids 1 and 2 are in both: without `match`, wave 2
    would insert records with wave 1's ids. Run and plan stop alike (F611), and the hint's ways out work."""
    options = api.Options(out=tmp_path / "generated")
    wave1 = write_spec(tmp_path, "wave1", "crm", source="people")
    wave2 = write_spec(tmp_path, "wave2", "crm", source="people", match="")
    for spec in (wave1, wave2):
        api.compile_spec_files(spec, options)
    target = Path(api.run_spec(wave1, options).target["path"])
    before = target.read_bytes()
    for attempt in (lambda: api.run_spec(wave2, options), lambda: api.plan_spec(wave2, options)):
        with pytest.raises(FerryError) as info:
            attempt()
        (d,) = info.value.diagnostics
        assert d.code == "F611" and d.span.file == str(wave2) and d.span.line == 7  # at `person:`
        assert d.message == (
            "spec 'wave2' would insert records into main.person with the same ids as records of spec 'wave1' "
            f"(colliding ids: 2, e.g. old id '1' of source 'people', id {uuid.uuid5(FERRY_NAMESPACE, 'person/people/1')}"
            "); nothing was written")
        assert "`match:`" in d.hint and "source 'people' another name" in d.hint
        assert target.read_bytes() == before
    # A CLI user sees one located line, exit 1.
    cli = subprocess.run([sys.executable, "-m", "compiler", "run", str(wave2), "--out", str(options.out)],
                         capture_output=True, text=True, cwd=ROOT)
    assert cli.returncode == 1 and cli.stderr.count("\n") == 1 and "[F611]" in cli.stderr
    assert cli.stderr.startswith(f"{wave2}:7:3: error: spec 'wave2'")
    # Way out 1: wave 2's people are wave 1's (Bogdan's e-mail): old id 2 links, old id 1 (Zoé) still collides.
    write_spec(tmp_path, "wave2", "crm", source="people", match="{on: [email], mode: skip}")
    api.compile_spec_files(wave2, options)
    with pytest.raises(FerryError) as info:
        api.run_spec(wave2, options)
    assert "colliding ids: 1, e.g. old id '1'" in info.value.diagnostics[0].message
    # Way out 2: another source name gives wave 2 its own ids.
    write_spec(tmp_path, "wave2", "crm", source="people_wave2", match="{on: [email], mode: skip}")
    api.compile_spec_files(wave2, options)
    api.run_spec(wave2, options)
    assert rows(target, "SELECT name FROM person ORDER BY name") == [("Alice",), ("Bogdan",), ("Clara",), ("Zoé",)]
    api.run_spec(wave1, options)  # and wave 1 still runs beside it
    assert rows(target, "SELECT count(*) FROM person") == [(4,)]


def test_a_record_no_crosswalk_lists_is_another_tools(tmp_path):
    options = api.Options(out=tmp_path / "generated")
    wave1 = write_spec(tmp_path, "wave1", "crm")
    api.compile_spec_files(wave1, options)
    target = Path(api.run_spec(wave1, options).target["path"])
    con = duckdb.connect(str(target))
    con.execute("DELETE FROM _ferry.person_crosswalk WHERE source_key = '3'")  # Clara's record, now nobody's
    con.execute("DELETE FROM _ferry.person_written WHERE id NOT IN (SELECT id FROM _ferry.person_crosswalk)")
    con.close()
    with pytest.raises(FerryError) as info:
        api.run_spec(wave1, options)
    assert "records of another tool (no spec's crosswalk lists them) (colliding ids: 1, e.g. old id '3'" in (
        info.value.diagnostics[0].message)


def pg_rows(schema: str, sql: str) -> list[tuple]:
    """Rows of a query in which {s} is the quoted schema ('{s}' its name as a string)."""
    import psycopg

    with psycopg.connect(DSN) as con:
        cursor = con.execute(sql.replace("'{s}'", f"'{schema}'").replace("{s}", f'"{schema}"'))
        return cursor.fetchall() if cursor.description else []


@pytest.fixture
def pg_schema():
    schema = f"w_{uuid.uuid4().hex[:12]}"
    yield schema
    import psycopg

    with psycopg.connect(DSN, autocommit=True) as con:
        con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.mark.skipif(not DSN, reason="no PostgreSQL: set FERRY_TEST_PG_DSN")
@pytest.mark.parametrize("order", [("wave1", "wave2"), ("wave2", "wave1")], ids=["1-then-2", "2-then-1"])
def test_archives_and_duplicates_survive_pushes_in_either_order(tmp_path, pg_schema, order):
    """One DuckDB file, one PostgreSQL schema: after every run and push, each spec's archive and
    duplicates rows are there, its plan shows nothing to do, and PostgreSQL holds what DuckDB holds."""
    options = api.Options(out=tmp_path / "generated")
    postgres = f"  postgres: {{schema: {pg_schema}, dsn_env: FERRY_TEST_PG_DSN}}\n"
    specs = {n: write_spec(tmp_path, n, "crm", postgres, extras=True) for n in ("wave1", "wave2")}
    for spec in specs.values():
        api.compile_spec_files(spec, options)
    # An older ferry kept matched links in the schema, shared by every push: the push drops it.
    pg_rows(pg_schema, "CREATE SCHEMA {s}")
    pg_rows(pg_schema, 'CREATE TABLE {s}."_ferry_person_links" ("ferry_id" uuid PRIMARY KEY, "id" uuid NOT NULL)')
    target = tmp_path / "build" / "crm.duckdb"
    ran: set[str] = set()
    for name in (*order, *order):
        api.run_spec(specs[name], options)
        api.push_spec(specs[name], options)
        ran.add(name)
        check_own_rows(target, ran)
        assert not api.plan_spec(specs[name], options).has_changes
        # (Not the city: wave 2's `match: update` writes it into wave 1's record in DuckDB, and a push sends
        # only the records its spec inserted.)
        for query in ("SELECT id::text, name, email FROM {s}.person ORDER BY 1",
                      "SELECT id::text, title, person_id::text FROM {s}.deal ORDER BY 1"):
            assert pg_rows(pg_schema, query) == rows(target, query.replace("{s}.", "").replace("::text", "::VARCHAR"))
        assert pg_rows(pg_schema, 'SELECT spec, count(*) FROM {s}."_ferry_person_crosswalk" GROUP BY 1 ORDER BY 1') == [
            (s, {"wave1": 4, "wave2": 3}[s]) for s in sorted(ran)]
    assert [t for t, in pg_rows(pg_schema, "SELECT tablename FROM pg_tables WHERE schemaname = '{s}' ORDER BY 1")] == [
        "_ferry_conflicts", "_ferry_deal_crosswalk", "_ferry_deal_written", "_ferry_gone", "_ferry_person_crosswalk",
        "_ferry_person_written", "deal", "person"]  # the delta's ledgers (what each push wrote, conflicts, gone)


@pytest.mark.skipif(not DSN, reason="no PostgreSQL: set FERRY_TEST_PG_DSN")
def test_two_specs_pushing_the_same_ids_from_their_own_files_stop_before_writing(tmp_path, pg_schema):
    """Each wave runs into its own DuckDB file, so only PostgreSQL sees both: wave 2's push would overwrite
    wave 1's records (same source name, same old ids). It stops in the prepare phase with F611."""
    options = api.Options(out=tmp_path / "generated")
    postgres = f"  postgres: {{schema: {pg_schema}, dsn_env: FERRY_TEST_PG_DSN}}\n"
    wave1 = write_spec(tmp_path, "wave1", "wave1", postgres, source="people")
    wave2 = write_spec(tmp_path, "wave2", "wave2", postgres, source="people", match="")
    for spec in (wave1, wave2):
        api.compile_spec_files(spec, options)
        api.run_spec(spec, options)
    api.push_spec(wave1, options)
    people = "SELECT id::text, name, city FROM {s}.person ORDER BY 1"
    before = pg_rows(pg_schema, people)
    for batch_size in (None, 1):
        with pytest.raises(FerryError) as info:
            api.push_spec(wave2, options, batch_size=batch_size)
        (d,) = info.value.diagnostics
        assert d.code == "F611" and d.span.file == str(wave2) and d.span.line == 7
        assert d.message.startswith(f"spec 'wave2' would insert records into {pg_schema}.person with the same ids "
                                    "as records of spec 'wave1' (colliding ids: 2, e.g. old id '1' of source 'people'")
        assert pg_rows(pg_schema, people) == before
        assert pg_rows(pg_schema, 'SELECT DISTINCT spec FROM {s}."_ferry_person_crosswalk"') == [("wave1",)]
