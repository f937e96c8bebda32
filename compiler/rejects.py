"""Exporting rejects: a loaded target + the spec -> one CSV per entity, like Data Loader's error file.

In:  the (schema-valid) ``Spec``, the target DuckDB file, an output folder.
Out: ``<entity>_rejects.csv`` files holding each rejected row as it was in the
source file (every column, as text), its row number, and its reasons as one
readable text column; and the number of rows in each.

An I/O edge like ``run``: it re-reads the source files (so a run never pays for
columns it does not use) and reads ``_ferry.rejects`` from the target.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from compiler import sources
from compiler.errors import Diagnostic, FerryError, Span
from compiler.model import Spec
from compiler.sqlgen import names
from compiler.sqlgen.stage import read_source

#: Reasons as text: "rule field=value; rule field=value". A fixed template, no spec values in it.
_REASONS_TEXT = sqlglot.parse_one(
    "array_to_string(list_transform(r.reasons, x -> x.rule || coalesce(' ' || x.field, '') "
    "|| coalesce('=' || x.value, '')), '; ')", read="duckdb")


@dataclass(frozen=True, slots=True)
class RejectFile:
    entity: str
    path: Path
    rows: int


def export(spec: Spec, target: Path, out: Path) -> tuple[RejectFile, ...]:
    if not target.is_file():
        raise FerryError(Diagnostic("F606", f"no target at {target}", Span(str(target)),
                                    f"run `ferry run {spec.path}` first"))
    base = Path(spec.path).parent
    con = duckdb.connect()
    written = []
    try:
        con.execute("ATTACH ? AS target (READ_ONLY)", [str(target)])
        with tempfile.TemporaryDirectory(prefix="ferry-rejects-") as tmp:
            for entity in spec.entities:
                source = spec.source(entity.source)
                prepared = sources.prepare_input(source, base, Path(tmp))
                columns = sources.all_columns(source, prepared.readable)
                variable = exp.to_identifier(names.source_variable(source), quoted=True).sql(dialect="duckdb")
                con.execute(f"SET VARIABLE {variable} = ?", [str(prepared.readable)])
                rows = exp.select(exp.alias_(exp.Window(this=exp.RowNumber(), over="OVER"), "ferry_row", quoted=True),
                                  exp.Star()).from_(exp.Table(this=read_source(source, columns)))
                rejects = names.rejects_table()
                rejects.set("catalog", names.ident("target"))
                query = (exp.select(exp.Column(this=exp.Star(), table=names.ident("s")),
                                    exp.alias_(_REASONS_TEXT.copy(), "ferry_reasons", quoted=True))
                         .from_(rows.subquery("s"))
                         .join(rejects.as_("r"), join_type="INNER",
                               on=exp.EQ(this=names.col("source_row", "r"), expression=names.col("ferry_row", "s")))
                         .where(exp.EQ(this=names.col("entity", "r"), expression=exp.Literal.string(entity.name)))
                         .order_by(names.col("ferry_row", "s")))
                path = out / f"{entity.name}_rejects.csv"
                out.mkdir(parents=True, exist_ok=True)
                partial = path.with_name(f".{path.name}.tmp")
                con.sql(query.sql(dialect="duckdb")).write_csv(str(partial), header=True)
                count = exp.select(exp.Count(this=exp.Star())).from_(rejects.copy()).where(
                    exp.EQ(this=exp.column("entity"), expression=exp.Literal.string(entity.name)))
                os.replace(partial, path)
                written.append(RejectFile(entity.name, path, con.execute(count.sql(dialect="duckdb")).fetchall()[0][0]))
    except duckdb.Error as exc:
        raise FerryError(Diagnostic("F606", f"cannot export rejects: {str(exc).splitlines()[0]}", Span(str(target)),
                                    "is the target from a run of this spec?")) from None
    finally:
        con.close()
    return tuple(written)
