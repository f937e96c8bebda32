"""The runs a target has seen, recorded inside the target: ``_ferry.runs``.

In:  a DuckDB connection inside a run's transaction.
Out: the rows per source of the last full run of a spec (``previous_sources``), and a new record of
this run's manifest (``record``), written in the same transaction as the records it describes.

So the target itself says which run produced it: a run killed just after COMMIT leaves a
``*.run.json`` file from the run before, but never a target without its manifest. Each spec has
its own rows, so two specs loading one target keep separate histories.
"""

from __future__ import annotations

import json

import duckdb
from sqlglot import exp

from compiler.sqlgen import names

_COLUMNS = (("spec", "VARCHAR"), ("started_at", "VARCHAR"), ("sample", "BOOLEAN"), ("manifest", "VARCHAR"))


def _ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(exp.Create(this=exp.Schema(this=names.runs_table(), expressions=[
        exp.ColumnDef(this=names.ident(n), kind=exp.DataType.build(t)) for n, t in _COLUMNS]),
        kind="TABLE", exists=True).sql(dialect="duckdb"))


def previous_sources(con: duckdb.DuckDBPyConnection, spec: str) -> dict[str, int] | None:
    """Rows read per source by this spec's last full (not pilot) run; None before its first."""
    _ensure(con)
    query = (exp.select(names.col("manifest")).from_(names.runs_table())
             .where(exp.and_(exp.EQ(this=names.col("spec"), expression=exp.Literal.string(spec)),
                             exp.not_(names.col("sample"))))
             .order_by(exp.Ordered(this=names.col("started_at"), desc=True)).limit(1))
    row = con.execute(query.sql(dialect="duckdb")).fetchone()
    return None if row is None else {k: int(v) for k, v in json.loads(row[0])["sources"].items()}


def record(con: duckdb.DuckDBPyConnection, spec: str, started_at: str, manifest_json: str) -> None:
    _ensure(con)
    sample = json.loads(manifest_json).get("sample") is not None
    insert = exp.insert(exp.values([tuple(exp.Placeholder() for _ in _COLUMNS)]), names.runs_table(),
                        columns=[names.ident(n) for n, _ in _COLUMNS])
    con.execute(insert.sql(dialect="duckdb"), [spec, started_at, sample, manifest_json])
