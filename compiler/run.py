"""Executing compiled output: ``generated/<spec>/`` -> a loaded DuckDB target + ``RunManifest``.

In:  the (schema-valid) ``Spec``, its compiled folder and the target path.
Out: ``RunManifest``: input hashes, tool versions, per-step timings and the
row accounting of every entity. Written next to the target as ``*.run.json``.

This is an I/O edge and never compiles: it refuses a compiled folder that does
not match the spec (stale) or that was edited by hand. Everything happens in
one transaction; if any statement fails, or if any entity's rows do not add up
(read = loaded + merged + rejected), the transaction is rolled back and a
target file that did not exist before is removed. Nothing is half-written.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

import duckdb
import sqlglot
from sqlglot import exp

from compiler import __version__, decisions, delta, history, ownership, scope, sources, tuning, workdir
from compiler.accounting import EntityCounts, account, by_cause, count, dedup_stats, of_spec
from compiler.errors import Diagnostic, FerryError, Span
from compiler.model import Spec
from compiler.sources import pending
from compiler.sqlgen import cells, used_columns

Progress = Callable[[str, int, int], None]  # (what, done, total)


@dataclass(frozen=True, slots=True)
class InputRecord:
    source: str
    path: str
    sha256: str
    bytes: int
    encoding: str
    transcoded: bool
    marks_removed: int = 0  # byte-order marks (U+FEFF) after the start of the file, removed (sources.evidence)
    notes: tuple[str, ...] = ()
    export_date: str | None = None  # the day the export was taken, as the spec declares it


@dataclass(frozen=True, slots=True)
class StepRecord:
    file: str
    seconds: float


@dataclass(frozen=True, slots=True)
class RunManifest:
    ferry_version: str
    spec: dict[str, str]
    generated: dict[str, str]
    target: dict[str, str]
    tools: dict[str, str]
    inputs: tuple[InputRecord, ...]
    steps: tuple[StepRecord, ...]
    sources: dict[str, int]  # rows read per source
    entities: tuple[EntityCounts, ...]
    unresolved_references: int
    dedup: tuple[dict[str, Any], ...]  # per dedup rule: pairs compared and matched, rows in skipped blocks
    started_at: str
    seconds: float
    sample: int | None = None  # a pilot run: at most this many rows per source (see ``sample_source``)
    decisions: tuple[dict[str, Any], ...] = ()  # the decision files read (dedup.decisions): path, sha256, bytes
    #: unresolved references by cause: the parent is missing from its source, was rejected, or archived
    unresolved_by_cause: dict[str, int] = field(default_factory=dict)
    #: first load, delta, full (--full) or pilot, and per entity insert/update/unchanged/conflict/gone counts
    delta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"


def _fail(code: str, message: str, span: Span, hint: str | None = None) -> FerryError:
    return FerryError(Diagnostic(code, message, span, hint))


def read_compiled(spec: Spec, directory: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """The compile manifest and SQL texts, after checking they belong to this spec."""
    where = Span(str(directory))
    manifest_path = directory / "manifest.json"
    # the command that writes this folder: with --out when it is not the default generated/
    recompile = f"ferry compile {spec.path}" + ("" if directory.parent == Path("generated")
                                                 else f" --out {directory.parent}")
    if not manifest_path.is_file():
        raise _fail("F501", f"no compiled output at {directory}", where, f"run `{recompile}` first")
    restore = f"do not edit generated/ by hand; run `{recompile}` to restore it"
    try:
        manifest = json.loads(manifest_path.read_text("utf-8"))
        missing = [key for key in ("spec", "sources", "entities", "tables", "files") if key not in manifest]
        if missing:
            raise KeyError(", ".join(missing))
        listed = {entry["name"]: entry["sha256"] for entry in manifest["files"]}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise _fail("F503", f"{manifest_path} is unreadable or incomplete ({type(exc).__name__}: {exc})",
                    Span(str(manifest_path)), restore) from None
    on_disk = {p.name for p in directory.glob("*.sql")}  # other targets' files are in subfolders
    if on_disk != set(listed):
        odd = sorted(on_disk.symmetric_difference(listed))
        raise _fail("F503", f"{manifest_path} does not list exactly the SQL files in {directory}: {', '.join(odd)}",
                    Span(str(manifest_path)), restore)
    if manifest.get("spec", {}).get("sha256") != spec.sha256 or manifest.get("ferry_version") != __version__:
        raise _fail("F502", f"{directory} was compiled from a different version of {spec.path}", where,
                    f"run `{recompile}` and review the diff")
    texts: dict[str, str] = {}
    for entry in manifest["files"]:
        path = directory / entry["name"]
        data = path.read_bytes() if path.is_file() else b""
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise _fail("F503", f"{path} is missing or was edited by hand", Span(str(path)),
                        f"change the spec instead, then run `{recompile}`")
        texts[entry["name"]] = data.decode("utf-8")
    return manifest, texts


#: Test hook: ``FERRY_PAUSE_BEFORE_STEP=050_contact.sql`` (or ``delta``) makes a run stop before that step, inside its
#: transaction, touch the file named by ``FERRY_PAUSE_SIGNAL`` and wait until it is killed. The kill
#: test uses it to kill a run at a known moment, whatever the machine's speed.
PAUSE_STEP, PAUSE_SIGNAL = "FERRY_PAUSE_BEFORE_STEP", "FERRY_PAUSE_SIGNAL"


def _pause_if_asked(step: str) -> None:
    if os.environ.get(PAUSE_STEP) != step:
        return
    if signal_file := os.environ.get(PAUSE_SIGNAL):
        Path(signal_file).touch()
    while True:
        time.sleep(60)


_LINE = re.compile(r"(?:line|Line)\s*:?\s*(\d+)")


def _sql_error(spec: Spec, entry: dict[str, Any], exc: duckdb.Error,
               ready: dict[str, sources.PreparedInput]) -> FerryError:
    file, text = entry["name"], str(exc)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    source = entry.get("reads")
    if source is not None and isinstance(exc, (duckdb.InvalidInputException, duckdb.IOException)):
        located = sources.read_error(spec.source(source), ready[source], used_columns(spec, source))
        if located is not None:  # read as CSV: the first row DuckDB cannot read, at its line in the file
            return FerryError(located)
        line = _LINE.search(text)
        where = Span(str(ready[source].original), int(line.group(1)) if line else 0, 1 if line else 0)
        code, hint = sources.read_error_hint(text) or (
            "F603", "check the source's options (delimiter, quote, encoding) and the file's lines")
        return _fail(code, f"cannot read source '{source}': {first}", where, hint)
    return _fail("F604", f"{file} failed: {first}", Span(file), _step_hint(exc, first))


def _step_hint(exc: duckdb.Error, first: str) -> str:
    """What a user can do about a step that failed: the cause DuckDB gave decides the hint."""
    if isinstance(exc, duckdb.ConversionException):  # a cast in a `sql:` field, check or filter, on some row
        return "a value did not convert: in a `sql:` field, check or filter, try_cast(x AS T) gives NULL instead"
    if "loading would convert its values" in first:  # a field's type changed since the target was loaded
        return "the field's type changed since the last run; ferry does not convert loaded values"
    return "the target may hold tables ferry did not create"


def _ident(name: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(dialect="duckdb")


def sample_source(con: duckdb.DuckDBPyConnection, spec: Spec, entry: dict[str, Any], size: int,
                  sampled: dict[str, str]) -> None:
    """Narrow one source's staging view to a deterministic sample of at most ``size`` rows (a pilot run).

    Rows are picked by the md5 of their old id, so the same input gives the same sample on
    any machine, and a later full run reproduces the same records under the same ids. A row
    whose reference points to an entity loaded earlier is eligible only if the row it refers
    to is in that entity's sample, so pilot rows are not rejected for orphans the full data
    would not have; rows a picked row refers to through a self-reference are added too.
    ``sampled`` maps each source sampled so far to its sample table."""
    source = spec.source(entry["name"])
    entity = next((e for e in spec.entities if source.name in e.source_names), None)
    stage, table = _ident(entry["stage_table"]), _ident(f"_ferry_sample_{source.name}")
    key = _ident(source.id_column)
    conditions, self_columns = [], []
    for ref in (r for r in (entity.references if entity else ()) if entity.reference_column(r, source.name)):
        parent = spec.entity(ref.entity)
        column = _ident(entity.reference_column(ref, source.name))
        if ref.entity == entity.name:
            self_columns.append(column)
        elif parent is not None and (held := ref.source or parent.source) in sampled:  # the source it names
            parent_key = _ident(spec.source(held).id_column)
            conditions.append(f"(nullif(trim({column}), '') IS NULL OR trim({column}) IN "
                              f"(SELECT trim({parent_key}) FROM {sampled[held]}))")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    picked = f"SELECT * FROM {stage}{where} ORDER BY md5(coalesce({key}, '')), \"_ferry_row\" LIMIT {int(size)}"
    if self_columns:
        refers = " OR ".join(f"trim(\"s\".{key}) = trim(\"p\".{c})" for c in self_columns)
        picked = (f"WITH RECURSIVE \"p\" AS (({picked}) UNION SELECT \"s\".* FROM {stage} AS \"s\" "
                  f"JOIN \"p\" ON {refers}) SELECT * FROM \"p\"")
    con.execute(f"CREATE OR REPLACE TEMPORARY TABLE {table} AS {picked}")
    con.execute(f"CREATE OR REPLACE TEMPORARY VIEW {stage} AS SELECT * FROM {table} ORDER BY \"_ferry_row\"")
    sampled[source.name] = table


def _parts(text: str | Sequence[str | Callable[[duckdb.DuckDBPyConnection], list[StepRecord]]]) -> Sequence[Any]:
    """A step's text, or its parts: texts, and calls (``engines.spark.publish``: Spark's dedup) that return their timings."""
    return (text,) if isinstance(text, str) else text


def execute(spec: Spec, directory: Path, target: Path, progress: Progress | None = None, *,
            sample: int | None = None, allow_shrink: bool = False, full: bool = False,
            engine: Callable[[dict[str, Any], dict[str, str], dict[str, "sources.PreparedInput"], Path],
                             tuple[dict[str, Any], list[StepRecord]]] | None = None) -> RunManifest:
    """Run the compiled steps into ``target`` in one transaction; ``sample``: a pilot run on at most
    that many rows per source (``sample_source``); ``full``: replace the spec's records instead of a delta;
    ``engine``: another engine's work before the transaction (``engines.spark.publish``), given the manifest, the step
    texts, the prepared inputs and the scratch folder, returning the texts to execute and its steps' timings."""
    started = time.perf_counter()
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    manifest, texts = read_compiled(spec, directory)
    base = Path(spec.path).parent
    report = progress or (lambda what, done, total: None)
    steps: list[StepRecord] = []
    workdir.check_target(target)
    with workdir.scratch(target) as tmp, pending.Inputs(base, Path(tmp), background=engine is None) as ready:
        for i, entry in enumerate(pending.slow_first(manifest["sources"])):  # XML converts in the background
            report(f"hashing {entry['path']}", i, len(manifest["sources"]))
            ready.start(spec.source(entry["name"]))
        if engine is not None:
            texts, engine_steps = engine(manifest, texts, ready.all(), Path(tmp))
            steps.extend(engine_steps)
        existed = target.exists()
        # A first run builds the database beside the target and renames it into place once committed
        # and closed: a run killed before that leaves no target at all, not an empty one.
        database = target if existed else Path(tmp) / target.name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            from compiler import functions  # phonenumbers and email-validator: only runs pay to import them

            con = functions.register(duckdb.connect(str(database)))
        except (OSError, duckdb.Error) as exc:
            reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
            raise _fail("F602", f"cannot open target {target}: {reason}", Span(str(target)),
                        "check the path (`target.path` or --target) is a writable DuckDB file "
                        "that no other process holds open") from None
        committed = False
        staged_files: list[tuple[Path, Path]] = []
        try:
            tuning.configure(con, Path(tmp))
            con.execute("BEGIN TRANSACTION")
            kind = delta.decide(con, spec, sample, full, scope.lazy(spec, engine is None))  # snapshots (some later)
            scoper = scope.Scope(con, spec, manifest, kind, delta.previous(con, spec.name), hashlib.sha256(
                (directory / "manifest.json").read_bytes()).hexdigest(), enabled=engine is None, texts=texts)
            ready.bind_ready(con)
            decision_files = decisions.bind(con, spec, manifest, base)  # their variables, and their hashes
            sampled: dict[str, str] = {}
            stages = {e["name"]: e for e in manifest["sources"]}
            for i, entry in enumerate(manifest["files"]):
                report(entry["title"], i, len(manifest["files"]))
                _pause_if_asked(entry["name"])
                ready.bind_for(con, entry.get("reads"))
                t0 = time.perf_counter()
                try:
                    for part in _parts(texts[entry["name"]]):  # another engine's work may sit between statements
                        steps.extend(part(con)) if callable(part) else con.execute(part)
                    if sample is not None and entry.get("reads") in stages and entry["reads"] not in sampled:
                        sample_source(con, spec, stages[entry["reads"]], sample, sampled)  # its staging view
                    scoper.after(entry)  # a delta's scope: only new, changed and dependent rows go on
                except duckdb.Error as exc:
                    raise ownership.stop(spec, str(exc)) or _sql_error(spec, entry, exc, ready) from None
                steps.append(StepRecord(entry["name"], round(time.perf_counter() - t0, 3)))
            report("accounting", len(manifest["files"]), len(manifest["files"]))
            declared = {e["name"]: e["encoding"] for e in manifest["sources"]}
            inputs = {name: InputRecord(name, str(p.original), p.sha256, p.bytes, declared[name], p.transcoded,
                                        p.marks_removed, p.notes, spec.source(name).export_date)
                      for name, p in ready.all().items()}
            _pause_if_asked("delta")  # the kill test's moment: every step has run, the delta not yet
            changes = delta.apply(con, spec, kind, started_at, scoper)
            scoper.store(started_at)
            read, counts = account(con, manifest, sampled=sample is not None, absent={
                e: c["deleted_in_target"] for e, c in changes["entities"].items()})
            unresolved = count(con, manifest["tables"]["unresolved_references"], of_spec(manifest))
            causes = by_cause(con, manifest["tables"]["unresolved_references"], of_spec(manifest))
            dedup = dedup_stats(con, manifest)
            staged_files = export_archives(con, manifest, base)
            run = RunManifest(
                ferry_version=__version__,
                spec={"name": spec.name, "path": spec.path, "sha256": spec.sha256},
                generated={"path": str(directory),
                           "manifest_sha256": hashlib.sha256((directory / "manifest.json").read_bytes()).hexdigest()},
                target={"kind": "duckdb", "path": str(target)},
                tools={"python": platform.python_version(), "duckdb": duckdb.__version__,
                       "sqlglot": sqlglot.__version__},
                inputs=tuple(inputs[n] for n in sorted(inputs)),
                steps=tuple(steps),
                sources=read,
                entities=counts,
                unresolved_references=unresolved,
                unresolved_by_cause=causes,
                dedup=dedup,
                started_at=started_at,
                seconds=round(time.perf_counter() - started, 3),
                sample=sample,
                decisions=decision_files,
                delta=changes,
            )
            if sample is None:
                check_shrink(spec, history.previous_sources(con, spec.name), read, allow_shrink)
            history.record(con, spec.name, started_at, run.to_json())  # the target knows which run made it
            con.execute("COMMIT")
            committed = True
        finally:
            if not committed:
                try:
                    con.execute("ROLLBACK")
                except duckdb.Error:
                    pass
            con.close()
            if not committed:
                for tmp_file, _ in staged_files:
                    tmp_file.unlink(missing_ok=True)
        if database != target:
            os.replace(database, target)
        for tmp_file, final in staged_files:
            os.replace(tmp_file, final)
    write_run_manifest(run_manifest_path(target), run)  # a copy; _ferry.runs in the target is the record
    return run


def check_shrink(spec: Spec, previous: dict[str, int] | None, read: dict[str, int], allow: bool) -> None:
    """F610: a source that lost more than its ``shrink_limit`` of the rows the last full run read
    stops the run (it rolls back), unless the user confirms with ``--allow-shrink``."""
    if previous is None or allow:
        return
    for source in spec.sources:
        before, now = previous.get(source.name), read.get(source.name)
        if before and now is not None and now < before * (1 - source.shrink_limit):
            raise _fail("F610", f"source '{source.name}' has {now} rows, {before} at the last run "
                        f"(-{100 * (before - now) / before:.0f}%, more than its shrink_limit of "
                        f"{source.shrink_limit:.0%}): nothing was changed", source.path_span,
                        "if the export really is smaller, run again with --allow-shrink (`ferry plan "
                        "--allow-shrink` shows what it would change); an export that lost rows would delete "
                        "their records")


def export_archives(con: duckdb.DuckDBPyConnection, manifest: dict[str, Any], base: Path) -> list[tuple[Path, Path]]:
    """Write each entity's archived rows to its file (Parquet or CSV by extension), next to the final
    name; the caller renames them into place once the transaction commits."""
    staged = []
    for e in manifest["entities"]:
        archive = e.get("archive")
        if not archive or not archive["path"]:
            continue
        final = base / archive["path"]
        tmp_file = final.with_name(f".{final.name}.tmp")
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            relation = con.table(archive["rows"])  # this run's archived rows (the table holds every spec's)
            if final.suffix == ".parquet":
                relation.write_parquet(str(tmp_file))
            else:  # for people: a value that would run as a formula in a spreadsheet is escaped
                query = cells.escaped(exp.select(exp.Star()).from_(exp.to_table(archive["rows"], quoted=True)),
                                      relation.columns)
                con.sql(query.sql(dialect="duckdb")).write_csv(str(tmp_file), header=True)
        except (OSError, duckdb.Error) as exc:
            raise _fail("F605", f"cannot write archive {final}: {str(exc).splitlines()[0]}", Span(str(final)),
                        "check that the folder of `filter.archive` is writable") from None
        staged.append((tmp_file, final))
    return staged


def run_manifest_path(target: Path) -> Path:
    return target.with_name(target.stem + ".run.json")


def write_run_manifest(path: Path, run: RunManifest) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(run.to_json(), encoding="utf-8")
    os.replace(tmp, path)
