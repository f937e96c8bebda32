"""One function per command, joining the stages. Tests call these, not the CLI.

    validate: load -> to_spec -> read headers -> check
    compile:  validate -> build_order -> compile_spec -> render -> write (or compare)
    run:      validate (schema only) -> run.execute(generated/<name>/)

``run`` never compiles: it executes what ``generated/`` holds, after checking
that it was compiled from the spec as it is now.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from compiler import filepaths
from compiler.errors import Diagnostic, FerryError, Span, raise_if_any
from compiler.load import load
from compiler.model import Spec

# A command imports the stages it runs inside its function, so that `ferry --help` starts without DuckDB,
# sqlglot or jsonschema, and `ferry validate` without sqlgen, the renderers (jinja2), the runner,
# phonenumbers or email-validator (tests/unit/test_startup.py). The names below are for annotations only.
if TYPE_CHECKING:
    from compiler.validate import Header
    from compiler import diff as diff_module, plan as plan_module
    from compiler.targets import bundles as bundle_module
    from compiler.targets.postgres import push as push_module
    from compiler import rejects as rejects_module, review as review_module, run as run_module
    from compiler.lineage import Lineage
    from compiler.write import WriteResult
    from compiler.profile import model as profile_model


@dataclass(frozen=True, slots=True)
class Options:
    """Everything a command may be told, in one value (the CLI fills it)."""

    out: Path = Path("generated")
    target: Path | None = None  # overrides the spec's target path (run)
    allow_outside: bool = False  # sources and archives may be outside the spec's folder (--allow-outside)


@dataclass(frozen=True, slots=True)
class Compiled:
    spec: Spec
    directory: Path
    files: dict[str, str]


def discover_specs(root: Path = Path("specs")) -> tuple[Path, ...]:
    """Every spec under ``specs/``: YAML files that declare ``version:`` at the top level."""
    found = []
    for path in sorted(root.rglob("*.y*ml")):
        if path.suffix in (".yaml", ".yml") and _looks_like_spec(path):
            found.append(path)
    if not found:
        raise FerryError(Diagnostic("F004", f"no specs found under {root}/", Span(str(root)),
                                    "pass a spec path, e.g. `ferry validate specs/my_migration.yaml`"))
    return tuple(found)


def _looks_like_spec(path: Path) -> bool:
    try:
        head = path.read_text("utf-8", errors="replace")[:4096]
    except OSError:
        return False
    return any(line.startswith("version:") for line in head.splitlines())


def read_headers(spec: Spec) -> dict[str, Header]:
    from compiler import sources

    base = Path(spec.path).parent
    headers: dict[str, Header] = {}
    for source in spec.sources:
        try:
            headers[source.name] = sources.read_header(source, base)
        except FerryError as exc:
            headers[source.name] = exc.diagnostics[0]
    return headers


def load_spec(path: Path) -> Spec:
    """The spec, checked against the schema only (the files it names are not read)."""
    from compiler import validate as validation

    return validation.to_spec(load(path))


def validate_spec(path: Path, options: Options = Options(), *, read_rows: bool = True) -> Spec:
    """Schema, then where the spec's files are (nothing outside the project is read unless allowed),
    then the semantic checks against the files' headers, its decision files, then (``read_rows``) every row of its CSV
    sources, read as a run reads them. compile reads no rows; run and plan read them anyway, and a
    malformed row stops them with the same error (``sources.csvrows``)."""
    from compiler import validate as validation

    spec = load_spec(path)
    raise_if_any(filepaths.check_paths(spec, options.out, options.allow_outside))
    validation.check(spec, read_headers(spec))
    from compiler import decisions

    raise_if_any(decisions.check(spec))  # the pairs a person decided, read whole (dedup.decisions)
    if read_rows:
        from compiler import sources
        from compiler.model import used_columns

        base = Path(spec.path).parent
        raise_if_any(d for s in spec.sources if (d := sources.check_rows(s, base, used_columns(spec, s.name))))
    return spec


def check_engine(spec: Spec, engine: str) -> None:
    """``ferry validate --engine spark``: raw SQL Spark cannot run, at its line (F926), then any construct
    of the compiled steps the Spark engine cannot express (F927). No JVM is started."""
    if engine == "duckdb":
        return
    if engine != "spark":
        raise FerryError(Diagnostic("F928", f"unknown engine '{engine}'", Span(spec.path), "use duckdb or spark"))
    from compiler.engines import spark
    from compiler.engines.spark import checks
    from compiler.order import build_order
    from compiler.sqlgen import compile_spec

    raise_if_any(checks.check(spec))
    _, entries = spark.translate(compile_spec(spec, build_order(spec)))
    if "unsupported" in entries:
        raise FerryError(Diagnostic("F927", f"{spec.name} cannot run on Spark: {entries['unsupported']}",
                                    Span(spec.path), "run this spec with the DuckDB engine (no --engine)"))


def project_relative(path: Path, out: Path) -> str:
    """The spec path as recorded in generated/: relative to the project root (out's parent)."""
    root = out.resolve().parent
    return Path(os.path.relpath(Path(path).resolve(), root)).as_posix()


def compile_files(path: Path, options: Options) -> Compiled:
    from compiler import lineage, lineage_trace
    from compiler.order import build_order
    from compiler.render import render
    from compiler.sqlgen import compile_spec

    spec = validate_spec(path, options, read_rows=False)
    bundle = compile_spec(spec, build_order(spec))
    files = render(bundle, project_relative(path, options.out))
    files[lineage.FILE] = lineage.to_json(lineage_trace.build_lineage(bundle))  # beside the SQL: documentation, not run
    return Compiled(spec, options.out / spec.name, dict(sorted(files.items())))


def _owner(directory: Path) -> str | None:
    """The spec (project-relative path) a compiled folder was compiled from, if it is one."""
    try:
        return json.loads((directory / "manifest.json").read_text("utf-8"))["spec"]["path"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def compile_spec_files(path: Path, options: Options) -> tuple[Compiled, WriteResult]:
    compiled = compile_files(path, options)
    owner, own = _owner(compiled.directory), project_relative(path, options.out)
    if owner is not None and owner != own and (options.out.resolve().parent / owner).is_file():
        # Two specs with one `name:` would take turns overwriting each other's compiled SQL.
        raise FerryError(Diagnostic("F506", f"{compiled.directory} belongs to {owner}, which also has the name "
                                    f"'{compiled.spec.name}'", Span(str(path)),
                                    "give one of the specs another `name:` (the folder in generated/ is named after it)"))
    from compiler.write import write_files

    try:
        return compiled, write_files(compiled.directory, compiled.files)
    except OSError as exc:
        raise FerryError(Diagnostic("F505", f"cannot write {compiled.directory}: {exc.strerror or exc}",
                                    Span(str(compiled.directory)), "check that --out is a writable folder")) from None


def check_compiled(path: Path, options: Options) -> tuple[Compiled, tuple[str, ...]]:
    from compiler.write import stale_files

    compiled = compile_files(path, options)
    return compiled, stale_files(compiled.directory, compiled.files)


def lineage_spec(path: Path, options: Options, selector: str | None = None) -> Lineage:
    """The column lineage `ferry compile` wrote to generated/<name>/lineage.json, of every target field or
    of ``ENTITY`` / ``ENTITY.FIELD``. Read, not compiled (F831 when the spec changed since)."""
    from compiler import lineage_render

    spec = load_spec(path)
    return lineage_render.select(lineage_render.read(spec, options.out / spec.name), selector, str(path))


def target_path(spec: Spec, options: Options) -> Path:
    if options.target is not None:
        return options.target
    return Path(spec.path).parent / spec.target.path


def run_spec(path: Path, options: Options, progress: run_module.Progress | None = None,
             sample: int | None = None, allow_shrink: bool = False, full: bool = False,
             engine: str = "duckdb", master: str | None = None) -> run_module.RunManifest:
    """Execute generated/<name>/ for this spec. The compile manifest pins the spec's hash; the spec is
    validated again here against the files as they are now (an export that lost a column the spec
    reads stops the run before anything changes), as `ferry validate` would."""
    from compiler import run as run_module

    spec = validate_spec(path, options, read_rows=False)
    if engine not in ("duckdb", "spark"):
        raise FerryError(Diagnostic("F928", f"unknown engine '{engine}'", Span(str(path)), "use duckdb or spark"))
    if engine == "spark":  # Spark computes into a run folder, then the DuckDB steps publish it (engines.spark.publish)
        from compiler.engines.spark import publish

        if sample is not None:
            raise FerryError(Diagnostic("F924", "--sample is not supported with --engine spark", Span(str(path)),
                                        "run the pilot with the DuckDB engine"))
        return publish.execute(spec, options.out / spec.name, target_path(spec, options), progress,
                               master=master or publish.DEFAULT_MASTER, allow_shrink=allow_shrink, full=full)
    return run_module.execute(spec, options.out / spec.name, target_path(spec, options), progress, sample=sample,
                              allow_shrink=allow_shrink, full=full)


def push_spec(path: Path, options: Options, progress: push_module.Progress | None = None,
              batch_size: int | None = None) -> push_module.PushManifest:
    """Load the result of `ferry run` (the DuckDB target) into PostgreSQL with generated/<name>/postgres/load.sql,
    in one transaction, or in one per `batch_size` records."""
    from compiler.targets.postgres import push as push_module

    spec = load_spec(path)
    return push_module.push(spec, options.out / spec.name, target_path(spec, options), progress, batch_size)


def bundle_dir(spec_path: Path, kind: str) -> Path:
    """Where `ferry push --to salesforce|hubspot` writes by default: <spec dir>/build/<kind>/."""
    return Path(spec_path).parent / "build" / kind


def export_bundle(path: Path, options: Options, kind: str, out: Path | None = None,
                  batch_size: int | None = None) -> bundle_module.BundleManifest:
    """Write the Salesforce Data Loader or HubSpot import bundle of the run's result into `out`
    (default <spec dir>/build/<kind>/), in files of `batch_size` records (default: the spec's)."""
    from compiler.targets import bundles as bundle_module

    spec = load_spec(path)
    if getattr(spec.target, kind, None) is None:
        raise FerryError(Diagnostic("F740", f"the spec has no target.{kind} section", spec.target.span,
                                    f"add target.{kind} (objects, external_id) to the spec, then `ferry compile` "
                                    "and `ferry run`; see the README's Salesforce and HubSpot bundles"))
    if batch_size is not None and batch_size < 1:
        raise FerryError(Diagnostic("F743", f"--batch-size must be at least 1, not {batch_size}", Span(str(path)),
                                    "10000 is what the Bulk API and HubSpot imports take per batch"))
    return bundle_module.export(spec, options.out / spec.name, target_path(spec, options), kind,
                                out or bundle_dir(path, kind), batch_size)


def profile_files(paths: tuple[Path, ...]) -> profile_model.Profile:
    """`ferry profile`: how to read each file, and what its columns hold (``compiler.profile``)."""
    from compiler.profile import profile

    return profile(paths)


def init_spec(paths: tuple[Path, ...], name: str, out: Path, force: bool = False) -> tuple[Path, profile_model.Profile]:
    """`ferry init`: profile the files and write a starter spec to ``out`` (F805 if it exists, unless ``force``)."""
    from compiler import starter
    from compiler.profile import profile

    if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
        raise FerryError(Diagnostic("F806", f"'{name}' is not a spec name", Span(str(out)),
                                    "use letters, digits and underscores, not starting with a digit"))
    if out.exists() and not force:
        raise FerryError(Diagnostic("F805", f"{out} exists", Span(str(out)),
                                    "choose another --out, or pass --force to replace it"))
    found = profile(paths)
    text = starter.write_spec(found, name, out.parent)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out, found


def export_review(path: Path, options: Options, out: Path, limit: int) -> tuple[review_module.ReviewFile, ...]:
    """Write <out>/<entity>_clusters.csv and <out>/review.md: every duplicate cluster and what it became."""
    from compiler import review as review_module

    spec = load_spec(path)
    return review_module.export(spec, target_path(spec, options), out, limit)


def export_rejects(path: Path, options: Options, out: Path) -> tuple[rejects_module.RejectFile, ...]:
    """Write <out>/<entity>_rejects.csv: each rejected source row as it was, plus its reasons."""
    from compiler import rejects as rejects_module

    spec = load_spec(path)
    raise_if_any(filepaths.check_paths(spec, options.out, options.allow_outside))
    return rejects_module.export(spec, target_path(spec, options), out)


def plan_spec(path: Path, options: Options, sample: int = 5, progress: run_module.Progress | None = None,
              allow_shrink: bool = False, full: bool = False, to: str = "duckdb") -> plan_module.Plan:
    """What `ferry run` would change: run generated/<name>/ on a scratch copy of the target and compare
    the result with the target, which is only read. The spec is validated against the files first, as by run;
    a source that shrank past its shrink_limit stops the plan (F610) as it would stop the run, unless
    ``allow_shrink`` (then the plan shows what `ferry run --allow-shrink` would do). ``to="postgres"``: what the
    run and then `ferry push --to postgres` would change on the server (read in a read-only transaction)."""
    from compiler import plan as plan_module

    spec = validate_spec(path, options, read_rows=False)
    if to not in ("duckdb", "postgres"):
        raise FerryError(Diagnostic("F633", f"ferry plan cannot plan --to {to}", Span(str(path)),
                                    "use --to duckdb (the target file, the default) or --to postgres"))
    if to == "postgres":
        from compiler.targets.postgres import plan as plan_pg

        return plan_pg.build_plan(spec, options.out / spec.name, target_path(spec, options), progress,
                                  allow_shrink, full)
    return plan_module.build_plan(spec, options.out / spec.name, target_path(spec, options), sample, progress,
                                  allow_shrink, full)


def diff_spec(path: Path, options: Options, base: str, with_plan: bool = True,
              allow_shrink: bool = False) -> diff_module.SpecDiff:
    """The spec in the working tree against the same spec at git revision ``base``: semantic changes,
    compiled SQL, and (``with_plan``) both versions run on scratch copies of the target, compared (a source
    that shrank past its shrink_limit stops them with F610, as it would stop the run, unless ``allow_shrink``)."""
    from compiler import diff as diff_module, lineage, plan as plan_module, revision, run as run_module
    from compiler.write import write_files

    head = compile_files(path, options)
    with tempfile.TemporaryDirectory(prefix="ferry-diff-") as tmp:
        work = Path(tmp)
        co = revision.checkout(Path(path), base, work / "base")
        if co.missing:
            raise FerryError(Diagnostic("F813", f"the spec at '{base}' reads files that are neither in git there nor in "
                                        f"the working tree: {', '.join(co.missing)}", Span(str(path)),
                                        "commit the data files, or keep them in the working tree"))
        try:  # the base compiles as if generated/ were at the same place in its checkout: the same headers
            out_rel = options.out.resolve().relative_to(co.root)
        except ValueError:
            out_rel = Path("generated")
        old = compile_files(co.spec, Options(out=work / "base" / out_rel))
        changes = diff_module.spec_changes(old.spec, head.spec)
        touched = diff_module.touched_fields(*(lineage.from_json(c.files[lineage.FILE]) for c in (old, head)))
        files = diff_module.file_diffs(*({n: t for n, t in c.files.items() if n != lineage.FILE} for c in (old, head)))
        kw = {"spec": str(path), "base_rev": base, "base_commit": co.commit, "changes": changes, "files": files,
              "touched": touched}
        if not with_plan:
            return diff_module.SpecDiff(**kw, outcomes=None, note="skipped (--no-plan)")
        runs = []
        for side, compiled in (("base", old), ("head", head)):
            folder = work / "compiled" / side / compiled.spec.name
            write_files(folder, compiled.files)
            manifest, _ = run_module.read_compiled(compiled.spec, folder)
            scratch, run = plan_module.scratch_run(compiled.spec, folder, target_path(head.spec, options), work / side,
                                                   allow_shrink=allow_shrink)
            runs.append((scratch, manifest, run))
        (b_db, b_manifest, b_run), (h_db, h_manifest, h_run) = runs
        records = plan_module.compare(b_db, h_db, h_manifest, h_run, sample=0)
        outcomes = diff_module.outcomes(b_db, h_db, b_manifest, h_manifest, b_run, h_run, records)
        data = f"{len(co.from_git)} base data files from git, {len(co.from_worktree)} from the working tree"
        return diff_module.SpecDiff(**kw, outcomes=outcomes, note=data)
