"""``ferry plan --to postgres``: what ``ferry run`` then ``ferry push --to postgres`` would change on the server.

In:  the ``Spec``, its compiled folder (the PostgreSQL load script names the schema and the DSN's variable),
the run's DuckDB file. Out: a ``plan.Plan`` whose entities count what the push would insert, update, leave
and delete on the server, with the conflicts (edited on the server, changed in the source) and the gone
records under their policy; ``plan_render`` shows it as for a DuckDB target, and the exit code says whether
anything would change.

How: the run goes to a scratch copy of the DuckDB file (``plan.scratch_run``), then the server's records and
ledger are read in a READ ONLY transaction, which is rolled back, and resolved by ``pgdelta.read``: the same
code the push runs, so the plan is what the push does. Nothing is written to the server nor to the target.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

from compiler import plan as plan_module, run as run_module
from compiler.errors import Diagnostic, FerryError, Span, first_line
from compiler.model import Spec
from compiler.targets.postgres import delta as pgdelta, push as push_module


def connect(spec: Spec, directory: Path) -> Any:
    """A read-only session on the server the push would load (F702 no DSN, F703 unreachable: one line, no secret)."""
    import psycopg

    manifest, _ = push_module.read_script(directory)
    dsn = push_module._dsn(manifest, spec)
    variable = manifest["targets"]["postgres"]["dsn_env"]
    try:
        pg = psycopg.connect(dsn, connect_timeout=10)
    except psycopg.ProgrammingError:
        raise FerryError(Diagnostic("F703", f"${variable} is not a valid PostgreSQL connection string", Span(
            f"${variable}"), "use postgresql://user@host:5432/dbname or 'host=... dbname=...'")) from None
    except psycopg.Error as exc:
        raise FerryError(Diagnostic("F703", f"cannot connect to PostgreSQL: {push_module._scrub(first_line(exc), dsn)}",
                                    Span(f"${variable}"), f"check ${variable} and that the server is up; "
                                    "`ferry plan` without --to postgres plans the DuckDB target")) from None
    pg.read_only = True
    return pg


def build_plan(spec: Spec, directory: Path, target: Path, progress: run_module.Progress | None = None,
               allow_shrink: bool = False, full: bool = False) -> plan_module.Plan:
    import psycopg

    run_module.read_compiled(spec, directory)  # stale or edited output: reported before connecting
    pg = connect(spec, directory)  # before the scratch run: a dead server is reported at once
    schema = spec.target.postgres_schema
    try:
        with tempfile.TemporaryDirectory(prefix="ferry-plan-pg-") as tmp:
            t0 = time.perf_counter()
            scratch, manifest = plan_module.scratch_run(spec, directory, target, Path(tmp), progress, allow_shrink,
                                                        full)
            t1 = time.perf_counter()
            duck = duckdb.connect()
            try:
                plan_module.attach(duck, scratch, pgdelta.CATALOG)
                if progress:
                    progress("reading the PostgreSQL records", 0, len(spec.entities))
                with pg.transaction(force_rollback=True):
                    server = pgdelta.read(pg, duck, spec, Path(tmp), manifest.started_at, lock=False)
                    new = {e.name for e in spec.entities
                           if pgdelta._server_columns(pg, pgdelta.entity_table(spec, e)) is None}
            finally:
                duck.close()
            t2 = time.perf_counter()
    except psycopg.Error as exc:
        raise FerryError(Diagnostic("F632", f"PostgreSQL refused to be read for the plan: {first_line(exc)}",
                                    Span(f"schema {schema}"), "check the DSN's user may read the schema "
                                    f"{schema}; nothing was written")) from None
    finally:
        pg.close()
    counts = {c.entity: c for c in manifest.entities}
    entities = []
    for e in server.entities:
        c, n = counts[e.entity], e.counts
        entities.append(plan_module.EntityPlan(
            entity=e.entity, table=f"{schema}.{spec.target.table_prefix}{spec.entity(e.entity).table}",
            insert=n["insert"], update=n["update"], unchanged=n["unchanged"], delete=n["delete"], untouched=0,
            reject=c.rejected, archive=c.archived, merged=c.merged, linked=c.linked, previous_reject=None,
            previous_archive=None, new_table=e.entity in new, columns_added=(), samples=(), emptied=c.emptied,
            conflicts=tuple(plan_module.Conflict(str(r[3]), r[4], r[5], r[6], r[7], r[8], r[9]) for r in e.conflicts),
            gone=tuple(sorted(n["gone"].items()))))
    return plan_module.Plan(spec={"name": spec.name, "path": spec.path, "sha256": spec.sha256},
                            target=f"postgres schema {schema}", target_exists=len(new) < len(spec.entities),
                            sample=0, entities=tuple(entities), run_seconds=round(t1 - t0, 3),
                            compare_seconds=round(t2 - t1, 3), kind=server.kind)
