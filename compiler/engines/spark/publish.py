"""``ferry run --engine spark``: compute on Spark into a run folder, then publish through ``run.execute``.

In:  the spec, its compiled folder, the target and a Spark master URL.
Out: the ``RunManifest`` of the publish (as ``ferry run`` gives), with the Spark stages' timings.

1. Spark (``engines.spark.runner``) reads the sources and writes each entity's per-row rows as
   Parquet into a run folder inside the run's scratch folder beside the target
   (``.ferry-tmp/run-<pid>/spark-run/``): removed on every exit (``workdir.scratch``); killed,
   even by ``kill -9``, the run's watcher process removes it (``reaper``; the next run would too). Rows are counted there first (F921).
2. Publish: the DuckDB steps run in one transaction, as in ``ferry run``, with each entity's
   per-row query read from its Parquet file. An entity with dedup hands its checked rows to
   Spark in the middle of its step (``engines.spark.dedup``): blocks, pairs and clusters come
   back as Parquet. The session stays up until the publish ends. The crosswalks, ownership checks, the delta ledger,
   the accounting (checked again) and ``_ferry.runs`` are those of the DuckDB run.
   A target that changed while Spark ran (its bytes differ) aborts the publish (F923).
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp

from compiler import reaper, run, sources, workdir
from compiler.engines.spark import dedup, runner
from compiler.engines.spark.session import DEFAULT_MASTER
from compiler.errors import Diagnostic, FerryError, Span
from compiler.model import Spec
from compiler.sqlgen import names


def fingerprint(target: Path) -> str | None:
    """The target's bytes (its DuckDB file, and the WAL beside it), or None when there is none."""
    if not target.exists():
        return None
    digest = hashlib.sha256()
    for path in (target, target.with_name(target.name + ".wal")):
        if path.exists():
            with path.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    digest.update(chunk)
    return digest.hexdigest()


def read_from_parquet(text: str, mapped: dict[str, Path]) -> str:
    """A DuckDB step file whose per-row queries (the ``mapped`` CTE over a stage table) read the
    rows Spark computed instead. Statements are trees; other statements render as they were built."""
    with runner.quiet():
        statements = [s for s in sqlglot.parse(text, read="duckdb") if s is not None]
    replaced = 0
    for statement in statements:
        with_ = statement.expression.args.get("with_") if isinstance(statement, exp.Create) and \
            isinstance(statement.expression, exp.Query) else None
        for cte in (with_.expressions if with_ else ()):
            source = cte.this.args.get("from_") if isinstance(cte.this, exp.Select) else None
            stage = runner.stage_table(cte.this) if source is not None else None
            if cte.alias == runner.MAPPED and stage in mapped:
                parquet = exp.Anonymous(this="read_parquet", expressions=[exp.Literal.string(str(mapped[stage]))])
                cte.set("this", exp.select(exp.Star()).from_(exp.Table(this=parquet)))
                replaced += 1
    if not replaced:
        return text
    return "".join(s.sql(dialect="duckdb", pretty=True) + ";\n" for s in statements)


def execute(spec: Spec, directory: Path, target: Path, progress: run.Progress | None = None, *,
            master: str = DEFAULT_MASTER, allow_shrink: bool = False, full: bool = False,
            session: Any = None) -> run.RunManifest:
    """``session``: a running SparkSession to compute on (tests share one); None starts one on ``master``."""
    report = progress or (lambda what, done, total: None)
    before = fingerprint(target)
    timings: dict[str, float] = {}
    started: list[Any] = []  # the session this run started (stopped after the publish: dedup runs in it)

    def on_dedup(spark: Any, work: dedup.Work, spark_text: str) -> Any:
        def call(con: Any) -> list[run.StepRecord]:
            """In the publish: the checked rows (or DuckDB's pairs) out to Parquet, Spark's dedup, its files in."""
            report(f"spark: dedup {work.entity}", 0, 0)
            t0 = time.perf_counter()
            if work.pairs:
                table = con.table(names.table_name(names.checked_table(work.entity)))
                kept = dedup.checked_columns(spark_text, work, table.columns)
                table.select(*(duckdb_column(c) for c in kept)).write_parquet(str(work.path("checked")))
            else:
                con.table(names.table_name(names.pairs_table(work.entity))).write_parquet(str(work.path("pairs")))
            written = time.perf_counter() - t0
            try:
                seconds = dedup.compute(spark, spec, work, spark_text, dedup.max_rounds())
            except FerryError:
                raise
            except Exception as exc:  # Spark's errors come through py4j: one line, located at the step
                raise FerryError(Diagnostic(
                    "F925", f"Spark failed in the dedup of '{work.entity}': {' '.join(str(exc).split())[:300]}",
                    Span(spec.path), "nothing was published; run without --engine to compare with the DuckDB engine"
                )) from None
            return [run.StepRecord(f"spark: {work.entity} rows out", round(written, 3)),
                    *(run.StepRecord(f"spark: {work.entity} {what}", s) for what, s in seconds.items())]
        return call

    def on_spark(manifest: dict[str, Any], texts: dict[str, str], ready: dict,
                 scratch: Path) -> tuple[dict[str, str], list[run.StepRecord]]:
        folder = scratch / "spark-run"
        folder.mkdir(exist_ok=True)
        t0 = time.perf_counter()
        def step(what: str) -> None:
            report(what, 0, 0)
            run._pause_if_asked(what)  # FERRY_PAUSE_BEFORE_STEP=spark:<source>: the kill test's moment
        readable = {name: runner.Readable(p.readable, p.columns if p.columns else
                                          sources.all_columns(spec.source(name), p.readable), p.transcoded)
                    for name, p in ready.items()}
        computed = runner.compute(spec, manifest, directory, readable, folder, master, step, session)
        started.extend([computed.session] if computed.session is not None else [])
        spark = session or computed.session
        timings.update(computed.seconds, spark=round(time.perf_counter() - t0, 3))
        if fingerprint(target) != before:
            raise FerryError(Diagnostic("F923", f"target {target} changed while Spark ran: nothing was published",
                                        Span(str(target)), "another run or tool wrote it; run again"))
        steps = [run.StepRecord(f"spark: {what}", s) for what, s in timings.items()]
        out: dict[str, Any] = {name: read_from_parquet(text, computed.mapped) for name, text in texts.items()}
        spark_texts = runner.spark_texts(manifest, directory, spec)
        for work in dedup.plan(spec, manifest, folder):
            out[work.file] = dedup.duckdb_parts(out[work.file], work, on_dedup(spark, work, spark_texts[work.file]))
        return out, steps

    try:
        with reaper.watch(workdir.run_folder(target)):  # killed (-9 too), its run folder is removed by a watcher
            return run.execute(spec, directory, target, progress, allow_shrink=allow_shrink, full=full,
                               engine=on_spark)
    finally:
        for s in started:
            s.stop()


def duckdb_column(name: str) -> str:
    """A column name as a DuckDB relation's ``select`` reads it: an identifier, quoted."""
    return exp.to_identifier(name, quoted=True).sql(dialect="duckdb")
