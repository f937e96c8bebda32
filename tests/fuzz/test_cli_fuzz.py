"""A seeded sample of the fuzz cases through the real CLI (`python -m compiler`): exit 0, or exit 1 with
one located line per error on stderr; never a traceback or a hang, and a failed run leaves the files.

In:  spec mutations (spec_mutations.py) beside a copy of the example data, and data mutations
(data_mutations.py) under a copy of the example that ran before (conftest ``baseline``).
Out: one test per sampled case (FERRY_FUZZ_SEED; FERRY_FUZZ=all takes three times as many).
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fuzz.data_mutations import DATA_MUTATIONS
from tests.fuzz.harness import HANG_SECONDS, changed, record, snapshot
from tests.fuzz.test_spec_fuzz import ALL
from tests.helpers import EXAMPLE, ROOT

pytestmark = pytest.mark.fuzz

SEED = int(os.environ.get("FERRY_FUZZ_SEED", "13"))
SCALE = 3 if os.environ.get("FERRY_FUZZ") == "all" else 1
_rng = random.Random(SEED)
SPECS = sorted(_rng.sample([m for m in ALL if not m.id.startswith("shape:")], 3 * SCALE)
               + _rng.sample([m for m in ALL if m.id.startswith("shape:")], 1 * SCALE), key=lambda m: m.id)
DATA = sorted(_rng.sample(sorted(DATA_MUTATIONS), 3 * SCALE))

#: file[:line:col]: error: message [F123] (hint: ...)
LINE = re.compile(r"^\S.*?: error: .+ \[F\d{3}\]( \(hint: .+\))?$")


def ferry(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "compiler", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=HANG_SECONDS, env={"PATH": "/usr/bin:/bin", "COLUMNS": "200",
                                                     "PYTHONPATH": str(ROOT)})


def outcome(result: subprocess.CompletedProcess) -> str:
    """'accepted' for exit 0; for exit 1, the first code, after checking every line is a located error."""
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert result.returncode in (0, 1), result
    if result.returncode == 0:
        return "accepted"
    lines = result.stderr.splitlines()
    assert lines and all(LINE.match(line) for line in lines), lines
    return re.search(r"\[(F\d{3})\]", lines[0]).group(1)


def _commands(folder: Path, spec: Path) -> list[list[str]]:
    return [["validate", str(spec)], ["compile", str(spec), "--out", str(folder / "generated")],
            ["run", str(spec), "--out", str(folder / "generated")]]


@pytest.mark.parametrize("mutation", SPECS, ids=[m.id for m in SPECS])
def test_spec_mutation_through_the_cli(fresh_project, mutation):
    spec, folder = fresh_project, fresh_project.parent.parent
    (spec.write_bytes if isinstance(mutation.text, bytes) else spec.write_text)(mutation.text)
    try:
        for command in _commands(folder, spec):
            before = snapshot(folder)
            result = outcome(ferry(*command, cwd=folder))
            if result != "accepted":
                assert not changed(before, snapshot(folder)), command
                break
    except BaseException:
        record("cli", "failure")
        raise
    record("cli", result)


@pytest.mark.parametrize("name", DATA)
def test_data_mutation_through_the_cli(baseline, tmp_path, name):
    folder = tmp_path / "case"
    shutil.copytree(baseline, folder, symlinks=True)
    DATA_MUTATIONS[name](folder / "p" / "data")
    before = snapshot(folder)
    try:
        result = outcome(ferry("run", f"p/{EXAMPLE.name}", "--out", "generated", cwd=folder))
        if result != "accepted":
            assert not changed(before, snapshot(folder))
    except BaseException:
        record("cli", "failure")
        raise
    record("cli", result)
