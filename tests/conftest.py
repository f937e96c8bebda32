"""Fixtures shared by every test folder.

``compiled_example``: the example spec compiled once per test process (a compile of the example costs about
7 CPU seconds, most of a test that runs it), in the layout ``<folder>/p/legacy_crm.yaml`` beside
``<folder>/generated``. It is read only: a test that needs the example compiled, and is not about compiling it,
copies it with ``tests.helpers.compiled_example_copy``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compiler import api
from tests.helpers import EXAMPLE


@pytest.fixture(scope="session")
def compiled_example(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("compiled-example")
    shutil.copytree(EXAMPLE.parent, folder / "p", ignore=shutil.ignore_patterns("build"))
    api.compile_spec_files(folder / "p" / EXAMPLE.name, api.Options(out=folder / "generated"))
    return folder / "generated"
