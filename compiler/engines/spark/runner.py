"""``ferry run --engine spark``, the Spark side: sources and each entity's per-row work -> Parquet.

In:  the spec, its compiled folder (``generated/<name>/spark/`` and the manifest) and a run folder.
Out: ``Computed``: one Parquet file per entity in the run folder with the rows of its ``mapped``
query (every field's transforms, casts checks and the phone/e-mail UDFs on guarded inputs:
the work that grows with the rows), and the rows Spark read per source.

Sources are prepared as ``ferry run`` prepares them (hash, encoding checks; a cp1250 CSV, an
xlsx or an XML file becomes a UTF-8 CSV or NDJSON copy) and read with Spark's own CSV and
JSON readers, every column as text, in file order. Each entity's per-row query is planned in
small stages (``stages.split``) and written once. Before anything is published the rows are
counted: every source row must come out of its entity's query exactly once (F921). The step
file of session functions (the manifest's ``functions``: the fold of fuzzy rules) runs first.

The steps after the per-row work run in DuckDB at publish, from these files; dedup blocks, pairs
and clusters go back to Spark from there (``engines.spark.dedup``; README, "Engines").
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import sqlglot
from sqlglot import exp

from compiler.engines.spark import session as spark_session, stages, udfs
from compiler.errors import Diagnostic, FerryError, Span
from compiler.formats import CsvOptions
from compiler.model import READS_AS, Spec
from compiler.sqlgen.stage import CONVERTED_CSV

MAPPED = "mapped"  # the CTE of a checked step holding every field's transforms


@dataclass(frozen=True, slots=True)
class Readable:
    """A source file as ``ferry run`` prepared it: the file Spark reads, its columns, whether it is a UTF-8 copy."""
    path: Path
    columns: tuple[str, ...]
    transcoded: bool


@dataclass(frozen=True, slots=True)
class Computed:
    mapped: dict[str, Path]  # stage table -> Parquet file of its mapped rows
    rows: dict[str, int]  # rows read per source
    seconds: dict[str, float]  # start-up, staging, per entity
    session: Any = None  # the session ``compute`` started: the caller stops it (dedup runs in it later)


def _fail(code: str, message: str, span: Span, hint: str | None = None) -> FerryError:
    return FerryError(Diagnostic(code, message, span, hint))


@contextlib.contextmanager
def quiet():
    """sqlglot logs each statement it keeps as a command (DuckDB macros, ALTER ... ADD COLUMN of a struct
    field): they are executed as written, so the warning is noise."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def spark_texts(manifest: dict[str, Any], directory: Path, spec: Spec) -> dict[str, str]:
    """The Spark step files, checked against the hashes the compile manifest lists (F920)."""
    entry = manifest.get("engines", {}).get("spark", {})
    if not entry.get("files"):
        why = entry.get("unsupported", "the compile manifest lists no Spark steps")
        raise _fail("F920", f"{spec.name} cannot run on Spark: {why}", Span(str(directory / "manifest.json")),
                    "run it with the DuckDB engine (`ferry run` without --engine)")
    texts = {}
    for name, digest in entry["files"].items():
        path = directory / name
        data = path.read_bytes() if path.is_file() else b""
        if hashlib.sha256(data).hexdigest() != digest:
            raise _fail("F920", f"{path} is missing or was edited by hand", Span(str(path)),
                        f"run `ferry compile {spec.path}` to restore it")
        texts[Path(name).name] = data.decode("utf-8")
    return texts


def stage_table(select: exp.Select) -> str:
    """The table a per-row query reads: beneath the layers of shared values (``sqlgen.shared``), if any."""
    source = select.args["from_"].this
    while isinstance(source, exp.Subquery) and isinstance(source.this, exp.Select) and source.this.args.get("from_"):
        source = source.this.args["from_"].this
    return source.name


def mapped_queries(text: str) -> dict[str, exp.Select]:
    """The per-row query of each checked step in a Spark step file: stage table -> SELECT."""
    out = {}
    with quiet():
        statements = sqlglot.parse(text, read="spark")
    for statement in statements:
        if not isinstance(statement, exp.Create) or not isinstance(statement.expression, exp.Query):
            continue
        with_ = statement.expression.args.get("with_")
        for cte in (with_.expressions if with_ else ()):
            select = cte.this
            if cte.alias == MAPPED and isinstance(select, exp.Select) and select.args.get("from_") is not None:
                out[stage_table(select)] = select
    return out


def _read(spark: Any, spec: Spec, entry: dict[str, Any], prepared: Readable) -> Any:
    from pyspark.sql import functions as F

    source = spec.source(entry["name"])
    schema = ", ".join(exp.to_identifier(c, quoted=True).sql(dialect="spark") + " STRING" for c in prepared.columns)
    if READS_AS[source.format] == "csv":
        o = source.options if isinstance(source.options, CsvOptions) else CONVERTED_CSV
        frame = (spark.read.schema(schema).option("header", "true").option("sep", o.delimiter)
                 .option("quote", o.quote).option("escape", o.escape).option("multiLine", "true")
                 .option("encoding", "UTF-8" if prepared.transcoded else o.encoding).option("mode", "FAILFAST")
                 .csv(str(prepared.path)))
    else:
        frame = spark.read.schema(schema).option("mode", "FAILFAST").json(str(prepared.path))
    return frame.withColumn("_ferry_read_order", F.monotonically_increasing_id())


def define_functions(spark: Any, manifest: dict[str, Any], texts: dict[str, str]) -> None:
    """Runs the compiled file of session functions (``sqlfunctions``: the fold), if the spec has one,
    before any statement that calls them."""
    name = manifest["engines"]["spark"].get("functions")
    if name is None:
        return
    with quiet():
        statements = [s for s in sqlglot.parse(texts[name], read="spark") if s is not None]
    for statement in statements:
        spark.sql(statement.sql(dialect="spark"))


def _start(spec: Spec, master: str) -> Any:
    try:
        return spark_session.start(master, app=f"ferry {spec.name}")
    except Exception as exc:  # a master that does not answer, a JVM that does not start: py4j's text
        first = " ".join(str(exc).split())[:300]
        raise _fail("F922", f"cannot start Spark on {master}: {first}", Span(spec.path),
                    "check --master (local[2], spark://host:7077, yarn, sc://host:15002) and that it answers") from None


def compute(spec: Spec, manifest: dict[str, Any], directory: Path, ready: dict[str, Readable],
            folder: Path, master: str, report: Callable[[str], None], session: Any = None) -> Computed:
    """``session``: a running SparkSession to use (and leave running); None starts one on ``master``, handed
    back in ``Computed.session`` for the publish's dedup (stopped here only if ``compute`` fails)."""
    texts = spark_texts(manifest, directory, spec)  # first: a missing or edited step file needs no JVM (F920)
    problem = None if session is not None else spark_session.problem(master)
    if problem is not None:  # F922, or F935 (the Spark Connect client is missing)
        raise _fail(problem.code, problem.message, Span(spec.path), problem.hint)
    reads = manifest["engines"]["spark"]["reads"]
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    report(f"starting Spark ({master})")
    spark = udfs.register(session or _start(spec, master))
    seconds["start-up"] = round(time.perf_counter() - t0, 3)
    done = False
    try:
        define_functions(spark, manifest, texts)
        rows: dict[str, int] = {}
        mapped: dict[str, Path] = {}
        stage_of = {e["stage_table"]: e["name"] for e in manifest["sources"]}
        for entry in manifest["sources"]:
            _read(spark, spec, entry, ready[entry["name"]]).createOrReplaceTempView(reads[entry["name"]])
        for entry in manifest["files"]:
            text = texts[entry["name"]]
            with quiet():
                statements = sqlglot.parse(text, read="spark")
            for statement in statements:  # the staging views over the read sources
                if isinstance(statement, exp.Create) and statement.kind == "VIEW" and statement.this.name in stage_of:
                    spark.sql(statement.sql(dialect="spark"))
            for stage_table, select in mapped_queries(text).items():
                source = stage_of[stage_table]
                report(f"spark:{source}")  # before each source's rows (the kill test pauses here)
                t1 = time.perf_counter()
                out = folder / f"mapped_{source}.parquet"
                frame = spark.sql(stages.split(select).sql(dialect="spark"))
                frame.write.mode("overwrite").parquet(str(out))
                written = spark.read.parquet(str(out))
                staged = spark.table(stage_table).count()
                counted = written.count()
                distinct = written.select("_ferry_row").distinct().count()
                if not (staged == counted == distinct):
                    raise _fail("F921", f"source '{source}': Spark read {staged} rows but its per-row query gave "
                                f"{counted} ({distinct} distinct): nothing was published", Span(spec.path),
                                "a row must come out exactly once; report this with the run folder's files")
                rows[source] = staged
                mapped[stage_table] = out
                seconds[source] = round(time.perf_counter() - t1, 3)
        done = True
        return Computed(mapped, rows, seconds, None if session is not None else spark)
    except FerryError:
        raise
    except Exception as exc:  # Spark's errors come through py4j: one line, located at the step
        first = " ".join(str(exc).split())[:300]
        raise _fail("F925", f"Spark failed: {first}", Span(spec.path),
                    "nothing was published; run without --engine to compare with the DuckDB engine") from None
    finally:
        if session is None and not done:
            spark.stop()
