"""Pushing a run's result to PostgreSQL: ``generated/<name>/postgres/load.sql`` + the DuckDB file -> a server.

An I/O edge like ``run``. It reads only what ``compile`` wrote (checked against the compile manifest's
hash, like ``run``) and the DuckDB file ``run`` wrote, and executes the script's phases (prepare, load
per entity, finish; see the script's header) in one transaction, or with ``batch_size`` in one
transaction per phase and batch. ``-- ferry:copy`` statements are fed by DuckDB: it writes CSV into a
named pipe on one thread while this one streams the pipe to ``COPY ... FROM STDIN`` in 1 MiB chunks,
so no row passes through Python objects and the export overlaps the load.

The DSN comes from the environment variable the spec names (``FERRY_PG_DSN`` by
default); it never appears in generated files, messages or the push manifest.
Every failure is a located one-line ``FerryError``; a failed push rolls back
(without batches: the server is as it was; with them: what committed stays and
pushing again converges).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import duckdb

from compiler import compiled, ownership
from compiler.run import _pause_if_asked as pause_if_asked
from compiler.errors import Diagnostic, FerryError, Span, first_line
from compiler.model import Spec
from compiler.targets.postgres import delta as pgdelta

_MARKER = re.compile(r"^-- ferry:(sql|copy|probe)(?: ([\w.]+) ([\w,]+))?((?: \w+=\w+)*)$", re.MULTILINE)
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")
_CHUNK = 1 << 20
PHASES = ("prepare", "load", "finish")

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    kind: str = "sql"  # sql | copy | probe
    copy_from: str | None = None  # DuckDB table feeding a COPY ... FROM STDIN
    columns: tuple[str, ...] = ()
    entity: str = ""
    phase: str = "prepare"
    path: str = ""  # load phase: "fresh" (the table is empty), "merge", or "" for both

    @property
    def what(self) -> str:
        return f"copy {self.copy_from}" if self.copy_from else " ".join(self.sql.split()[:4])


@dataclass(frozen=True, slots=True)
class PushedTable:
    table: str
    rows: int


@dataclass(frozen=True, slots=True)
class PushStep:
    entity: str  # the entity the statement belongs to, "" for schema-wide statements
    what: str  # "copy <duckdb table>" or the statement's first words
    seconds: float  # summed over batches
    phase: str = ""
    path: str = ""
    runs: int = 1  # how many times it ran (once per batch in the load phase)


@dataclass(frozen=True, slots=True)
class PushManifest:
    spec: str
    target: dict[str, str]  # kind, schema, dsn_env (the variable's name, never its value)
    tables: tuple[PushedTable, ...]
    statements: int
    seconds: float
    steps: tuple[PushStep, ...] = ()
    batch_size: int | None = None  # records per transaction; None: one transaction
    transactions: int = 1
    paths: dict[str, str] | None = None  # entity -> fresh | merge
    delta: dict[str, Any] | None = None  # the run's kind, per entity its mode (delta | replace | pilot) and counts

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"


def _fail(code: str, message: str, span: Span, hint: str | None = None) -> FerryError:
    return FerryError(Diagnostic(code, message, span, hint))


def parse_script(text: str) -> tuple[Statement, ...]:
    """The statements of a load script, split at its ``-- ferry:`` lines."""
    marks = list(_MARKER.finditer(text))
    out = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        body = "\n".join(line for line in text[mark.end():end].strip().splitlines() if not line.startswith("--"))
        attrs = dict(pair.split("=", 1) for pair in mark.group(4).split())
        if set(attrs) - {"entity", "phase", "path"} or attrs.get("phase", "prepare") not in PHASES:
            raise ValueError(f"bad ferry line: {mark.group(0)}")
        kind, table = mark.group(1), mark.group(2)
        columns = tuple(mark.group(3).split(",")) if mark.group(3) else ()
        if (kind == "copy") != (table is not None) or (table and not all(_IDENT.match(n) for n in (table, *columns))):
            raise ValueError(f"bad ferry line: {mark.group(0)}")
        out.append(Statement(body, kind, table, columns, attrs.get("entity", ""), attrs.get("phase", "prepare"),
                             attrs.get("path", "")))
    return tuple(out)


def read_script(directory: Path) -> tuple[dict[str, Any], tuple[Statement, ...]]:
    manifest_path = directory / "manifest.json"
    hint = "run `ferry compile` for this spec first"
    try:
        manifest, entry, texts = compiled.read_target(directory, "postgres")
        name = f"postgres/{entry['script']}"
        text = texts[name]
        str(entry["dsn_env"]) + str(entry["schema"])  # present, or the manifest is not ours
    except (compiled.NotCompiled, KeyError, TypeError) as exc:
        raise _fail("F701", f"no compiled PostgreSQL load script in {directory} ({exc.args[0] if exc.args else ''})",
                    Span(str(manifest_path)), hint) from None
    except compiled.Edited as exc:
        raise _fail("F701", f"{exc.args[0]} was edited after compiling", Span(str(directory)),
                    "change the spec or the template, then run `ferry compile`") from None
    try:
        return manifest, parse_script(text)
    except ValueError as exc:
        raise _fail("F701", f"{directory / name}: {exc}", Span(str(directory)), hint) from None


def _dsn(manifest: dict[str, Any], spec: Spec) -> str:
    variable = manifest["targets"]["postgres"]["dsn_env"]
    dsn = os.environ.get(variable, "").strip()
    if not dsn:
        raise _fail("F702", f"environment variable {variable} is not set", spec.target.span,
                    f"export {variable}=postgresql://user@host:5432/dbname (the DSN is never written to files)")
    return dsn


def _scrub(message: str, dsn: str) -> str:
    """A server message with the DSN and its password (if any) taken out."""
    secrets = [dsn]
    try:
        from psycopg.conninfo import conninfo_to_dict
        secrets.append(str(conninfo_to_dict(dsn).get("password") or ""))
    except Exception:  # a DSN libpq cannot parse has no password to find  # noqa: BLE001
        pass
    for secret in (s for s in secrets if s):
        message = message.replace(secret, "***")
    return message


def _quoted(dotted: str) -> str:
    return ".".join('"' + p + '"' for p in dotted.split("."))


def _stream(pg: Any, duck: duckdb.DuckDBPyConnection, query: str, sql: str, fifo: Path) -> int:
    """``COPY (query) TO fifo`` in DuckDB on one thread, ``COPY ... FROM STDIN`` fed from the fifo on this one.

    Both run at once (DuckDB releases the GIL), so the export costs no extra time. The
    read end is opened first, with a spare write end held until DuckDB is done, so
    neither side can block the other whichever fails first. Returns the rows copied."""
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    spare: int | None = os.open(fifo, os.O_WRONLY)
    done, errors = threading.Event(), []

    def export() -> None:
        try:
            duck.cursor().execute(f"COPY ({query}) TO '{fifo}' (FORMAT csv, HEADER false)")
        except BaseException as exc:  # noqa: BLE001 -- reported on the main thread
            errors.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=export, name="ferry-export", daemon=True)
    thread.start()
    try:
        with pg.cursor() as cur:
            with cur.copy(sql) as copy:
                while True:
                    if spare is not None and done.is_set():
                        os.close(spare)
                        spare = None
                    if not select.select([reader], [], [], 0.05)[0]:
                        continue
                    try:
                        chunk = os.read(reader, _CHUNK)
                    except BlockingIOError:
                        continue
                    if chunk:
                        copy.write(chunk)
                    elif spare is None:
                        break  # every writer closed and the pipe is drained
                if errors:
                    raise errors[0]
            return cur.rowcount
    finally:
        if spare is not None:
            os.close(spare)
        os.close(reader)  # a writer still going gets EPIPE and stops
        thread.join()
        fifo.unlink()


class _Loader:
    """Runs the script's statements against one PostgreSQL connection, fed by one DuckDB connection."""

    def __init__(self, pg: Any, duck: duckdb.DuckDBPyConnection, manifest: dict[str, Any], tmp: Path,
                 report: Progress, total: int) -> None:
        self.pg, self.duck, self.tmp, self.report, self.total = pg, duck, tmp, report, total
        self.owned = {e["table"]: e["crosswalk"] for e in manifest.get("entities", [])}
        self.crosswalks = set(self.owned.values())
        # Only this spec's crosswalk rows and records: the DuckDB file may be shared with other specs.
        self.mine = '"spec" = ' + "'" + str(manifest["spec"]["name"]).replace("'", "''") + "'"
        self.rows: dict[str, int] = {}
        self.steps: dict[int, PushStep] = {}
        self.copies = 0
        self.records: dict[str, str] = {}  # entity -> the DuckDB query of a delta push's records to write

    def source(self, statement: Statement) -> str:
        """The DuckDB query feeding a copy: this spec's rows of a crosswalk; an entity table only with
        the records this spec's run loaded (the DuckDB file may hold records ``match`` linked to, which
        belong to whoever loaded them, and other specs' records)."""
        columns = ", ".join('"' + c + '"' for c in statement.columns)
        if statement.copy_from in self.owned and statement.entity in self.records:
            return self.records[statement.entity]  # a delta: only the records that change, resolved
        query = f"SELECT {columns} FROM target.{_quoted(statement.copy_from)}"
        crosswalk = self.owned.get(statement.copy_from)
        if statement.copy_from in self.crosswalks:
            query += f" WHERE {self.mine}"
        if crosswalk is not None:
            query += (f' WHERE "id" IN (SELECT "id" FROM target.{_quoted(crosswalk)} '
                      f"WHERE {self.mine} AND \"status\" = 'loaded' AND NOT coalesce(\"linked\", false))")
        if crosswalk is not None and statement.path == "merge":
            query += ' ORDER BY "id"'  # upserts then append to the key's B-tree (a fresh table is indexed after)
        return query

    def run(self, index: int, statement: Statement, query: str | None = None) -> Any:
        self.report(statement.what, index, self.total)
        t0 = time.perf_counter()
        result = None
        if statement.kind == "copy":
            self.copies += 1
            rows = _stream(self.pg, self.duck, query or self.source(statement), statement.sql,
                           self.tmp / f"copy-{self.copies}.csv")
            self.rows[statement.copy_from] = self.rows.get(statement.copy_from, 0) + rows
        elif statement.kind == "probe":
            result = self.pg.execute(statement.sql).fetchone()[0]
        else:
            self.pg.execute(statement.sql)
        seconds = time.perf_counter() - t0
        step = self.steps.get(index)
        self.steps[index] = PushStep(statement.entity, statement.what,
                                     round(seconds + (step.seconds if step else 0.0), 3), statement.phase,
                                     statement.path, (step.runs + 1) if step else 1)
        return result

    def write(self, w: pgdelta.Write) -> None:
        """A delta's write (``pgdelta.writes``): a statement, or a COPY fed by a DuckDB query."""
        self.copies += 1
        t0 = time.perf_counter()
        if w.copy_from is None:
            self.pg.execute(w.sql)
        else:
            _stream(self.pg, self.duck, w.copy_from, w.sql, self.tmp / f"copy-{self.copies}.csv")
        self.steps[-self.copies] = PushStep(w.entity, " ".join(w.sql.split()[:4]), round(time.perf_counter() - t0, 3),
                                            "finish", "delta")

    def batches(self, statement: Statement, batch_size: int) -> list[str]:
        """The queries feeding one copy batch by batch: the records are numbered once, in id order."""
        self.duck.execute(f"CREATE OR REPLACE TABLE _ferry_push AS SELECT row_number() OVER (ORDER BY \"id\") "
                          f"AS _n, * FROM ({self.source(statement)})")
        count = self.duck.execute("SELECT count(*) FROM _ferry_push").fetchall()[0][0]
        columns = ", ".join('"' + c + '"' for c in statement.columns)
        return [f"SELECT {columns} FROM _ferry_push WHERE _n > {lo} AND _n <= {lo + batch_size} ORDER BY _n"
                for lo in range(0, max(count, 1), batch_size)]


def push(spec: Spec, directory: Path, target: Path, progress: Progress | None = None,
         batch_size: int | None = None) -> PushManifest:
    """Run generated/<name>/postgres/load.sql against $DSN_ENV, fed from the run's DuckDB file.

    Without ``batch_size`` the whole push is one transaction. With it, the prepare
    phase, every batch of ``batch_size`` records and the finish phase each commit on
    their own; the script is written so that a push interrupted anywhere converges
    when run again."""
    import psycopg  # only pushes pay for it

    started = time.perf_counter()
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    manifest, statements = read_script(directory)
    if not target.is_file():
        raise _fail("F606", f"no target at {target}", Span(str(target)), f"run `ferry run {spec.path}` first")
    dsn = _dsn(manifest, spec)
    report = progress or (lambda what, done, total: None)
    variable = manifest["targets"]["postgres"]["dsn_env"]
    where = Span(f"${variable}")
    try:
        pg = psycopg.connect(dsn, connect_timeout=10)
    except psycopg.ProgrammingError:  # libpq quotes the bad connection string back: never print it
        raise _fail("F703", f"${variable} is not a valid PostgreSQL connection string", where,
                    "use postgresql://user@host:5432/dbname or 'host=... dbname=...'") from None
    except psycopg.Error as exc:
        raise _fail("F703", f"cannot connect to PostgreSQL: {_scrub(first_line(exc), dsn)}", where,
                    f"check ${variable} and that the server is up") from None
    duck = duckdb.connect()
    numbered = list(enumerate(statements))
    paths: dict[str, str] = {}
    transactions = 0

    def transaction() -> Any:
        nonlocal transactions
        transactions += 1
        return pg.transaction()

    try:
        duck.execute("ATTACH ? AS target (READ_ONLY)", [str(target)])
        with tempfile.TemporaryDirectory(prefix="ferry-push-") as tmp:
            loader = _Loader(pg, duck, manifest, Path(tmp), report, len(statements))
            whole = transaction() if batch_size is None else contextlib.nullcontext()
            each = contextlib.nullcontext if batch_size is None else transaction
            with whole:
                with each():  # the server's records and ledger, read (and locked) before anything is written
                    server = pgdelta.read(pg, duck, spec, Path(tmp), started_at, lock=True)
                    for e in (e for e in server.entities if e.mode == "delta"):
                        loader.records[e.entity] = pgdelta.records_query(spec.entity(e.entity), next(
                            s.columns for s in statements if s.kind == "copy" and s.entity == e.entity and s.phase == "load"))
                    kept = {e.entity for e in server.entities if e.crosswalk_same}  # its crosswalk is not replaced
                    for i, s in numbered:  # (an entity's prepare statements are that replacement)
                        if s.phase == "prepare" and s.entity not in kept and not (
                                s.path == "replace" and server.mode(s.entity) == "delta"):
                            loader.run(i, s)
                for entity in dict.fromkeys(s.entity for s in statements if s.phase == "load"):
                    group = [(i, s) for i, s in numbered if s.phase == "load" and s.entity == entity]
                    probe = next(((i, s) for i, s in group if s.kind == "probe"), None)
                    with each():
                        fresh = bool(loader.run(*probe)) if probe else False
                    paths[entity] = "fresh" if fresh else "merge"
                    chosen = [(i, s) for i, s in group if s.kind != "probe" and s.path in ("", paths[entity])]
                    copy = next((s for _, s in chosen if s.kind == "copy"), None)
                    feeds = loader.batches(copy, batch_size) if batch_size and copy else [None]
                    for feed in feeds:
                        with each():
                            for i, s in chosen:
                                loader.run(i, s, feed if s.kind == "copy" else None)
                with each():
                    pause_if_asked("push")  # the kill test's moment: records loaded, the delta's writes not yet
                    for w in pgdelta.writes(spec, server):
                        loader.write(w)
                    for i, s in numbered:
                        if s.phase == "finish":
                            loader.run(i, s)
    except psycopg.Error as exc:
        if (stop := ownership.stop(spec, first_line(exc))) is not None:  # raised in the prepare phase
            raise stop from None
        kept = "nothing was changed" if batch_size is None else "committed batches stay; pushing again converges"
        raise _fail("F704", f"PostgreSQL refused the load, {kept}: {_scrub(first_line(exc), dsn)}", where,
                    "is the target schema one ferry created? see the statement in postgres/load.sql") from None
    except duckdb.Error as exc:
        raise _fail("F606", f"cannot read the run's result: {first_line(exc)}", Span(str(target)),
                    f"run `ferry run {spec.path}` again") from None
    finally:
        duck.close()
        pg.close()
    result = PushManifest(
        spec=spec.name,
        target={"kind": "postgres", "schema": manifest["targets"]["postgres"]["schema"], "dsn_env": variable},
        tables=tuple(PushedTable(t, n) for t, n in loader.rows.items()),
        statements=len(statements),
        seconds=round(time.perf_counter() - started, 3),
        steps=tuple(PushStep(e.entity, "read and resolve the server's records", e.seconds, "prepare", e.mode)
                    for e in server.entities)  # before anything is written (pgdelta.read)
        + tuple(loader.steps[i] for i in sorted(loader.steps, key=lambda i: (i < 0, abs(i)))),
        batch_size=batch_size,
        transactions=transactions,
        paths=paths,
        delta={"kind": server.kind, "run": server.run, "entities": {
            e.entity: {"mode": e.mode, **e.counts} for e in server.entities}},
    )
    try:
        push_manifest_path(target).write_text(result.to_json(), encoding="utf-8")
    except OSError as exc:  # the data are committed; only the record of it is missing
        raise _fail("F706", f"pushed, but cannot write {push_manifest_path(target)}: {exc.strerror}",
                    Span(str(target)), "check the folder is writable; pushing again is safe") from None
    return result


def push_manifest_path(target: Path) -> Path:
    """Where the push manifest goes: next to the run's DuckDB file (``build/x.push.json``)."""
    return target.with_name(f"{target.stem}.push.json")
