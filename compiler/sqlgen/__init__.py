"""SQL generation: ``Spec`` + ``LoadOrder`` -> ``Bundle`` of sqlglot trees.

In:  a validated ``Spec`` and its ``LoadOrder``.
Out: ``Bundle``: numbered ``SqlFile`` values (one per load step, plus a
prelude), each a tuple of sqlglot expressions. Nothing here produces text:
``render`` turns trees into SQL for a target, once.

Spec values reach SQL only as sqlglot identifiers (``quoted=True``) and
literals, never through string formatting. The escape hatches (field ``sql``,
``checks``, ``filter.keep``, fuzzy ``block`` keys) are parsed with ``parse_one``
after ``validate`` has checked each is one scalar expression over known names.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from compiler.model import Spec, used_columns  # noqa: F401  (used_columns: callers import it from here too)
from compiler.order import LinkStep, LoadOrder, LoadStep, StageStep, Step

# The stages' modules are imported where a spec is compiled, not with the package: validate and
# run read sources through ``sqlgen.stage`` and ``sqlgen.names`` only, and importing the package
# for them should not cost the ~0.1 s of every entity, dedup and load module.

__all__ = ["Bundle", "SqlFile", "compile_spec", "used_columns"]


@dataclass(frozen=True, slots=True)
class SqlFile:
    name: str  # e.g. "020_company.sql"
    title: str  # one line saying what the step does
    step: Step | None
    statements: tuple[exp.Expression, ...]


@dataclass(frozen=True, slots=True)
class Bundle:
    spec: Spec
    order: LoadOrder
    files: tuple[SqlFile, ...]


def compile_prelude(spec: Spec) -> tuple[exp.Expression, ...]:
    """ferry's bookkeeping tables, cleared of this spec's rows so a rerun starts from the same state
    (other specs' rows stay: ``sqlgen.ledgers``), the ``_ferry.fold`` macros when a fuzzy rule needs
    it, and the target tables, created if missing (they keep other tools' records between runs)."""
    from compiler.sqlgen import fold, ledgers, names
    from compiler.sqlgen.load import compile_tables

    schemas = sorted({names.INTERNAL_SCHEMA, spec.target.schema})
    statements: list[exp.Expression] = [
        exp.Create(this=exp.Table(this=names.ident(s)), kind="SCHEMA", exists=True) for s in schemas
    ]
    statements.extend(ledgers.prepare(spec.name))
    if any(e.dedup is not None and (e.dedup.fuzzy or e.dedup.model) for e in spec.entities):
        statements.extend(fold.compile_macros())  # what fuzzy rules and models compare (sqlgen.similarity)
    return (*statements, *compile_tables(spec))


def _compile_step(spec: Spec, step: Step) -> tuple[str, str, tuple[exp.Expression, ...]]:
    from compiler.sqlgen.load import compile_link, compile_load
    from compiler.sqlgen.stage import compile_stage

    match step:
        case StageStep(source=name):
            source = spec.source(name)
            readers = sum(1 for e in spec.entities if name in e.source_names)
            return (f"stage_{name}", f"read source '{name}' ({source.path})",
                    compile_stage(source, used_columns(spec, name), readers))
        case LoadStep(entity=name):
            return (name, f"map, check, merge and load entity '{name}'", compile_load(spec, spec.entity(name)))
        case LinkStep(entity=name, references=refs):
            return (f"{name}_links", f"second pass: set deferred references {', '.join(refs)} of '{name}'",
                    compile_link(spec, spec.entity(name), refs))
    raise TypeError(f"unhandled step {step!r}")  # pragma: no cover - the match above is exhaustive


def compile_spec(spec: Spec, order: LoadOrder) -> Bundle:
    files = [SqlFile("000_prelude.sql", "prepare ferry's bookkeeping tables", None, compile_prelude(spec))]
    for number, step in enumerate(order.steps, start=1):
        stem, title, statements = _compile_step(spec, step)
        files.append(SqlFile(f"{number * 10:03d}_{stem}.sql", title, step, statements))
    return Bundle(spec, order, tuple(files))
