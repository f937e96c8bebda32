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
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import duckdb
import sqlglot
from sqlglot import exp

from compiler import __version__, sources
from compiler.errors import Diagnostic, FerryError, Span
from compiler.model import Spec

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


@dataclass(frozen=True, slots=True)
class EntityCounts:
    entity: str
    source: str
    read: int
    loaded: int
    merged: int
    archived: int
    rejected: int
    linked: int = 0  # of the loaded: records that already existed in the target (``match``)

    @property
    def balanced(self) -> bool:
        return self.read == self.loaded + self.merged + self.archived + self.rejected


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

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"


def _fail(code: str, message: str, span: Span, hint: str | None = None) -> FerryError:
    return FerryError(Diagnostic(code, message, span, hint))


def read_compiled(spec: Spec, directory: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """The compile manifest and SQL texts, after checking they belong to this spec."""
    where = Span(str(directory))
    manifest_path = directory / "manifest.json"
    if not manifest_path.is_file():
        raise _fail("F501", f"no compiled output at {directory}", where, f"run `ferry compile {spec.path}` first")
    restore = f"do not edit generated/ by hand; run `ferry compile {spec.path}` to restore it"
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
                    f"run `ferry compile {spec.path}` and review the diff")
    texts: dict[str, str] = {}
    for entry in manifest["files"]:
        path = directory / entry["name"]
        data = path.read_bytes() if path.is_file() else b""
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise _fail("F503", f"{path} is missing or was edited by hand", Span(str(path)),
                        f"change the spec instead, then run `ferry compile {spec.path}`")
        texts[entry["name"]] = data.decode("utf-8")
    return manifest, texts


def _count(con: duckdb.DuckDBPyConnection, table: str, where: exp.Expression | None = None) -> int:
    query = exp.select(exp.Count(this=exp.Star())).from_(exp.to_table(table, quoted=True))
    if where is not None:
        query = query.where(where)
    return con.execute(query.sql(dialect="duckdb")).fetchall()[0][0]


def _status(value: str) -> exp.Expression:
    return exp.EQ(this=exp.column("_ferry_status", quoted=True), expression=exp.Literal.string(value))


def account(con: duckdb.DuckDBPyConnection, manifest: dict[str, Any],
            sampled: bool = False) -> tuple[dict[str, int], tuple[EntityCounts, ...]]:
    """Count every entity's rows, and cross-check the persisted tables against the working ones.

    ``read`` is the number of staged rows, taken from the entity's working table after checking
    that it holds each source row number 1..N exactly once (so no row was lost or doubled on
    the way); the stage itself may be a view, which counting would read a second time. A
    sample keeps its rows' numbers in the file, so there each number must appear once.
    """
    rejects = manifest["tables"]["rejects"]
    read: dict[str, int] = {}
    counts = []
    for e in manifest["entities"]:
        rows = e["rows_table"]
        row = exp.column("_ferry_row", quoted=True)
        tally = exp.select(
            exp.Count(this=exp.Star()),
            exp.Count(this=exp.Distinct(expressions=[row])),
            exp.func("coalesce", exp.Max(this=row.copy()), exp.Literal.number(0)),
            *(exp.func("count_if", _status(s), dialect="duckdb") for s in ("loaded", "merged", "archived", "rejected")),
            exp.func("count_if", exp.and_(_status("loaded"), exp.column("_ferry_linked", quoted=True)),
                     dialect="duckdb"),
        ).from_(exp.to_table(rows, quoted=True))
        total, distinct, highest, loaded, merged, archived, rejected, linked = con.execute(
            tally.sql(dialect="duckdb")).fetchall()[0]
        if not total == distinct or not (sampled or total == highest):
            raise _fail("F601", f"row accounting failed for entity '{e['name']}': {total} working rows for "
                        f"{highest} source rows; nothing was written", Span(e["table"]),
                        "this is a ferry bug: please report it with the spec")
        read[e["source"]] = total
        c = EntityCounts(e["name"], e["source"], total, loaded, merged, archived, rejected, linked)
        archive = e.get("archive")
        persisted = (
            (_count(con, archive["table"]) if archive else 0) == c.archived
            # The table may hold other records too: each loaded row's record must be there, once.
            and _count(con, e["table"], exp.column("id", quoted=True).isin(query=exp.select(
                exp.column("id", quoted=True)).from_(exp.to_table(e["crosswalk"], quoted=True)).where(
                exp.EQ(this=exp.column("status", quoted=True), expression=exp.Literal.string("loaded"))))) == c.loaded
            and _count(con, e["crosswalk"]) == c.loaded + c.merged
            and _count(con, rejects, exp.EQ(this=exp.column("entity"), expression=exp.Literal.string(c.entity)))
            == c.rejected
        )
        if not c.balanced or not persisted:
            raise _fail("F601", f"row accounting failed for entity '{c.entity}': read {c.read} != loaded {c.loaded}"
                        f" + merged {c.merged} + archived {c.archived} + rejected {c.rejected}, or the tables "
                        "disagree; nothing was written",
                        Span(e["table"]), "this is a ferry bug: please report it with the spec")
        counts.append(c)
    return read, tuple(counts)


def _dedup_stats(con: duckdb.DuckDBPyConnection, manifest: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    query = exp.select(exp.Star()).from_(exp.to_table(manifest["tables"]["dedup_stats"], quoted=True)).order_by(
        exp.column("entity"), exp.column("rule"))
    cursor = con.execute(query.sql(dialect="duckdb"))
    columns = [d[0] for d in cursor.description]
    return tuple(dict(zip(columns, row)) for row in cursor.fetchall())


_LINE = re.compile(r"(?:line|Line)\s*:?\s*(\d+)")


def _sql_error(entry: dict[str, Any], exc: duckdb.Error, inputs: dict[str, InputRecord]) -> FerryError:
    file = entry["name"]
    text = str(exc)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    source = entry.get("reads")
    if source is not None and isinstance(exc, (duckdb.InvalidInputException, duckdb.IOException)):
        record = inputs[source]
        line = _LINE.search(text)
        where = Span(record.path, int(line.group(1)) if line else 0, 1 if line else 0)
        code, hint = sources.read_error_hint(text) or (
            "F603", "check the source's options (delimiter, quote, encoding) and the file's lines")
        return _fail(code, f"cannot read source '{source}': {first}", where, hint)
    return _fail("F604", f"{file} failed: {first}", Span(file), "the target may hold tables ferry did not create")


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
    entity = next((e for e in spec.entities if e.source == source.name), None)
    stage, table = _ident(entry["stage_table"]), _ident(f"_ferry_sample_{source.name}")
    key = _ident(source.id_column)
    conditions, self_columns = [], []
    for ref in entity.references if entity is not None else ():
        parent = spec.entity(ref.entity)
        column = _ident(ref.column)
        if ref.entity == entity.name:
            self_columns.append(column)
        elif parent is not None and parent.source in sampled:
            parent_key = _ident(spec.source(parent.source).id_column)
            conditions.append(f"(nullif(trim({column}), '') IS NULL OR trim({column}) IN "
                              f"(SELECT trim({parent_key}) FROM {sampled[parent.source]}))")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    picked = f"SELECT * FROM {stage}{where} ORDER BY md5(coalesce({key}, '')), \"_ferry_row\" LIMIT {int(size)}"
    if self_columns:
        refers = " OR ".join(f"trim(\"s\".{key}) = trim(\"p\".{c})" for c in self_columns)
        picked = (f"WITH RECURSIVE \"p\" AS (({picked}) UNION SELECT \"s\".* FROM {stage} AS \"s\" "
                  f"JOIN \"p\" ON {refers}) SELECT * FROM \"p\"")
    con.execute(f"CREATE OR REPLACE TEMPORARY TABLE {table} AS {picked}")
    con.execute(f"CREATE OR REPLACE TEMPORARY VIEW {stage} AS SELECT * FROM {table} ORDER BY \"_ferry_row\"")
    sampled[source.name] = table


def execute(spec: Spec, directory: Path, target: Path, progress: Progress | None = None, *,
            sample: int | None = None) -> RunManifest:
    """Run the compiled steps into ``target`` in one transaction; ``sample``: a pilot run on at most
    that many rows per source (``sample_source``)."""
    started = time.perf_counter()
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    manifest, texts = read_compiled(spec, directory)
    base = Path(spec.path).parent
    report = progress or (lambda what, done, total: None)
    steps: list[StepRecord] = []
    with tempfile.TemporaryDirectory(prefix="ferry-run-") as tmp:
        inputs: dict[str, InputRecord] = {}
        readable: dict[str, Path] = {}
        for i, entry in enumerate(manifest["sources"]):
            report(f"hashing {entry['path']}", i, len(manifest["sources"]))
            prepared = sources.prepare_input(spec.source(entry["name"]), base, Path(tmp))
            readable[entry["variable"]] = prepared.readable
            inputs[entry["name"]] = InputRecord(entry["name"], str(prepared.original), prepared.sha256,
                                                prepared.bytes, entry["encoding"], prepared.transcoded,
                                                prepared.marks_removed, prepared.notes)
        existed = target.exists()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            from compiler import functions  # phonenumbers and email-validator: only runs pay to import them

            con = functions.register(duckdb.connect(str(target)))
        except (OSError, duckdb.Error) as exc:
            reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
            raise _fail("F602", f"cannot open target {target}: {reason}", Span(str(target)),
                        "check the path (`target.path` or --target) is a writable DuckDB file "
                        "that no other process holds open") from None
        committed = False
        staged_files: list[tuple[Path, Path]] = []
        try:
            con.execute("BEGIN TRANSACTION")
            for variable, path in sorted(readable.items()):
                name = exp.to_identifier(variable, quoted=True).sql(dialect="duckdb")
                con.execute(f"SET VARIABLE {name} = ?", [str(path)])
            sampled: dict[str, str] = {}
            stages = {e["name"]: e for e in manifest["sources"]}
            for i, entry in enumerate(manifest["files"]):
                report(entry["title"], i, len(manifest["files"]))
                t0 = time.perf_counter()
                try:
                    con.execute(texts[entry["name"]])
                    if sample is not None and entry.get("reads") in stages and entry["reads"] not in sampled:
                        sample_source(con, spec, stages[entry["reads"]], sample, sampled)  # its staging view
                except duckdb.Error as exc:
                    raise _sql_error(entry, exc, inputs) from None
                steps.append(StepRecord(entry["name"], round(time.perf_counter() - t0, 3)))
            report("accounting", len(manifest["files"]), len(manifest["files"]))
            read, counts = account(con, manifest, sampled=sample is not None)
            unresolved = _count(con, manifest["tables"]["unresolved_references"])
            dedup = _dedup_stats(con, manifest)
            staged_files = export_archives(con, manifest, base)
            con.execute("COMMIT")
            committed = True
            for tmp_file, final in staged_files:
                os.replace(tmp_file, final)
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
            if not committed and not existed:
                for leftover in (target, target.with_name(target.name + ".wal")):
                    leftover.unlink(missing_ok=True)
    run = RunManifest(
        ferry_version=__version__,
        spec={"name": spec.name, "path": spec.path, "sha256": spec.sha256},
        generated={"path": str(directory), "manifest_sha256": _sha256_file(directory / "manifest.json")},
        target={"kind": "duckdb", "path": str(target)},
        tools={"python": platform.python_version(), "duckdb": duckdb.__version__, "sqlglot": sqlglot.__version__},
        inputs=tuple(inputs[n] for n in sorted(inputs)),
        steps=tuple(steps),
        sources=read,
        entities=counts,
        unresolved_references=unresolved,
        dedup=dedup,
        started_at=started_at,
        seconds=round(time.perf_counter() - started, 3),
        sample=sample,
    )
    write_run_manifest(run_manifest_path(target), run)
    return run


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
            relation = con.table(archive["table"])
            if final.suffix == ".parquet":
                relation.write_parquet(str(tmp_file))
            else:
                relation.write_csv(str(tmp_file), header=True)
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


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
