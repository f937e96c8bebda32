"""Starting and stopping the Spark session ferry runs on (an I/O edge; pyspark is optional).

In:  a master URL: ``local[2]`` by default; a cluster's ``spark://host:7077``, ``yarn`` or
``k8s://https://host:443``; or a Spark Connect server's ``sc://host:15002``.
Out: a ``SparkSession`` set up the way the Spark SQL in ``generated/<name>/spark/`` expects:
ANSI mode on (a failing cast is an error, never a silent NULL: ferry writes TRY_CAST where
it means one), the session time zone UTC, no web UI, few shuffle partitions locally.

pyspark is the ``spark`` extra (``pip install -e '.[spark]'``) and needs a Java runtime;
``problem`` says, in one line with a hint, why Spark cannot start here, before any JVM does.
A ``sc://`` URL builds the session with ``SparkSession.builder.remote()``: no local JVM, but
the Connect client's packages (``pip install 'pyspark[connect]'``: pandas, grpcio,
googleapis-common-protos), and only the settings a client may set (the SQL ones).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import sys
from dataclasses import dataclass
from typing import Any

DEFAULT_MASTER = "local[2]"
CONNECT = "sc://"
#: The master URLs Spark accepts, by form (``SparkContext``'s own list, and Spark Connect's).
MASTERS = (
    re.compile(r"local(\[(\*|[1-9]\d*)(,\s*[1-9]\d*)?\])?"),
    re.compile(r"local-cluster\[\d+,\s*\d+,\s*\d+\]"),
    re.compile(r"spark://[^\s/]+(,[^\s/]+)*/?"),
    re.compile(r"yarn"),
    re.compile(r"k8s://\S+"),
    re.compile(r"mesos://\S+"),
    re.compile(r"sc://[^\s/:]+(:\d+)?(/;\S*)?/?"),
)
#: What the Spark Connect client imports beyond pyspark (module -> package to install).
CONNECT_MODULES = (("pandas", "pandas"), ("pyarrow", "pyarrow"), ("grpc", "grpcio"),
                   ("grpc_status", "grpcio-status"), ("google.protobuf", "protobuf"),
                   ("google.rpc", "googleapis-common-protos"))
#: The settings a session starts with; a Connect client sets only the SQL ones.
SQL_SETTINGS = (("spark.sql.ansi.enabled", "true"), ("spark.sql.session.timeZone", "UTC"))


@dataclass(frozen=True, slots=True)
class Problem:
    code: str  # F922: cannot start Spark; F935: the Spark Connect client is missing
    message: str
    hint: str


def _missing(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is None
    except ModuleNotFoundError:  # its parent package is missing
        return True


def _unimportable(module: str) -> bool:
    """Imported, not only found: a client package that is there but broken is as missing."""
    try:
        importlib.import_module(module)
    except ImportError:
        return True
    return False


def problem(master: str = DEFAULT_MASTER) -> Problem | None:
    """Why a Spark session cannot start on ``master`` from this machine, or None when it can."""
    if not any(form.fullmatch(master) for form in MASTERS):
        return Problem("F922", f"cannot start Spark: '{master}' is not a Spark master URL",
                       "use local[N], spark://host:7077, yarn, k8s://https://host:port or sc://host:15002")
    if _missing("pyspark") and not master.startswith(CONNECT):
        return Problem("F922", "cannot start Spark: pyspark is not installed (pip install -e '.[spark]')",
                       "make setup-spark, or run without --engine")
    if master.startswith(CONNECT):  # the client is pyspark and its Connect packages: F935 names what is missing
        missing = ["pyspark"] if _missing("pyspark") else []
        missing += [package for module, package in CONNECT_MODULES if _unimportable(module)]
        if missing:
            return Problem("F935", f"cannot connect to Spark Connect at {master}: its Python client needs "
                           f"{', '.join(missing)}", "pip install 'pyspark[connect]' (the Spark Connect client), "
                           "or use --master local[N], spark://host:7077 or yarn")
        return None  # no local JVM: the server runs Spark
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        return Problem("F922", "cannot start Spark: no Java runtime (apt-get install openjdk-17-jre-headless, "
                       "or set JAVA_HOME)", "make setup-spark, or run without --engine")
    return None


def unavailable(master: str = DEFAULT_MASTER) -> str | None:
    """Why a Spark session cannot start here, in one line, or None when it can."""
    found = problem(master)
    return None if found is None else found.message.removeprefix("cannot start Spark: ")


def builder(master: str = DEFAULT_MASTER, app: str = "ferry") -> Any:
    """The session's builder: ``remote()`` for a Spark Connect URL, else ``master()`` with ferry's settings."""
    from pyspark.sql import SparkSession

    if master.startswith(CONNECT):
        b = SparkSession.builder.remote(master).appName(app)
        for key, value in SQL_SETTINGS:
            b = b.config(key, value)
        return b
    local = master.startswith("local")
    if local:  # the Python workers run this interpreter (ferry's UDFs import its packages)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    b = (SparkSession.builder.master(master).appName(app)
         .config("spark.ui.enabled", "false")
         .config("spark.log.level", "ERROR"))
    for key, value in SQL_SETTINGS:
        b = b.config(key, value)
    if local:
        b = b.config("spark.sql.shuffle.partitions", "4").config("spark.driver.memory", "1g")
    return b


def start(master: str = DEFAULT_MASTER, app: str = "ferry") -> Any:
    session = builder(master, app).getOrCreate()
    if not master.startswith(CONNECT):  # a Connect session has no SparkContext; the server logs
        session.sparkContext.setLogLevel("ERROR")
    return session
