"""One Spark session for every Spark test in this process (started once, stopped at the end).

Skipped, with the reason, when pyspark or a Java runtime is missing (`pip install -e '.[spark]'`;
.ci/run installs the JRE with apt-get). `local[1]`: the suite shares the machine's cores.

`make test` runs the suite on two pytest-xdist workers: tests/conftest.py's scheduler sends every test
under tests/spark/ to one worker, so one JVM starts, not one a worker.
The kill tests (test_run.py) run ``ferry run --engine spark`` as a child process of their own: a
run to be killed cannot share the tests' process (``CHILD_SUBMIT_ARGS``: the same JVM settings).

``TEST_SETTINGS``: the tests' data are a few hundred rows, so the session's cost is the JVM's own
work (JIT compiling, planning, one task per partition), not the rows: one shuffle partition instead
of ferry's local four, and a JVM that compiles with C1 only and collects with one GC thread. The
same statements run, the same way (codegen, ANSI mode, adaptive execution as in a run): measured on
test_run's example, test_parity and test_components, 215 CPU s before, 132 after.
"""

from __future__ import annotations

import pytest

from compiler.engines.spark import session as spark_session, udfs

#: The driver JVM's options for the tests (short-lived: C2's compiling costs more than it saves).
JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
TEST_SETTINGS = (("spark.sql.shuffle.partitions", "1"), ("spark.driver.extraJavaOptions", JAVA_OPTIONS))
#: ``PYSPARK_SUBMIT_ARGS`` for a child ``ferry run --engine spark`` (pyspark reads it when it starts the JVM).
CHILD_SUBMIT_ARGS = f'--driver-java-options "{JAVA_OPTIONS}" pyspark-shell'


@pytest.fixture(scope="session")
def spark():
    reason = spark_session.unavailable()
    if reason is not None:
        pytest.skip(f"Spark tests need Spark: {reason}")
    builder = spark_session.builder("local[1]", app="ferry-tests")
    for key, value in TEST_SETTINGS:
        builder = builder.config(key, value)
    session = udfs.register(builder.getOrCreate())
    assert session.conf.get("spark.sql.shuffle.partitions") == "1"  # the settings reached the session
    yield session
    session.stop()
