"""``engines.spark.session``: which builder a master URL gets, and why a session cannot start, without a JVM.

A Spark Connect URL (``sc://``) builds the session with ``SparkSession.builder.remote()``; a live
Connect server is not started here (pyspark's start-connect-server downloads a jar: not offline).
"""

from __future__ import annotations

import pytest

from compiler.engines.spark import session

pyspark = pytest.importorskip("pyspark", reason="the builder is pyspark's (make setup-spark)")


def options(builder) -> dict[str, str]:
    return dict(builder._options)


def test_a_connect_url_builds_a_remote_session_with_the_sql_settings_only():
    got = options(session.builder("sc://spark.example:15002", app="t"))
    assert got["spark.remote"] == "sc://spark.example:15002"
    assert "spark.master" not in got and "spark.ui.enabled" not in got  # a client may not set them
    assert got["spark.sql.ansi.enabled"] == "true" and got["spark.sql.session.timeZone"] == "UTC"


@pytest.mark.parametrize("master", ["local[2]", "spark://h1:7077,h2:7077", "yarn", "k8s://https://k:6443"])
def test_a_master_url_builds_a_classic_session(master):
    got = options(session.builder(master, app="t"))
    assert got["spark.master"] == master and "spark.remote" not in got
    assert got["spark.sql.ansi.enabled"] == "true" and got["spark.ui.enabled"] == "false"
    assert ("spark.driver.memory" in got) == master.startswith("local")


@pytest.mark.parametrize("master, code", [
    ("nowhere:7077", "F922"), ("local[0]", "F922"), ("spark:/h:7077", "F922"), ("sc://", "F922"),
    ("local[*]", None), ("local[2,3]", None), ("spark://h:7077", None), ("yarn", None), ("sc://h:15002", "connect"),
])
def test_master_urls_are_checked_before_a_jvm_starts(master, code):
    found = session.problem(master)
    if code == "connect":  # F935 where the Connect client is not installed, else nothing to say
        client = not any(session._unimportable(m) for m, _ in session.CONNECT_MODULES)
        assert (found is None) if client else (found.code == "F935" and "pyspark[connect]" in found.hint)
    elif code is None:
        assert found is None or "Java" in found.message
    else:
        assert found is not None and found.code == code and master in found.message
