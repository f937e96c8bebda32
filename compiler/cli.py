"""The ``ferry`` command line: options -> ``api`` -> print -> exit code.

Every command is a few lines. A ``FerryError`` prints one located line per
diagnostic on stderr and exits 1; nothing a user does wrong prints a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Optional

import typer
from rich.console import Console
from typer.core import TyperCommand

from compiler import __version__, api, cli_lineage, cli_profile
from compiler.errors import Diagnostic, FerryError, Span

app = typer.Typer(
    name="ferry",
    help="Compile a YAML migration spec into reviewed, reproducible SQL, and run it.\n\n"
    "Typical flow: `ferry profile FILES` and `ferry init` for a first spec -> `ferry validate SPEC` -> "
    "`ferry compile SPEC` (commit generated/) -> `ferry plan SPEC` -> `ferry run SPEC`.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",  # docstring paragraphs wrap to the terminal, not at their source line breaks
    pretty_exceptions_show_locals=False,  # locals may hold secrets
)
# Piped or logged output (make, CI) is not cut to rich's default 80 columns: tables keep whole names.
out = Console(highlight=False, emoji=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False, emoji=False, width=None if sys.stderr.isatty() else 160)

SpecsArg = Annotated[Optional[list[Path]], typer.Argument(help="Spec files. Default: every spec under specs/.", show_default=False)]
OutOpt = Annotated[Path, typer.Option("--out", help="Folder for compiled output (one subfolder per spec).")]
OutsideOpt = Annotated[bool, typer.Option(
    "--allow-outside", help="Let sources and archives be outside the project (the spec's git repository, else its "
                            "folder; never /proc, /dev, /sys): "
                            "by default any other file is refused (F321), so a spec cannot read, say, a secret.")]
FullOpt = Annotated[bool, typer.Option(
    "--full", help="Replace this spec's records as a first run does, instead of a delta run that keeps the "
                   "target's edits (F620: a target from a ferry that did not record what it wrote).")]
ShrinkOpt = Annotated[bool, typer.Option(
    "--allow-shrink", help="Go on although a source has lost more of its rows since the last run than its "
                           "shrink_limit allows (F610): the export really is smaller.")]


def _print_diagnostics(exc: FerryError) -> None:
    for diagnostic in exc.diagnostics:
        err.print(diagnostic.format(), markup=False, soft_wrap=True)


def _fail(exc: FerryError) -> None:
    _print_diagnostics(exc)
    raise typer.Exit(1)


@contextmanager
def _progress(first: str, prefix: str = "") -> Iterator[Callable[[str, int, int | None], None]]:
    """A transient progress bar on stderr (off when stderr is not a terminal), as the callback a run reports to."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(first, total=None)
        yield lambda what, done, total: bar.update(task, description=prefix + what, completed=done, total=total)


def _specs(specs: list[Path] | None) -> tuple[Path, ...]:
    return tuple(specs) if specs else api.discover_specs()


def _version(value: bool) -> None:
    if value:
        out.print(f"ferry {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """ferry: config-as-code CRM migrations."""


@app.command(rich_help_panel="Write the spec")
def validate(specs: SpecsArg = None, allow_outside: OutsideOpt = False, engine: Annotated[str, typer.Option(
        help="Also check the spec runs on this engine (spark: raw SQL it cannot run, at its line).")] = "duckdb") -> None:
    """Check specs against the schema and the real source files; list every error with file:line:col."""
    failed = False
    try:
        paths = _specs(specs)
    except FerryError as exc:
        _fail(exc)
    for path in paths:
        try:
            spec = api.validate_spec(path, api.Options(allow_outside=allow_outside))
            api.check_engine(spec, engine)
        except FerryError as exc:
            failed = True
            _print_diagnostics(exc)
            continue
        out.print(f"ok: {path} ({len(spec.sources)} sources, {len(spec.entities)} entities)")
    if failed:
        raise typer.Exit(1)


@app.command("compile", rich_help_panel="Write the spec")
def compile_(
    specs: SpecsArg = None,
    out_dir: OutOpt = Path("generated"),
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if generated/ is stale.")] = False,
    allow_outside: OutsideOpt = False,
) -> None:
    """Compile specs to DuckDB SQL in generated/NAME/ and Spark SQL in generated/NAME/spark/ (deterministic: commit, review the diff)."""
    options = api.Options(out=out_dir, allow_outside=allow_outside)
    stale_any = False
    try:
        for path in _specs(specs):
            if check:
                compiled, stale = api.check_compiled(path, options)
                for name in stale:
                    err.print(f"{compiled.directory / name}: error: stale, differs from what {path} compiles to "
                              f"[F504] (hint: run `ferry compile {path}` and commit the result)", markup=False)
                stale_any |= bool(stale)
                if not stale:
                    out.print(f"up to date: {compiled.directory}")
            else:
                compiled, result = api.compile_spec_files(path, options)
                out.print(f"compiled {path} -> {result.directory}: {len(result.written)} written, "
                          f"{len(result.unchanged)} unchanged, {len(result.removed)} removed")
    except FerryError as exc:
        _fail(exc)
    if stale_any:
        raise typer.Exit(1)


@app.command(rich_help_panel="Migrate")
def run(
    spec: Annotated[Path, typer.Argument(help="The spec whose compiled output to run.")],
    out_dir: OutOpt = Path("generated"),
    target: Annotated[Optional[Path], typer.Option(help="DuckDB file to load; overrides the spec's target.path.")] = None,
    sample: Annotated[Optional[int], typer.Option(
        min=1, help="A pilot run: at most N rows per source, picked deterministically (by the hash of the old id), "
                    "with the rows they refer to.")] = None,
    allow_shrink: ShrinkOpt = False,
    allow_outside: OutsideOpt = False,
    full: FullOpt = False,
    engine: Annotated[str, typer.Option(help="Where the steps run: duckdb, or spark (computes into a run "
                                             "folder, then publishes in one DuckDB transaction).")] = "duckdb",
    master: Annotated[Optional[str], typer.Option(help="Spark master (--engine spark): local[2], spark://h:7077, yarn, k8s://"
                      "https://h:6443, or sc://h:15002: a Spark Connect server (pip install 'pyspark[connect]').")] = None,
) -> None:
    """Run generated/NAME/ against the target in one transaction and print the row accounting.

    Every source row ends up loaded, merged into a duplicate, or rejected with its reasons
    (table _ferry.rejects). A run manifest with input hashes and counts is written next to the target.

    Start with `--sample 100` to check a pilot batch in the target; the full run afterwards replaces
    the pilot's records (same ids), so nothing is doubled. A run killed midway leaves the target as
    it was: it is one transaction, and the target records its run manifest (_ferry.runs) in it.

    The spec is validated against the files first. A source that lost more than half of the rows
    of the last run (its `shrink_limit`) stops the run before anything changes, unless
    `--allow-shrink` confirms it.
    """
    options = api.Options(out=out_dir, target=target, allow_outside=allow_outside)
    try:
        with _progress("starting") as report:
            manifest = api.run_spec(spec, options, report, sample=sample, allow_shrink=allow_shrink, full=full,
                                    engine=engine, master=master)
    except FerryError as exc:
        _fail(exc)
    from compiler import run_render

    for renderable in run_render.to_renderables(manifest):
        out.print(renderable)


PUSH_TARGETS = ("postgres", "salesforce", "hubspot")


@app.command(rich_help_panel="Migrate")
def push(
    spec: Annotated[Path, typer.Argument(help="The spec that was run.")],
    to: Annotated[str, typer.Option("--to", help="Where to load: postgres, salesforce or hubspot.")] = "postgres",
    out_dir: OutOpt = Path("generated"),
    target: Annotated[Optional[Path], typer.Option(help="The run's DuckDB file; default: the spec's target.path.")] = None,
    bundle_dir: Annotated[Optional[Path], typer.Option(
        "--bundle-dir", help="salesforce/hubspot: folder for the bundle (replaced whole); default: SPEC_DIR/build/TARGET/.",
        show_default=False)] = None,
    batch_size: Annotated[Optional[int], typer.Option(
        "--batch-size", help="salesforce/hubspot: records per CSV file (default: the spec's batch_size, else 10000). "
        "postgres: records per transaction (default: one transaction).", show_default=False, min=1)] = None,
) -> None:
    """Load the result of `ferry run` into PostgreSQL, or write it as a Salesforce or HubSpot import bundle.

    **postgres**: executes generated/NAME/postgres/load.sql: tables with primary and foreign keys are
    created if missing, records are copied (streamed from the run's DuckDB file) and upserted on their
    ids, so pushing again converges to the same rows. The DSN comes from the environment variable the
    spec names (target.postgres.dsn_env, default FERRY_PG_DSN), never from files. One transaction, or with
    --batch-size N one per N records: a push interrupted anywhere converges when run again.

    **salesforce**: Data Loader CSV files per object in load order, their .sdl mappings and a
    process-conf.xml, upserting on the External ID field (target.salesforce). **hubspot**: import CSV
    files with an import request each (target.hubspot). Both hold only the records the run loaded,
    split at --batch-size records, with a manifest.json of every file's records and sha256.
    """
    if to not in PUSH_TARGETS:
        _fail(FerryError(Diagnostic("F705", f"unknown push target '{to}'", Span(str(spec)),
                                    "use --to postgres, --to salesforce or --to hubspot")))
    options = api.Options(out=out_dir, target=target)
    if to != "postgres":
        try:
            bundle = api.export_bundle(spec, options, to, bundle_dir, batch_size)
        except FerryError as exc:
            _fail(exc)
        for f in bundle.files:
            out.print(f"{f.name}: {f.records} records ({f.object}, {f.phase})", markup=False)
        for line in bundle.formula_warnings():  # one per file: the first formula-like cell and how many
            err.print(line, markup=False, soft_wrap=True)
        totals = ", ".join(f"{entity} {n}" for entity, n in bundle.totals.items())
        out.print(f"wrote the {to} bundle of {bundle.spec} to {bundle.directory}: {len(bundle.files)} files "
                  f"of at most {bundle.batch_size} records; {totals}", markup=False)
        return
    try:
        with _progress("connecting") as report:
            manifest = api.push_spec(spec, options, report, batch_size)
    except FerryError as exc:
        _fail(exc)
    for t in manifest.tables:
        out.print(f"{t.table}: {t.rows} rows copied")
    how = ("in one transaction" if manifest.batch_size is None
           else f"in {manifest.transactions} transactions of at most {manifest.batch_size} records")
    paths = ", ".join(f"{entity} {path}" for entity, path in (manifest.paths or {}).items())
    from compiler.targets.postgres.delta import summary  # duckdb and sqlglot: only pushes pay to import them

    for line in summary(manifest.delta, manifest.target["schema"]):
        out.print(line, markup=False)
    out.print(f"pushed {manifest.spec} to PostgreSQL schema {manifest.target['schema']} "
              f"(${manifest.target['dsn_env']}) {how} ({paths}), {manifest.seconds:.2f}s")


@app.command("rejects", rich_help_panel="After a run")
def rejects_(
    spec: Annotated[Path, typer.Argument(help="The spec that was run.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the CSV files.")] = Path("rejects"),
    target: Annotated[Optional[Path], typer.Option(help="DuckDB file; default: the spec's target.path.")] = None,
    allow_outside: OutsideOpt = False,
) -> None:
    """Export rejected rows as CSV, one file per entity: the original source row plus its reasons
    (like Salesforce Data Loader's error file), for fixing at the source and re-running. Entities
    with `on_error: null` fields also get ENTITY_emptied.csv: the rows loaded with values emptied,
    each with the values and their reasons."""
    try:
        files = api.export_rejects(spec, api.Options(target=target, allow_outside=allow_outside), out_dir)
    except FerryError as exc:
        _fail(exc)
    for f in files:
        out.print(f"{f.path}: {f.rows} rejected rows" if f.kind == "rejects" else
                  f"{f.path}: {f.rows} values emptied (on_error: null)")


@app.command("review", rich_help_panel="After a run")
def review_(
    spec: Annotated[Path, typer.Argument(help="The spec that was run.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the report files.")] = Path("review"),
    target: Annotated[Optional[Path], typer.Option(help="DuckDB file; default: the spec's target.path.")] = None,
    limit: Annotated[int, typer.Option(help="Clusters per entity shown in review.md (the CSV has all).")] = 50,
) -> None:
    """Report every duplicate cluster for review: its members (which rules matched them, who
    survived) and the record they became. Writes ENTITY_clusters.csv and review.md, largest
    clusters first."""
    try:
        files = api.export_review(spec, api.Options(target=target), out_dir, limit)
    except FerryError as exc:
        _fail(exc)
    for f in files:
        out.print(f"{f.path}: {f.summary or f'{f.clusters} clusters, {f.members} records'}")


class _DetailedExitCommand(TyperCommand):
    """A usage mistake exits 1, not click's 2: for `ferry plan`, 2 means "there are changes"."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except Exception as exc:  # click's UsageError and BadParameter, which typer vendors
            if getattr(exc, "exit_code", None) == 2:
                exc.exit_code = 1
            raise


PLAN_FORMATS = ("text", "markdown", "json")


@app.command(cls=_DetailedExitCommand, rich_help_panel="Migrate")
def plan(
    spec: Annotated[Path, typer.Argument(help="The spec whose compiled output to plan.")],
    out_dir: OutOpt = Path("generated"),
    target: Annotated[Optional[Path], typer.Option(help="DuckDB file to compare with; default: the spec's target.path.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="text (terminal), markdown (a pull-request comment) or json "
                                     "(schema: compiler/schema/plan-v1.json).")] = "text",
    sample: Annotated[int, typer.Option(help="Changed records shown per entity and action (insert, update, delete).")] = 5,
    allow_outside: OutsideOpt = False,
    allow_shrink: ShrinkOpt = False,
    full: FullOpt = False,
    to: Annotated[str, typer.Option("--to", help="duckdb (the target file) or postgres (run, then push).")] = "duckdb",
) -> None:
    """Show what `ferry run` would change in the target, without changing it (ferry's `terraform plan`).

    Runs generated/NAME/ on a scratch copy of the target, then compares each entity table with the target:
    records to insert (+), update (~, with old -> new for each changed field), leave unchanged (=) and
    delete (-, records an earlier run inserted that this run no longer produces), plus the rows that
    would be rejected or archived. The target and its run manifest are only read. What stops the run
    stops the plan (a source that shrank past its shrink_limit: F610; `--allow-shrink` previews the confirmed run).

    Exit codes follow `terraform plan -detailed-exitcode`: 0 no changes, 2 changes, 1 error.
    In CI: `ferry plan SPEC --format markdown > plan.md` and post plan.md as a pull-request comment
    (see .github/workflows/ferry-plan.yml).
    """
    if fmt not in PLAN_FORMATS or sample < 0:
        wrong, hint = ((f"unknown format '{fmt}'", "use --format text, markdown or json") if fmt not in PLAN_FORMATS
                       else (f"--sample must be 0 or more, not {sample}", "--sample 0 shows counts only"))
        _fail(FerryError(Diagnostic("F803", wrong, Span(str(spec)), hint)))
    options = api.Options(out=out_dir, target=target, allow_outside=allow_outside)
    try:
        with _progress("starting", "plan: ") as report:
            result = api.plan_spec(spec, options, sample, report, allow_shrink, full, to)
    except FerryError as exc:
        _fail(exc)
    from compiler import plan_render

    if fmt == "json":
        sys.stdout.write(plan_render.to_json(result))
    elif fmt == "markdown":
        sys.stdout.write(plan_render.to_markdown(result))
    else:
        for renderable in plan_render.to_renderables(result):
            out.print(renderable)
    raise typer.Exit(2 if result.has_changes else 0)


@app.command("diff", cls=_DetailedExitCommand, rich_help_panel="Write the spec")
def diff_(
    spec: Annotated[Path, typer.Argument(help="The spec, as it is in the working tree.")],
    base: Annotated[str, typer.Option("--base", help="The git revision to compare with: a branch, tag or commit "
                                      "(in CI: origin/${{ github.base_ref }}).")],
    out_dir: OutOpt = Path("generated"),
    target: Annotated[Optional[Path], typer.Option(help="DuckDB file both versions run against; default: the spec's target.path.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="text or markdown (a pull-request comment).")] = "text",
    plan: Annotated[bool, typer.Option("--plan/--no-plan", help="Also run both versions (on scratch copies of the "
                                       "target) and count the rows whose outcome changes.")] = True,
    allow_shrink: ShrinkOpt = False,
) -> None:
    """Show what a spec change does: compare the spec at a git revision with the working tree.

    Both versions are compiled in memory. Shown: the spec's semantic changes (entities, fields, rules,
    references, dedup, filters added, removed or changed; comments and formatting do not count), a
    unified diff of the compiled SQL, and the plan delta: both versions run on scratch copies of the
    target with the same data (the base's data files from git where they are committed there, else the
    working tree's), how many source rows change outcome per entity, and which records differ.
    Nothing is written to the target, generated/ or git. Exit 0, or 1 on an error.
    """
    if fmt not in ("text", "markdown"):
        _fail(FerryError(Diagnostic("F803", f"unknown format '{fmt}'", Span(str(spec)), "use --format text or markdown")))
    try:
        result = api.diff_spec(spec, api.Options(out=out_dir, target=target), base, with_plan=plan,
                               allow_shrink=allow_shrink)
    except FerryError as exc:
        _fail(exc)
    from compiler import diff as diff_module

    sys.stdout.write(diff_module.to_markdown(result) if fmt == "markdown" else diff_module.to_text(result))


@app.command(rich_help_panel="Write the spec")
def schema() -> None:
    """Print the spec's JSON Schema (for editors: `# yaml-language-server: $schema=...`)."""
    from compiler.validate import schema_text

    sys.stdout.write(schema_text())


app.command("profile", rich_help_panel="Start")(cli_profile.profile)
app.command("init", rich_help_panel="Start")(cli_profile.init)
app.command("lineage", rich_help_panel="Write the spec")(cli_lineage.lineage)

#: `ferry --help` lists the commands in the order a migration uses them (panels in first-use order).
COMMAND_ORDER = ("profile", "init", "validate", "compile", "lineage", "diff", "schema", "plan", "run", "push",
                 "review", "rejects")
app.registered_commands.sort(key=lambda c: COMMAND_ORDER.index(c.name or c.callback.__name__))


def main() -> None:
    app()
