"""Which records a delta push must look at: the few whose values moved on either side, found where the data are.

In:  a psycopg connection (the push's transaction, or a plan's read-only one), a DuckDB connection with the
run's file attached as ``target``, the ``Spec`` and an ``Entity`` pushed as a delta.
Out: ``scope`` -> ``Scope``: the ids the delta must read back and resolve (``ids``), and how many records it can
leave alone (``same``), or ``None`` when the fast path does not apply (then ``targets.postgres.delta`` reads every
record, as before). An I/O edge: reads only.

A record is left alone when nothing moved: the server's record equals the ledger's row (T = W: compared on the
server, which holds both; only the ids that differ cross the wire) and the export's values equal the ledger's
(C = W: the ledger keeps a hash of the values ferry wrote, ``_ferry_hash``, computed by DuckDB like the hash of
C here; only ``(id, hash)`` of the ledger is read). Every other record (new, gone, edited on the server, deleted
there, changed in the source, or with a ledger row from before the hash) is read back and resolved by the same
trees as before, so the outcome is the same as resolving every record. A record is treated as unchanged only
when both tests say so: the server's test is exact; the hash's is 63 bits wide.

The fast path stands aside (``None``) when a column is missing on the server's table or ledger (a field added
since the last push: every record gains a value), or when more than ``LIMIT`` of the ledger's records (or
``MOST``) moved: reading them all then costs less than naming them.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from compiler.sqlgen import delta as sql
from compiler.sqlgen import names

_PG, _D = "postgres", "duckdb"
HASH = "_ferry_hash"
LIMIT = 0.25  # above this share of moved records, naming them costs more than reading them all
MOST = 100_000  # and above this many: the ids are named in the statements' text (37 bytes each)


@dataclass(frozen=True, slots=True)
class Scope:
    ids: tuple[str, ...]  # the records to read back and resolve (uuid text, sorted)
    same: int  # records left alone: in the ledger, unchanged on the server and in the export
    table: exp.Table  # the same ids, in a DuckDB table

    def selects(self) -> exp.Select:
        return exp.select(names.col(names.ID)).from_(self.table.copy())


def empty(duck: duckdb.DuckDBPyConnection, table: exp.Table, columns: list[tuple[str, str]]) -> None:
    """An empty DuckDB table with these (name, type) columns, in place of one a skipped query would have made."""
    duck.execute(exp.Create(this=exp.Schema(this=table.copy(), expressions=[
        exp.ColumnDef(this=names.ident(n), kind=exp.DataType.build(t, dialect=_D)) for n, t in columns]),
        kind="TABLE", replace=True).sql(dialect=_D))


def row_hash(columns: list[exp.Expression]) -> exp.Expression:
    """The ledger's hash of a record's values: DuckDB's ``hash`` over them, shifted into a signed BIGINT."""
    if not columns:
        return exp.cast(exp.Literal.number(0), "BIGINT")
    return exp.cast(exp.BitwiseRightShift(this=exp.func("hash", *columns), expression=exp.Literal.number(1)), "BIGINT")


def id_filter(ids: tuple[str, ...]) -> exp.Expression:
    """``id`` among ``ids`` (few: ``LIMIT`` keeps the list short), for the server."""
    if not ids:
        return exp.false()
    return exp.EQ(this=names.col(names.ID), expression=exp.Any(this=exp.Paren(this=exp.cast(
        exp.Literal.string("{" + ",".join(ids) + "}"), exp.DataType.build("UUID[]", dialect=_PG)))))


def _fetch(pg: Any, query: exp.Select, path: Path) -> bool:
    """The rows of ``query`` (uuid ``id``, then an optional BIGINT) into a CSV file. A COPY TO would send one
    message per row, each a round of Python on this side (most of the time at 300k rows): the server joins
    them into one text per leading hex digit of the id instead (16 messages, each far below 1 GB)."""
    values = [exp.cast(names.col(names.ID, "q"), "TEXT")]
    if len(query.selects) > 1:
        values.append(exp.func("coalesce", exp.cast(names.col(HASH, "q"), "TEXT"), exp.Literal.string("")))
    line = values[0] if len(values) == 1 else exp.DPipe(this=exp.DPipe(this=values[0], expression=exp.Literal.string(",")),
                                                        expression=values[1])
    joined = (exp.select(exp.GroupConcat(this=line, separator=exp.Literal.string("\n")))
              .from_(query.subquery(names.ident("q")))
              .group_by(exp.func("left", exp.cast(names.col(names.ID, "q"), "TEXT"), exp.Literal.number(1))))
    with path.open("w", encoding="utf-8") as fh:
        for (part,) in pg.execute(joined.sql(dialect=_PG)):
            fh.write(part)
            fh.write("\n")
    return path.stat().st_size > 0


def _load(duck: duckdb.DuckDBPyConnection, into: str, columns: str, path: Path, present: bool) -> None:
    duck.execute(f"CREATE OR REPLACE TABLE {into} ({columns})")
    if present:
        duck.execute(f"COPY {into} FROM '{path}' (FORMAT csv, HEADER false)")
    path.unlink(missing_ok=True)


def scope(pg: Any, duck: duckdb.DuckDBPyConnection, spec_name: str, columns: tuple[str, ...], table: exp.Table,
          ledger: exp.Table, computed: exp.Table, computed_ids: exp.Select, server_columns: Any,
          tmp: Path, key: str) -> Scope | None:
    """The ids a delta push must resolve (see the module docstring); ``None``: resolve every record."""
    have_t, have_w = server_columns(pg, table), server_columns(pg, ledger)
    if have_t is None or have_w is None or HASH not in have_w or not set(columns) <= set(have_t) & set(have_w):
        return None
    mine = sql.of_owner(spec_name)
    # T != W, or the record deleted on the server: compared on the server, only the ids come back.
    w_cols = [names.col(c, "w") for c in columns]
    t_cols = [names.col(c, "t") for c in columns]
    moved = exp.Is(this=names.col(names.ID, "t"), expression=exp.null())
    if columns:
        moved = exp.or_(moved, exp.NullSafeNEQ(this=exp.Tuple(expressions=t_cols), expression=exp.Tuple(expressions=w_cols)))
    edited = (exp.select(names.col(names.ID, "w")).from_(ledger.copy().as_("w", quoted=True))
              .join(table.copy().as_("t", quoted=True), join_type="LEFT",
                    on=exp.EQ(this=names.col(names.ID, "t"), expression=names.col(names.ID, "w")))
              .where(exp.and_(sql.of_owner(spec_name, "w"), moved)))
    e_name, w_name = f"_ferry_pg_edited_{key}", f"_ferry_pg_hashes_{key}"
    _load(duck, e_name, "id UUID", tmp / f"{e_name}.csv", _fetch(pg, edited, tmp / f"{e_name}.csv"))
    hashes = exp.select(names.col(names.ID), names.col(HASH)).from_(ledger.copy()).where(mine)
    _load(duck, w_name, "id UUID, h BIGINT", tmp / f"{w_name}.csv", _fetch(pg, hashes, tmp / f"{w_name}.csv"))
    c_hash = row_hash([names.col(c) for c in columns])
    c_rows = (exp.select(names.col(names.ID), exp.alias_(c_hash, "h")).from_(computed.copy())
              .where(sql.in_query(names.col(names.ID), computed_ids)))
    # New (not in the ledger), gone (not computed), changed in the export (hash differs, or none), or edited.
    local = names.table(f"_ferry_pg_scope_{key}")
    duck.execute(f"CREATE OR REPLACE TABLE {local.sql(dialect=_D)} AS WITH c AS ({c_rows.sql(dialect=_D)}) "
                 f"SELECT coalesce(c.id, w.id) AS id FROM c FULL JOIN {w_name} AS w ON w.id = c.id "
                 "WHERE c.id IS NULL OR w.id IS NULL OR w.h IS DISTINCT FROM c.h "
                 f"UNION SELECT id FROM {e_name} ORDER BY 1")
    total = duck.execute(f"SELECT count(*) FROM {w_name}").fetchone()[0]
    duck.execute(f"DROP TABLE {e_name}")
    duck.execute(f"DROP TABLE {w_name}")
    ids = tuple(str(r[0]) for r in duck.execute(f"SELECT id FROM {local.sql(dialect=_D)} ORDER BY id").fetchall())
    if len(ids) > max(1000, min(LIMIT * total, MOST)):
        return None
    in_scope = sql.in_query(names.col(names.ID), exp.select(names.col(names.ID)).from_(local.copy()))
    same = duck.execute(exp.select(exp.Count(this=exp.Star())).from_(computed_ids.subquery("x")).where(
        exp.not_(in_scope)).sql(dialect=_D)).fetchone()[0]
    return Scope(ids, same, local)


def _crosswalk_digest(columns: tuple[str, ...], spec_name: str, table: exp.Table, dialect: str) -> str:
    """count(*) and the sum of 60 bits of each row's md5 over its text (NULL as \x1e, fields apart by \x1f): the
    same numbers from PostgreSQL and DuckDB for the same rows (uuid, text and boolean print alike in both)."""
    text = exp.func("concat", *[part for i, c in enumerate(columns) for part in (
        *([exp.Literal.string("\x1f")] if i else []),
        exp.func("coalesce", exp.cast(names.col(c), "TEXT"), exp.Literal.string("\x1e")))])
    prefix = exp.Substring(this=exp.MD5(this=text), start=exp.Literal.number(1), length=exp.Literal.number(15))
    if dialect == _PG:  # 'x' + 15 hex digits -> bit(60) -> bigint
        number = exp.cast(exp.cast(exp.DPipe(this=exp.Literal.string("x"), expression=prefix), "BIT(60)"), "BIGINT")
    else:  # '0x' + 15 hex digits -> BIGINT
        number = exp.cast(exp.DPipe(this=exp.Literal.string("0x"), expression=prefix), "BIGINT")
    query = (exp.select(exp.Count(this=exp.Star()), exp.func("coalesce", exp.cast(exp.Sum(this=number), "TEXT"),
                                                              exp.Literal.string("0")))
             .from_(table.copy()).where(exp.EQ(this=names.col("spec"), expression=exp.Literal.string(spec_name))))
    return query.sql(dialect=dialect)


def same_crosswalk(pg: Any, duck: duckdb.DuckDBPyConnection, spec_name: str, server: exp.Table, local: exp.Table,
                   server_columns: Any, columns: tuple[str, ...] = ("source", "source_key", "id", "status", "linked")
                   ) -> bool:
    """Whether the server's crosswalk rows of the spec are the run's (then a push with no record moving need not
    replace them): compared by count and a sum of row digests, computed on each side; only two numbers cross."""
    if not set(columns) <= set(server_columns(pg, server) or ()):
        return False
    with ThreadPoolExecutor(1) as pool:  # both sides at once (each releases the GIL while it works)
        mine = pool.submit(lambda: duck.cursor().execute(_crosswalk_digest(columns, spec_name, local, _D)).fetchone())
        there = pg.execute(_crosswalk_digest(columns, spec_name, server, _PG)).fetchone()
        here = mine.result()
    return (int(there[0]), str(there[1])) == (int(here[0]), str(here[1]))
