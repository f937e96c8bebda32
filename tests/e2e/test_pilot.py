"""Pilot runs (`ferry run --sample N`) and runs killed midway, on a generated 20,000-contact export."""

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

from compiler import api
from compiler import run as run_module
from tests.helpers import EXAMPLE, ROOT

pytestmark = pytest.mark.slow
ENTITIES = ("company", "contact", "owner", "deal", "activity")


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    """The example's kind of data, 20,000 contacts (bench/generate.py, fixed seed)."""
    out = tmp_path_factory.mktemp("export") / "data"
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), str(out), "--contacts", "20000",
                    "--seed", "7", "--deals-format", "xml"], check=True, stdout=subprocess.DEVNULL)
    return out


@pytest.fixture(scope="module")
def compiled(tmp_path_factory, export) -> Path:
    """The example with the export as its data, compiled once per test process; ``make_project`` copies it."""
    base = tmp_path_factory.mktemp("pilot") / "compiled"
    folder = base / "legacy_crm"
    shutil.copytree(EXAMPLE.parent, folder, ignore=shutil.ignore_patterns("build", "data"))
    shutil.copytree(export, folder / "data")
    api.compile_spec_files(folder / EXAMPLE.name, api.Options(out=base / "generated"))
    return base


def make_project(base: Path, compiled: Path) -> tuple[Path, api.Options]:
    """A copy of ``compiled`` (spec, data, generated/) in ``base``: the spec's path and its options."""
    shutil.copytree(compiled, base)
    return base / "legacy_crm" / EXAMPLE.name, api.Options(out=base / "generated")


@pytest.fixture(scope="module")
def clean(tmp_path_factory, compiled) -> dict[str, tuple[int, str]]:
    """The digest of one uninterrupted full run in a fresh copy: what both tests' runs must converge to."""
    spec, options = make_project(tmp_path_factory.mktemp("pilot") / "clean", compiled)
    api.run_spec(spec, options)
    return digest(spec)


def digest(spec: Path) -> dict[str, tuple[int, str]]:
    """Rows and an order-independent digest of every entity table."""
    with duckdb.connect(str(spec.parent / "build" / "legacy_crm.duckdb"), read_only=True) as con:
        return {e: con.execute(f"SELECT count(*), md5(coalesce(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR), '')) "
                               f"FROM {e} AS t").fetchone() for e in ENTITIES}


def test_a_pilot_is_a_small_deterministic_sample_that_the_full_run_replaces(tmp_path, compiled, clean):
    spec, options = make_project(tmp_path / "a", compiled)
    pilot = api.run_spec(spec, options, sample=50)
    assert pilot.sample == 50 and all(c.balanced for c in pilot.entities)
    reads = {c.entity: c.read for c in pilot.entities}
    assert reads["company"] <= 50 * 3  # picked rows plus the parents they refer to
    assert 0 < reads["contact"] <= 50 * 3 and reads["deal"] <= 50 and reads["activity"] <= 50
    first = digest(spec)
    assert api.run_spec(spec, options, sample=50).entities == pilot.entities and digest(spec) == first
    with duckdb.connect(str(spec.parent / "build" / "legacy_crm.duckdb"), read_only=True) as con:
        # A picked deal's company is in the pilot too: the sample is not full of orphans.
        assert con.execute("SELECT count(*) FROM deal WHERE company_id NOT IN (SELECT id FROM company)").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM deal WHERE company_id IS NULL").fetchone() == (0,)
    full = api.run_spec(spec, options)
    assert full.sample is None
    assert digest(spec) == clean  # nothing of the pilot is doubled or left behind


def test_a_run_killed_midway_leaves_the_target_as_it_was_and_converges(tmp_path, compiled, clean):
    spec, options = make_project(tmp_path / "a", compiled)
    api.run_spec(spec, options, sample=30)
    before = digest(spec)
    manifest = (spec.parent / "build" / "legacy_crm.run.json").read_bytes()
    paused = tmp_path / "paused"
    # The run stops before the contact step, inside its transaction (company is written by then),
    # and says so by creating `paused`: the kill comes at that moment whatever the machine's speed.
    env = {**os.environ, run_module.PAUSE_STEP: "050_contact.sql", run_module.PAUSE_SIGNAL: str(paused)}
    child = subprocess.Popen([sys.executable, "-m", "compiler", "run", str(spec), "--out", str(options.out)],
                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    give_up = time.monotonic() + 600  # a guard against a hang, not a speed assumption
    while not paused.exists():
        assert child.poll() is None, "the run ended before it reached the step it was to pause at"
        assert time.monotonic() < give_up, "the run never reached the step it was to pause at"
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert digest(spec) == before  # one transaction: nothing of the killed run is visible
    assert (spec.parent / "build" / "legacy_crm.run.json").read_bytes() == manifest
    api.run_spec(spec, options)
    assert digest(spec) == clean
    assert json.loads((spec.parent / "build" / "legacy_crm.run.json").read_text("utf-8"))["sample"] is None
