"""The CLI's own surface: help that teaches, the schema, versions, --check exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from compiler import __version__
from compiler.validate import spec_schema
from tests.helpers import EXAMPLE, ROOT

MINI = ROOT / "tests" / "e2e" / "fixtures" / "mini" / "mini.yaml"


def ferry(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "compiler", *args], capture_output=True, text=True, cwd=cwd,
                          env={"PATH": "/usr/bin:/bin", "COLUMNS": "120"})


def test_help_lists_the_commands_in_the_order_a_migration_uses_them():
    from compiler.cli import COMMAND_ORDER, app

    result = ferry("--help")
    assert result.returncode == 0
    registered = {c.name or c.callback.__name__ for c in app.registered_commands}
    assert registered == set(COMMAND_ORDER)
    listed = [line.split()[1] for line in result.stdout.splitlines()
              if line.startswith("│ ") and line.split()[1] in COMMAND_ORDER]
    assert listed == list(COMMAND_ORDER)
    assert "--check" in ferry("compile", "--help").stdout


def test_schema_and_version():
    assert json.loads(ferry("schema").stdout) == spec_schema()
    assert ferry("--version").stdout.strip() == f"ferry {__version__}"


def test_compile_check_exit_codes(tmp_path):
    """On the mini fixture: the exit codes are the point, not the spec (the example's compile is checked
    against generated/ by tests/unit/test_golden.py; here it cost 3 compiles of ~7 CPU s)."""
    project = tmp_path / "p"
    shutil.copytree(MINI.parent, project, ignore=shutil.ignore_patterns("build"))
    spec = project / MINI.name
    out = str(tmp_path / "generated")
    stale = ferry("compile", "--check", str(spec), "--out", out)
    assert stale.returncode == 1 and "stale" in stale.stderr and "[F504]" in stale.stderr
    assert ferry("compile", str(spec), "--out", out).returncode == 0
    assert ferry("compile", "--check", str(spec), "--out", out).returncode == 0


def test_run_without_compile_is_a_located_error(tmp_path):
    project = tmp_path / "p"
    shutil.copytree(EXAMPLE.parent, project, ignore=shutil.ignore_patterns("build"))
    result = ferry("run", str(project / EXAMPLE.name), "--out", str(tmp_path / "nothing"))
    assert result.returncode == 1 and "[F501]" in result.stderr and "Traceback" not in result.stderr
    # the hint's command writes where this run looks (--out), else following it would not help
    assert f"ferry compile {project / EXAMPLE.name} --out {tmp_path / 'nothing'}` first" in result.stderr


def test_plan_option_errors_have_their_own_hints():
    """A wrong --sample is not answered with the --format hint (and the other way round)."""
    sample = ferry("plan", str(MINI), "--sample", "-1")
    assert sample.returncode == 1 and "[F803]" in sample.stderr and "--sample 0 shows counts only" in sample.stderr
    assert "--format" not in sample.stderr
    fmt = ferry("plan", str(MINI), "--format", "xml")
    assert fmt.returncode == 1 and "[F803]" in fmt.stderr and "use --format text, markdown or json" in fmt.stderr
