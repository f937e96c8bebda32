"""The watcher that removes a run's scratch folder when the run dies (``compiler.reaper``).

A child process holds ``reaper.watch`` over a folder it fills, then is killed with SIGKILL (its
whole process group, as a kill of ``ferry run`` would): the folder goes, with no next run. A
process that leaves the watch its own way keeps what it made after it: a later run in the same
process reuses the folder's name, and the watcher must not touch it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from compiler import reaper
from tests.helpers import ROOT

CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from compiler import reaper
    folder, ready = Path(sys.argv[1]), Path(sys.argv[2])
    folder.mkdir(parents=True)
    with reaper.watch(folder):
        (folder / "part-0.parquet").write_bytes(b"x" * 1000)
        ready.touch()
        time.sleep(600)
""")


def _gone(path, seconds: float = 120) -> bool:
    give_up = time.monotonic() + seconds  # a guard against a hang, not a speed assumption
    while path.exists() and time.monotonic() < give_up:
        time.sleep(0.1)
    return not path.exists()


def test_a_killed_process_leaves_no_folder(tmp_path):
    folder, ready = tmp_path / ".ferry-tmp" / "run-1", tmp_path / "ready"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(folder), str(ready)], cwd=ROOT, start_new_session=True)
    try:
        give_up = time.monotonic() + 120
        while not ready.exists():
            assert child.poll() is None and time.monotonic() < give_up
            time.sleep(0.05)
        assert (folder / "part-0.parquet").exists()
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    assert _gone(folder)
    assert _gone(folder.parent)  # the scratch root too, once empty (removed just after the folder)


@pytest.mark.parametrize("fails", [False, True])
def test_an_ordinary_exit_leaves_the_folder_to_the_run(tmp_path, fails):
    """Ended its own way (returned or raised), the run removes its folder itself (``workdir.scratch``);
    the watcher must not, since a later run in the same process reuses the name. ``watch`` waits for
    the watcher to end, so a watcher that removed it would have done so by now."""
    folder = tmp_path / "run-1"
    try:
        with reaper.watch(folder):
            folder.mkdir()
            (folder / "keep").write_text("mine")
            if fails:
                raise RuntimeError("the run failed")
    except RuntimeError:
        assert fails
    assert (folder / "keep").read_text() == "mine"
