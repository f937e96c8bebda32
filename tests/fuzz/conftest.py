"""Fixtures of the fuzz suite and the summary of its outcomes.

In:  the example project (specs/legacy_crm/).
Out: ``baseline``: a copy of the example, compiled and run once (its target exists), that data cases
copy; ``fresh_project``: a copy of the example with no compiled output or target, for spec cases;
and, at the end of the session, the outcomes of every suite (accepted, located error per code,
failure) in pytest's terminal summary.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compiler import api
from tests.fuzz.harness import TALLY
from tests.helpers import EXAMPLE, compiled_example_copy


def copy_example(folder: Path) -> Path:
    """``folder/p/legacy_crm.yaml`` and its data; generated/ goes in ``folder/generated``."""
    shutil.copytree(EXAMPLE.parent, folder / "p", ignore=shutil.ignore_patterns("build", "truth"))
    return folder / "p" / EXAMPLE.name


@pytest.fixture(scope="session")
def baseline(tmp_path_factory, compiled_example) -> Path:
    folder = tmp_path_factory.mktemp("fuzz-baseline")
    spec = compiled_example_copy(folder, compiled_example, ignore=("build", "truth"))  # what compiling here writes
    api.run_spec(spec, api.Options(out=folder / "generated"))
    return folder


@pytest.fixture()
def fresh_project(tmp_path) -> Path:
    return copy_example(tmp_path)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not TALLY:
        return
    terminalreporter.section("fuzz outcomes")
    for suite in sorted(TALLY):
        counts = TALLY[suite]
        codes = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k not in ("accepted", "failure"))
        terminalreporter.write_line(f"{suite}: {sum(counts.values())} cases, accepted {counts['accepted']}, "
                                    f"failures {counts['failure']}, located errors: {codes or 'none'}")
