"""Pushing a run's result to PostgreSQL: ``generated/<name>/postgres/load.sql`` + the DuckDB file -> a server.

An I/O edge like ``run``. It reads only what ``compile`` wrote (checked against
the compile manifest's hash, like ``run``) and the DuckDB file ``run`` wrote,
and executes the script's statements in one transaction. ``-- ferry:copy``
statements are fed by DuckDB: it writes the table as CSV into a temporary file,
which is streamed to ``COPY ... FROM STDIN`` in 1 MiB chunks, so no row passes
through Python objects.

The DSN comes from the environment variable the spec names (``FERRY_PG_DSN`` by
default); it never appears in generated files, messages or the push manifest.
Every failure is a located one-line ``FerryError``; a failed push rolls back and
leaves the server as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import duckdb

from compiler.errors import Diagnostic, FerryError, Span, first_line
from compiler.model import Spec

_MARKER = re.compile(r"^-- ferry:(sql|copy)(?: (\S+) (\S+))?(?: entity=(\w+))?$", re.MULTILINE)
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")
_CHUNK = 1 << 20

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    copy_from: str | None = None  # DuckDB table feeding a COPY ... FROM STDIN
    columns: tuple[str, ...] = ()
    entity: str = ""


@dataclass(frozen=True, slots=True)
class PushedTable:
    table: str
    rows: int


@dataclass(frozen=True, slots=True)
class PushStep:
    entity: str  # the entity the statement belongs to, "" for schema-wide statements
    what: str  # "copy <duckdb table>" or the statement's first words
    seconds: float


@dataclass(frozen=True, slots=True)
class PushManifest:
    spec: str
    target: dict[str, str]  # kind, schema, dsn_env (the variable's name, never its value)
    tables: tuple[PushedTable, ...]
    statements: int
    seconds: float
    steps: tuple[PushStep, ...] = ()

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
        if mark.group(1) == "copy":
            table, columns = mark.group(2), tuple(mark.group(3).split(","))
            if not _IDENT.match(table) or not all(_IDENT.match(c) for c in columns):
                raise ValueError(f"bad copy line: {mark.group(0)}")
            out.append(Statement(body, table, columns, mark.group(4) or ""))
        else:
            out.append(Statement(body, entity=mark.group(4) or ""))
    return tuple(out)


def read_script(directory: Path) -> tuple[dict[str, Any], tuple[Statement, ...]]:
    manifest_path = directory / "manifest.json"
    hint = "run `ferry compile` for this spec first"
    try:
        manifest = json.loads(manifest_path.read_text("utf-8"))
        entry = manifest["targets"]["postgres"]
        name = f"postgres/{entry['script']}"
        text = (directory / name).read_text("utf-8")
        expected = entry["files"][name]
        str(entry["dsn_env"]) + str(entry["schema"])  # present, or the manifest is not ours
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise _fail("F701", f"no compiled PostgreSQL load script in {directory} ({type(exc).__name__})",
                    Span(str(manifest_path)), hint) from None
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != expected:
        raise _fail("F701", f"{directory / name} was edited after compiling", Span(str(directory)),
                    "change the spec or the template, then run `ferry compile`")
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


def _copy(pg: Any, duck: duckdb.DuckDBPyConnection, statement: Statement, tmp: Path, loaded_from: str | None) -> int:
    """Feed one COPY from a DuckDB table, as CSV, in chunks. Returns the rows sent.

    For an entity table, only the records this run loaded (by its crosswalk) are sent: the
    DuckDB file may hold records ``match`` linked to, which belong to whoever loaded them."""
    columns = ", ".join('"' + c + '"' for c in statement.columns)
    query = f"SELECT {columns} FROM target.{_quoted(statement.copy_from)}"
    if loaded_from is not None:
        query += (f' WHERE "id" IN (SELECT "id" FROM target.{_quoted(loaded_from)} '
                  "WHERE \"status\" = 'loaded' AND NOT coalesce(\"linked\", false))")
    path = tmp / "copy.csv"
    duck.execute(f"COPY ({query}) TO '{path}' (FORMAT csv, HEADER false)")
    rows = duck.execute(f"SELECT count(*) FROM ({query})").fetchall()[0][0]
    with pg.cursor() as cur, cur.copy(statement.sql) as copy, path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            copy.write(chunk)
    return rows


def push(spec: Spec, directory: Path, target: Path, progress: Progress | None = None) -> PushManifest:
    import psycopg  # only pushes pay for it

    started = time.perf_counter()
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
    tables: list[PushedTable] = []
    steps: list[PushStep] = []
    crosswalks = {e["table"]: e["crosswalk"] for e in manifest.get("entities", [])}
    try:
        duck.execute("ATTACH ? AS target (READ_ONLY)", [str(target)])
        with tempfile.TemporaryDirectory(prefix="ferry-push-") as tmp, pg.transaction():
            for i, statement in enumerate(statements):
                what = f"copy {statement.copy_from}" if statement.copy_from else " ".join(statement.sql.split()[:4])
                report(what, i, len(statements))
                t0 = time.perf_counter()
                if statement.copy_from is None:
                    pg.execute(statement.sql)
                else:
                    loaded_from = crosswalks.get(statement.copy_from)
                    tables.append(PushedTable(statement.copy_from,
                                              _copy(pg, duck, statement, Path(tmp), loaded_from)))
                steps.append(PushStep(statement.entity, what, round(time.perf_counter() - t0, 3)))
    except psycopg.Error as exc:
        raise _fail("F704", f"PostgreSQL refused the load, nothing was changed: {_scrub(first_line(exc), dsn)}", where,
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
        tables=tuple(tables),
        statements=len(statements),
        seconds=round(time.perf_counter() - started, 3),
        steps=tuple(steps),
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
