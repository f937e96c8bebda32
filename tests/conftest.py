"""Fixtures shared by every test folder.

``compiled_example``: the example spec compiled once per test process (a compile of the example costs about
7 CPU seconds, most of a test that runs it), in the layout ``<folder>/p/legacy_crm.yaml`` beside
``<folder>/generated``. It is read only: a test that needs the example compiled, and is not about compiling it,
copies it with ``tests.helpers.compiled_example_copy``.

Under xdist (`make test`: ``-n 2``, the default ``--dist load``) the tests under tests/spark/ go to one worker
as one unit, the others one by one as before: one Spark session (tests/spark/conftest.py's ``spark``: a JVM,
about 14 CPU s to start and a heap of a GiB or more) for the suite instead of one per worker. (``--dist
loadgroup`` with ``xdist_group`` marks would say the same, but pytest 9.2 no longer reads the test id that
pytest-xdist 3.8 rewrites to group, so the group is ignored.)
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


#: Test ids under these prefixes run on one xdist worker (one shared session each); see the docstring.
ONE_WORKER = ("tests/spark/",)


def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "load":
        return None  # another --dist asked for on the command line: xdist's own
    from xdist.scheduler import LoadScopeScheduling

    class OneWorkerForASession(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return next((prefix for prefix in ONE_WORKER if nodeid.startswith(prefix)), nodeid)

    return OneWorkerForASession(config, log)
