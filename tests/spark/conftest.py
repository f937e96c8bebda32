"""One Spark session for every Spark test in this process (started once, stopped at the end).

Skipped, with the reason, when pyspark or a Java runtime is missing (`pip install -e '.[spark]'`;
.ci/run installs the JRE with apt-get). `local[1]`: the suite shares the machine's cores.

`make test` runs the suite on two pytest-xdist workers: tests/conftest.py's scheduler sends every test
under tests/spark/ to one worker, so one JVM starts, not one a worker.
The kill tests (test_run.py) run ``ferry run --engine spark`` as a child process of their own: a
run to be killed cannot share the tests' process.
"""

from __future__ import annotations

import pytest

from compiler.engines.spark import session as spark_session, udfs


@pytest.fixture(scope="session")
def spark():
    reason = spark_session.unavailable()
    if reason is not None:
        pytest.skip(f"Spark tests need Spark: {reason}")
    session = udfs.register(spark_session.start("local[1]", app="ferry-tests"))
    yield session
    session.stop()
