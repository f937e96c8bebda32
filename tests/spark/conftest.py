"""One Spark session for every Spark test in this process (started once, stopped at the end).

Skipped, with the reason, when pyspark or a Java runtime is missing (`pip install -e '.[spark]'`;
.ci/run installs the JRE with apt-get). `local[1]`: the suite shares the machine's cores.
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
