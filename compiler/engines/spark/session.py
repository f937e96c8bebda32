"""Starting and stopping the Spark session ferry runs on (an I/O edge; pyspark is optional).

In:  a master URL (``local[2]`` by default; a cluster's ``spark://...`` or ``yarn``).
Out: a ``SparkSession`` set up the way the Spark SQL in ``generated/<name>/spark/`` expects:
ANSI mode on (a failing cast is an error, never a silent NULL: ferry writes TRY_CAST where
it means one), the session time zone UTC, no web UI, few shuffle partitions locally.

pyspark is the ``spark`` extra (``pip install -e '.[spark]'``) and needs a Java runtime;
``unavailable`` says, in one line, why Spark cannot start here.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from typing import Any

DEFAULT_MASTER = "local[2]"


def unavailable() -> str | None:
    """Why a Spark session cannot start on this machine, or None when it can."""
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install -e '.[spark]')"
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        return "no Java runtime (apt-get install openjdk-17-jre-headless, or set JAVA_HOME)"
    return None


def start(master: str = DEFAULT_MASTER, app: str = "ferry") -> Any:
    from pyspark.sql import SparkSession

    local = master.startswith("local")
    if local:  # the Python workers run this interpreter (ferry's UDFs import its packages)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (SparkSession.builder.master(master).appName(app)
               .config("spark.ui.enabled", "false")
               .config("spark.sql.ansi.enabled", "true")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.log.level", "ERROR"))
    if local:
        builder = builder.config("spark.sql.shuffle.partitions", "4").config("spark.driver.memory", "1g")
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session

