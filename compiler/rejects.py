"""Exporting rejects: a loaded target + the spec -> one CSV per entity, like Data Loader's error file.

In:  the (schema-valid) ``Spec``, the target DuckDB file, an output folder.
Out: ``<entity>_rejects.csv`` files holding each rejected row as it was in the
source file (every column, as text), its row number, and its reasons as one
readable text column; and the number of rows in each.

An I/O edge like ``run``: it re-reads the source files (so a run never pays for
columns it does not use) and reads this spec's rows of ``_ferry.rejects`` from the target.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
from sqlglot import exp

from compiler import sources
from compiler.errors import Diagnostic, FerryError, Span
from compiler.model import Spec
from compiler.sqlgen import cells, ledgers, names
from compiler.sqlgen.conditions import reasons_text
from compiler.sqlgen.stage import read_source



@dataclass(frozen=True, slots=True)
class RejectFile:
    entity: str
    path: Path
    rows: int
    kind: str = "rejects"  # or "emptied": rows loaded with values ``on_error: null`` emptied


def _entity_rows(spec: Spec, table: exp.Table, entity: str, text: exp.Expression, label: str,
                 extra: tuple[exp.Expression, ...] = (), source: str | None = None) -> tuple[exp.Select, exp.Select]:
    """The source rows (alias ``s``) listed in ``table`` for ``entity`` by this spec's run, with ``text``
    as column ``label``; and how many rows of ``table`` the entity has (``source``: of that source only,
    for an entity with several)."""
    table.set("catalog", names.ident("target"))
    of_entity = exp.and_(exp.EQ(this=names.col("entity", "r"), expression=exp.Literal.string(entity)),
                         ledgers.of_spec(spec.name, "r"),
                         *([exp.EQ(this=names.col("source", "r"), expression=exp.Literal.string(source))]
                           if source is not None else []))
    per_row = (exp.select(names.col("source_row", "r"), *extra, exp.alias_(text, label, quoted=True))
               .from_(table.as_("r", quoted=True)).where(of_entity))
    if extra:  # several ledger rows per source row: one line each
        per_row = per_row.group_by(names.col("source_row", "r"), *(e.unalias().copy() for e in extra))
    count = exp.select(exp.Count(this=exp.Star())).from_(table.copy().as_("r", quoted=True)).where(of_entity.copy())
    return per_row, count


def _ledgers(spec: Spec, entity_name: str, source: str | None = None) -> list[tuple[str, exp.Select, exp.Select]]:
    entity = spec.entity(entity_name)
    reasons = _entity_rows(spec, names.rejects_table(), entity_name, reasons_text(names.col("reasons", "r")),
                           "ferry_reasons", source=source)
    out = [("rejects", *reasons)]
    if any(f.on_error == "null" for f in entity.fields):
        item = exp.Struct(expressions=[
            exp.PropertyEQ(this=names.ident(k), expression=names.col(k, "r")) for k in ("rule", "field", "value")]
            + [exp.PropertyEQ(this=names.ident("detail"), expression=exp.cast(exp.null(), "VARCHAR"))])
        text = reasons_text(exp.ArrayAgg(this=exp.Order(this=item, expressions=[exp.Ordered(this=names.col("field", "r"))])))
        out.append(("emptied", *_entity_rows(spec, names.emptied_table(), entity_name, text, "ferry_emptied",
                                            (exp.alias_(names.col("status", "r"), "ferry_status", quoted=True),), source)))
    return out


def export(spec: Spec, target: Path, out: Path) -> tuple[RejectFile, ...]:
    """``<entity>_rejects.csv`` for every entity, and ``<entity>_emptied.csv`` for entities with
    ``on_error: null`` fields (the rows whose values were emptied, with the values and reasons)."""
    if not target.is_file():
        raise FerryError(Diagnostic("F606", f"no target at {target}", Span(str(target)),
                                    f"run `ferry run {spec.path}` first"))
    base = Path(spec.path).parent
    con = duckdb.connect()
    written = []
    try:
        con.execute("ATTACH ? AS target (READ_ONLY)", [str(target)])
        with tempfile.TemporaryDirectory(prefix="ferry-rejects-") as tmp:
            for entity, source_name in ((e, s) for e in spec.entities for s in e.source_names):
                # An entity with several sources: one file per source (their columns differ).
                stem = f"{entity.name}_{source_name}" if entity.multi else entity.name
                source = spec.source(source_name)
                prepared = sources.prepare_input(source, base, Path(tmp))
                columns = prepared.columns or sources.all_columns(source, prepared.readable)
                sources.bind(con, source, prepared)
                rows = exp.select(exp.alias_(exp.Window(this=exp.RowNumber(), over="OVER"), "ferry_row", quoted=True),
                                  exp.Star()).from_(exp.Table(this=read_source(source, columns)))
                for kind, per_row, count in _ledgers(spec, entity.name, source_name if entity.multi else None):
                    listed = [c for c in per_row.named_selects if c != "source_row"]
                    query = (exp.select(names.col("ferry_row", "s"), *(names.col(c, "s") for c in columns),
                                        *(names.col(c, "r") for c in listed))
                             .from_(rows.subquery("s"))
                             .join(per_row.subquery("r"), join_type="INNER",
                                   on=exp.EQ(this=names.col("source_row", "r"), expression=names.col("ferry_row", "s")))
                             .order_by(names.col("ferry_row", "s")))
                    path = out / f"{stem}_{kind}.csv"
                    out.mkdir(parents=True, exist_ok=True)
                    partial = path.with_name(f".{path.name}.tmp")
                    # Opened in spreadsheets: a value that would run as a formula is escaped (sqlgen.cells).
                    query = cells.escaped(query, ["ferry_row", *columns, *listed])
                    con.sql(query.sql(dialect="duckdb")).write_csv(str(partial), header=True)
                    os.replace(partial, path)
                    total = con.execute(count.sql(dialect="duckdb")).fetchall()[0][0]
                    written.append(RejectFile(entity.name, path, total, kind))
    except duckdb.Error as exc:
        raise FerryError(Diagnostic("F606", f"cannot export rejects: {str(exc).splitlines()[0]}", Span(str(target)),
                                    "is the target from a run of this spec?")) from None
    finally:
        con.close()
    return tuple(written)
