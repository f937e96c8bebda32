"""A scoped delta's commit touches only its scope (``compiler.scope_commit``): the records of the rows kept out
of the scope are never deleted nor written again (they are in the table right after the step), the snapshot
holds only the records the step deletes, and a run killed after the narrowed deletes leaves the target as it
was; run again, it gives the target an uninterrupted run gives, every table row for row.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from compiler import api, scope
from compiler import run as run_module
from tests.e2e.test_delta import SPEC, options, target
from tests.e2e.test_delta_scope import edited, tables  # noqa: F401  (a module fixture, shared)
from tests.helpers import ROOT

pytestmark = pytest.mark.slow
ENTITIES = ("contact", "owner", "deal", "activity")  # the example's scoped entities (companies: match)


def _in_place(seen: dict[str, tuple[int, int]]):
    """A wrapper of ``Scope.after_entity`` noting, right after each scoped entity's step (before anything is put
    back), how many of its unchanged rows' records are in the table, and how many there are."""
    original = scope.Scope.after_entity

    def after_entity(self, name):
        e = self.entities[name]
        ids = f'SELECT DISTINCT id FROM "{self._names(e)["unchanged"].name}" WHERE id IS NOT NULL'
        seen[name] = (self.con.execute(f'SELECT count(*) FROM "{name}" WHERE id IN ({ids})').fetchone()[0],
                      self.con.execute(f"SELECT count(*) FROM ({ids})").fetchone()[0])
        return original(self, name)
    return after_entity


def _scoped_run(project: Path):
    with pytest.MonkeyPatch.context() as mp:  # the example's rows are dirty by design: most are in scope
        mp.setattr(scope, "LIMIT", 1.0)
        return api.run_spec(project / SPEC, options(project))


def test_records_out_of_the_scope_are_not_written_again_and_the_snapshot_holds_the_scope(edited, tmp_path):
    project = tmp_path / "p"
    shutil.copytree(edited, project)
    with duckdb.connect(str(target(project)), read_only=True) as con:
        records = {e: con.execute(f'SELECT count(*) FROM "{e}"').fetchone()[0] for e in ENTITIES}
    seen: dict[str, tuple[int, int]] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(scope.Scope, "after_entity", _in_place(seen))
        run = _scoped_run(project)
    s = run.delta["scope"]
    for entity in ENTITIES:
        assert s[entity]["scoped"] and s[entity]["narrowed"], (entity, s[entity])
        # the step left every unchanged record in the table (a step deleting them all, to put them back, leaves 0)
        present, unchanged = seen[entity]
        assert present == unchanged > 0, (entity, seen[entity])
        assert s[entity]["snapshot"] < records[entity], entity  # not the whole table
    whole = tmp_path / "whole"
    shutil.copytree(edited, whole)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(scope.SWITCH, "off")
        api.run_spec(whole / SPEC, options(whole))
    a, b = tables(target(project)), tables(target(whole))
    assert a.keys() == b.keys() and all(a[k] == b[k] for k in a), [k for k in a if a[k] != b.get(k)]


@pytest.mark.parametrize("moment", ["100_deal.sql", "delta"])
def test_a_kill_after_the_narrowed_deletes_leaves_the_target_and_a_rerun_converges(edited, tmp_path, moment):
    killed, straight = tmp_path / "killed", tmp_path / "straight"
    shutil.copytree(edited, killed)
    shutil.copytree(edited, straight)
    state = tables(target(killed))
    paused = tmp_path / "paused"
    env = {**os.environ, run_module.PAUSE_STEP: moment, run_module.PAUSE_SIGNAL: str(paused)}
    code = "import sys; from compiler import scope; scope.LIMIT = 1.0; from compiler.cli import main; main()"
    child = subprocess.Popen([sys.executable, "-c", code, "run", str(killed / SPEC), "--out",
                              str(killed / "generated")], cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=env)
    give_up = time.monotonic() + 600  # a guard against a hang, not a speed assumption
    while not paused.exists():
        assert child.poll() is None, "the run ended before the pause"
        assert time.monotonic() < give_up
        time.sleep(0.05)
    child.kill()
    child.wait()
    assert tables(target(killed)) == state  # nothing of the killed run is left
    run = _scoped_run(killed)
    assert all(run.delta["scope"][e]["narrowed"] for e in ENTITIES)
    _scoped_run(straight)
    a, b = tables(target(killed)), tables(target(straight))
    assert a.keys() == b.keys() and all(a[k] == b[k] for k in a), [k for k in a if a[k] != b.get(k)]
