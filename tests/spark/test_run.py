"""``ferry run --engine spark`` on the example: the same tables as the DuckDB engine, and all or nothing.

Parity: every table of the target (records, crosswalks, rejects, archives, duplicates, ledger,
accounting) holds the same rows, ids included, after a Spark run and after a DuckDB run. Kill:
a Spark run killed (-9) while Spark runs (the session started, the sources read, before the first
entity's rows) and killed in its publish (the moments are a test hook, FERRY_PAUSE_BEFORE_STEP)
leaves the target's bytes as they were and no run folder: its watcher (``compiler.reaper``)
removes it, with no next run.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import duckdb
import pytest

from compiler import api, run as run_module
from compiler.engines.spark import publish
from compiler.engines.spark import session as spark_session
from tests.helpers import EXAMPLE, ROOT, project_with_data
from tests.spark.conftest import CHILD_SUBMIT_ARGS

pytestmark = pytest.mark.slow


@pytest.fixture()
def project(tmp_path):
    folder = tmp_path / "p"
    shutil.copytree(EXAMPLE.parent, folder, ignore=shutil.ignore_patterns("build"))
    spec = folder / EXAMPLE.name
    options = api.Options(out=tmp_path / "generated")
    api.compile_spec_files(spec, options)
    return spec, options


def tables(path) -> dict[str, list]:
    """Every table's rows, sorted; the run's own record (its times, its manifest) left out, and the row hashes a
    DuckDB run stores for the next delta's scope (a Spark run stores none: the delta after it computes whole)."""
    con = duckdb.connect(str(path), read_only=True)
    out = {}
    for schema, table in con.execute("SELECT table_schema, table_name FROM information_schema.tables "
                                     "ORDER BY ALL").fetchall():
        if table.endswith(("_rowhash", "_rowdedup")) or table == "rowhash_runs":
            continue
        columns = [c for (c,) in con.execute("SELECT column_name FROM information_schema.columns WHERE table_schema "
                                             "= ? AND table_name = ? ORDER BY ordinal_position", [schema, table]).fetchall()
                   if c not in {"_ferry_run", "manifest", "started_at"}]
        select = ", ".join(f'"{c}"' for c in columns)
        out[f"{schema}.{table}"] = sorted(con.execute(f'SELECT {select} FROM "{schema}"."{table}"').fetchall(), key=repr)
    con.close()
    return out


def test_the_example_gives_the_same_tables_on_both_engines(spark, project):
    spec, options = project
    duck_target, spark_target = spec.parent / "build" / "duck.duckdb", spec.parent / "build" / "spark.duckdb"
    duck = api.run_spec(spec, api.Options(out=options.out, target=duck_target))
    parsed = api.validate_spec(spec, options, read_rows=False)
    ran = publish.execute(parsed, options.out / parsed.name, spark_target, session=spark)
    assert [(e.entity, e.read, e.loaded, e.rejected) for e in ran.entities] == \
        [(e.entity, e.read, e.loaded, e.rejected) for e in duck.entities]
    assert any(s.file.startswith("spark: ") for s in ran.steps)
    # the dedup of both entities ran on Spark: pairs and clusters came from its Parquet files
    assert {f"spark: {e} {what}" for e in ("company", "contact") for what in ("pairs", "clusters")} <= \
        {s.file for s in ran.steps}
    want, got = tables(duck_target), tables(spark_target)
    assert sorted(got) == sorted(want) and len(want) > 20
    differ = [name for name in want if got[name] != want[name]]
    assert not differ, f"tables that differ: {differ}"
    assert not (spec.parent / "build" / ".ferry-tmp").exists()  # the run folder is gone


#: A small spec for the kill tests (what a kill leaves does not depend on the spec's size): companies in
#: cp1250 and contacts referring to them, deduplicated on Spark in the publish.
SMALL = """\
version: 1
name: small
sources:
  companies: {path: data/companies.csv, id: firma_id, options: {delimiter: ";", encoding: cp1250}}
  contacts: {path: data/contacts.csv, id: contact_id}
entities:
  company:
    source: companies
    fields:
      name: {from: nazwa, transforms: [squish]}
  contact:
    source: contacts
    fields:
      name: {from: name, transforms: [squish]}
      email: {from: email, transforms: [email]}
    references:
      company_id: {entity: company, from: company_id, on_missing: "null"}
    dedup:
      keys: [[email]]
target: {kind: duckdb, path: build/small.duckdb}
"""

#: Where a kill lands: while Spark runs (its session started, the sources read, before the first source's
#: rows), and in the publish (every source's rows written as Parquet by Spark; the company step has run
#: in the publish's transaction, the contact step, with its dedup on Spark, is next).
MOMENTS = {"spark": "spark:companies", "publish": "contact"}


@pytest.mark.skipif(spark_session.unavailable() is not None, reason="Spark tests need Spark (pyspark and Java)")
@pytest.mark.parametrize("moment", sorted(MOMENTS))
def test_a_spark_run_killed_midway_leaves_the_target_as_it_was_and_no_run_folder(tmp_path, moment):
    folder = project_with_data(tmp_path / "p")
    spec = folder / "small.yaml"
    spec.write_text(SMALL, encoding="utf-8")
    options = api.Options(out=tmp_path / "generated")
    api.compile_spec_files(spec, options)
    target = folder / "build" / "small.duckdb"
    api.run_spec(spec, options)
    before = hashlib.sha256(target.read_bytes()).hexdigest()
    files = [f["name"] for f in json.loads((options.out / "small" / "manifest.json").read_text("utf-8"))["files"]]
    step = MOMENTS[moment] if moment == "spark" else next(f for f in files if f.endswith(f"_{MOMENTS[moment]}.sql"))
    paused = tmp_path / "paused"
    env = {**os.environ, run_module.PAUSE_STEP: step, run_module.PAUSE_SIGNAL: str(paused),
           "PYSPARK_SUBMIT_ARGS": CHILD_SUBMIT_ARGS}
    child = subprocess.Popen([sys.executable, "-m", "compiler", "run", str(spec), "--out", str(options.out),
                              "--engine", "spark", "--master", "local[1]"], cwd=ROOT, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    give_up = time.monotonic() + 900  # a guard against a hang, not a speed assumption
    try:
        while not paused.exists():
            assert child.poll() is None, "the run ended before it reached the step it was to pause at"
            assert time.monotonic() < give_up
            time.sleep(0.2)
        written = list((folder / "build" / ".ferry-tmp").glob("run-*/spark-run"))
        assert written  # Spark was running (its session started, the sources read) when it was killed
        parquet = {p.name for p in written[0].glob("mapped_*.parquet")}
        if moment == "publish":  # Spark had computed every source's rows: the publish was under way
            assert parquet == {"mapped_companies.parquet", "mapped_contacts.parquet"}
        else:
            assert parquet == set()
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # the run and the JVM it started (its own process group)
        child.wait()
    assert hashlib.sha256(target.read_bytes()).hexdigest() == before
    give_up = time.monotonic() + 120  # the run's watcher (compiler.reaper) removes its run folder
    while (folder / "build" / ".ferry-tmp").exists() and time.monotonic() < give_up:
        time.sleep(0.2)
    assert not (folder / "build" / ".ferry-tmp").exists()  # no run folder left, with no next run
    assert api.run_spec(spec, options).entities  # and the target still opens and runs
