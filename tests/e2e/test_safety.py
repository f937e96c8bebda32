"""A run changes the target only when the inputs are what the spec expects, and leaves nothing behind.

* an export that lost a column the spec reads, or most of its rows, stops the run before anything
  changes (F303, F610), unless the shrink is confirmed;
* a target path that names another kind of file is refused (F602), not opened as an empty database;
* the target records the manifest of the run that produced it (``_ferry.runs``), in the same commit;
* a first run killed midway leaves no target at all, and the next run removes its scratch folder.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time

import duckdb
import pytest

from compiler import api
from compiler import run as run_module
from compiler.errors import FerryError
from tests.helpers import ROOT, compiled_example_copy

pytestmark = pytest.mark.slow


@pytest.fixture()
def project(tmp_path, compiled_example):
    """The example in ``tmp_path/p``, compiled (a copy of the session's compile: no test here is about compiling)."""
    spec = compiled_example_copy(tmp_path, compiled_example)
    return spec, api.Options(out=tmp_path / "generated")


def target_of(spec):
    return spec.parent / "build" / "legacy_crm.duckdb"


def fingerprint(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def codes(info) -> list[str]:
    return [d.code for d in info.value.diagnostics]


def test_an_export_that_lost_rows_stops_the_run_unless_confirmed(project):
    spec, options = project
    api.run_spec(spec, options)
    before = fingerprint(target_of(spec))
    contacts = spec.parent / "data" / "contacts.csv"
    contacts.write_text("".join(contacts.read_text("utf-8").splitlines(keepends=True)[:60]), encoding="utf-8")
    with pytest.raises(FerryError) as info:
        api.run_spec(spec, options)
    assert codes(info) == ["F610"] and "'contacts'" in info.value.diagnostics[0].message
    assert fingerprint(target_of(spec)) == before  # rolled back
    manifest = api.run_spec(spec, options, allow_shrink=True)
    assert manifest.sources["contacts"] < 60
    # The confirmed run is the new baseline: running it again needs no confirmation.
    api.run_spec(spec, options)


def test_an_export_that_lost_a_column_stops_the_run(project):
    spec, options = project
    api.run_spec(spec, options)
    before = fingerprint(target_of(spec))
    deals = spec.parent / "data" / "deals.xml"
    text = deals.read_text("utf-8")
    deals.write_text(__import__("re").sub(r' stage="[^"]*"', "", text), encoding="utf-8")
    with pytest.raises(FerryError) as info:
        api.run_spec(spec, options)
    assert codes(info) == ["F303"] and "stage" in info.value.diagnostics[0].message
    assert fingerprint(target_of(spec)) == before


@pytest.mark.parametrize("content", [b"id,name\n1,a\n", b"not a database at all, but long enough"])
def test_a_target_that_is_another_kind_of_file_is_refused(project, content):
    spec, options = project
    other = spec.parent / "data" / "not_a_target.csv"
    other.write_bytes(content)
    with pytest.raises(FerryError) as info:
        api.run_spec(spec, api.Options(out=options.out, target=other))
    assert codes(info) == ["F602"]
    assert other.read_bytes() == content


def test_a_target_in_a_folder_that_cannot_be_made_is_refused(project):
    """Found by tests/fuzz: the run's scratch folder beside such a target was an OSError traceback."""
    spec, options = project
    inside_a_file = spec.parent / "data" / "contacts.csv" / "out.duckdb"
    with pytest.raises(FerryError) as info:
        api.run_spec(spec, api.Options(out=options.out, target=inside_a_file))
    assert codes(info) == ["F602"] and "contacts.csv" in info.value.diagnostics[0].message


def test_a_target_name_too_long_to_look_up_is_refused(project):
    """Found by tests/fuzz: ENAMETOOLONG from the look-up was an OSError traceback."""
    spec, options = project
    with pytest.raises(FerryError) as info:
        api.run_spec(spec, api.Options(out=options.out, target=spec.parent / ("x" * 300 + ".duckdb")))
    assert codes(info) == ["F602"]


def test_the_target_records_the_run_that_produced_it(project):
    spec, options = project
    first = api.run_spec(spec, options)
    second = api.run_spec(spec, options)
    con = duckdb.connect(str(target_of(spec)), read_only=True)
    rows = con.execute("SELECT spec, sample, manifest FROM _ferry.runs ORDER BY started_at").fetchall()
    assert [(s, sample) for s, sample, _ in rows] == [("legacy_crm", False), ("legacy_crm", False)]
    assert rows[-1][2] == second.to_json() != first.to_json()
    assert (target_of(spec).with_name("legacy_crm.run.json")).read_text("utf-8") == second.to_json()


def test_a_first_run_killed_midway_leaves_no_target_and_no_scratch(project, tmp_path):
    spec, options = project
    paused = tmp_path / "paused"
    env = {**os.environ, run_module.PAUSE_STEP: "050_contact.sql", run_module.PAUSE_SIGNAL: str(paused)}
    child = subprocess.Popen([sys.executable, "-m", "compiler", "run", str(spec), "--out", str(options.out)],
                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    give_up = time.monotonic() + 600  # a guard against a hang, not a speed assumption
    while not paused.exists():
        assert child.poll() is None, "the run ended before it reached the step it was to pause at"
        assert time.monotonic() < give_up
        time.sleep(0.05)
    scratch = spec.parent / "build" / ".ferry-tmp"
    assert any(scratch.iterdir())  # the killed run's transcoded companies file and database are here
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert not target_of(spec).exists()
    api.run_spec(spec, options)
    assert target_of(spec).exists() and not scratch.exists()


def test_a_broken_xml_export_stops_the_run_though_it_converts_beside_the_steps(project):
    """The XML source converts in the background while the steps before its own run (sources.pending):
    an export broken near its end is still one located error (F306), and the target is as it was."""
    spec, options = project
    api.run_spec(spec, options)
    before = fingerprint(target_of(spec))
    deals = spec.parent / "data" / "deals.xml"
    deals.write_text(deals.read_text("utf-8").replace("</deals>", "</deal></deals>"), encoding="utf-8")
    with pytest.raises(FerryError) as info:
        api.run_spec(spec, options)
    assert codes(info) == ["F306"] and "deals.xml:" in info.value.diagnostics[0].message
    assert fingerprint(target_of(spec)) == before  # rolled back
    target_of(spec).unlink()
    with pytest.raises(FerryError) as info:  # a first run: no target at all
        api.run_spec(spec, options)
    assert codes(info) == ["F306"] and not target_of(spec).exists()


def test_the_xml_export_converts_while_the_other_entities_load(project, monkeypatch):
    """The deals' conversion cannot finish before the company step has started: a run that prepared
    every input before its first step would wait here until the guard's timeout, and fail."""
    import threading

    from compiler import sources

    spec, options = project
    company_started, waited = threading.Event(), []
    real = sources.prepare_input

    def prepare(source, base, workdir):
        if source.format == "xml":
            waited.append(company_started.wait(timeout=60))
        return real(source, base, workdir)

    def progress(what, done, total):
        if "entity 'company'" in what:
            company_started.set()

    monkeypatch.setattr(sources, "prepare_input", prepare)
    manifest = api.run_spec(spec, options, progress)
    assert waited == [True]
    assert manifest.sources["deals"] > 0 and all(e.balanced for e in manifest.entities)
