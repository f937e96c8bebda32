"""Broken specs through the real CLI: exit 1, one located line per error, no traceback, nothing written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import CASES

BROKEN = sorted((CASES / "broken").glob("*.yaml"))
LINE = re.compile(r"^\S+:\d+:\d+: error: .+ \[F\d{3}\]( \(hint: .+\))?$")


def ferry(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "compiler", *args], cwd=cwd, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"})


@pytest.mark.parametrize("spec", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_spec_fails_cleanly(tmp_path, spec):
    expected = [line for line in spec.read_text("utf-8").splitlines() if line.startswith("# expect: ")]
    assert expected, f"{spec.name} must list its errors as '# expect: F123 line:col' comments"
    for command in (["validate"], ["compile", "--out", str(tmp_path / "generated")]):
        result = ferry(*command, str(spec), cwd=CASES / "broken")
        assert result.returncode == 1, result
        assert "Traceback" not in result.stderr + result.stdout
        lines = result.stderr.strip().splitlines()
        assert all(LINE.match(line) for line in lines), lines
        found = sorted(f"# expect: {m.group(2)} {m.group(1)}"
                       for m in (re.search(r":(\d+:\d+): error: .*\[(F\d{3})\]", line) for line in lines))
        assert found == sorted(expected)
        assert not (tmp_path / "generated").exists()
