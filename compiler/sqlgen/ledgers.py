"""ferry's bookkeeping tables in the target, shared by every spec that loads into it.

In:  the spec's name.
Out: ``prepare``: the statements that ready each ledger (rejects, unresolved references,
emptied values, dedup statistics, match models) for a run; ``insert``: a write of rows tagged with the spec;
``own_crosswalk``: an entity's crosswalk rows that this spec wrote; ``replace_own``: this spec's
rows of an entity's archive or duplicates table, whose columns are the entity's fields.

Several specs may load into one target (waves of one migration, a second source of the same
entity). Every bookkeeping row carries the name of the spec whose run wrote it (``spec``), and
a run replaces only its own spec's rows: one spec's run never wipes another's rejects or
crosswalk. A table left by a ferry from before this column gets it; its rows (which have no
spec) are adopted by the spec that runs first, as before this change a target could only be
shared by accident.

An entity's archive and duplicates tables hold its fields as columns, and a field may be named
``spec``: there the column is ``_ferry_spec`` (``OWNER``; no field may start with ``_ferry``).
Two specs (or two versions of one) may give the entity other fields or references: the table
gets every column either needs (a reference as a field of the ``old_references`` STRUCT), and
each spec's rows leave the others' columns empty.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from sqlglot import exp

from compiler.sqlgen import names

SPEC = "spec"  # bookkeeping column: the ``name:`` of the spec whose run wrote the row
OWNER = "_ferry_spec"  # the same, in tables whose other columns are an entity's fields

REASON_TYPE = exp.DataType.build(
    'STRUCT(rule VARCHAR, field VARCHAR, "column" VARCHAR, value VARCHAR, detail VARCHAR)[]', dialect="duckdb")

_TEXT, _NUMBER = "VARCHAR", "BIGINT"
_ROW = (("entity", _TEXT), ("source", _TEXT), ("source_row", _NUMBER), ("source_key", _TEXT))

#: ledger table -> its columns (before ``spec``, which comes last in every one).
LEDGERS: tuple[tuple[exp.Table, tuple[tuple[str, str | exp.DataType], ...]], ...] = (
    (names.rejects_table(), (*_ROW, ("reasons", REASON_TYPE))),
    (names.unresolved_table(), (*_ROW, ("reference", _TEXT), ("column", _TEXT), ("value", _TEXT),
                                ("referenced_entity", _TEXT), ("status", _TEXT), ("cause", _TEXT),
                                ("detail", _TEXT))),
    (names.emptied_table(), (*_ROW, ("status", _TEXT), ("field", _TEXT), ("rule", _TEXT), ("column", _TEXT),
                             ("value", _TEXT))),
    (names.dedup_stats_table(), (("entity", _TEXT), ("rule", _TEXT), ("pairs_compared", _NUMBER),
                                 ("pairs_matched", _NUMBER), ("rows_in_skipped_blocks", _NUMBER))),
    (names.dedup_model_table(), (("entity", _TEXT), ("comparison", _TEXT), ("number", _NUMBER), ("level", _TEXT),
                                 ("m", "DOUBLE"), ("u", "DOUBLE"), ("weight", "DOUBLE"), ("pairs", _NUMBER),
                                 ("iterations", _NUMBER), ("expected", "DOUBLE"), ("records", _NUMBER))),
)


def _kind(type_: str | exp.DataType) -> exp.DataType:
    return type_.copy() if isinstance(type_, exp.DataType) else exp.DataType.build(type_)


def of_spec(spec: str, table: str | None = None) -> exp.Expression:
    """The row was written by ``spec``'s run."""
    return exp.EQ(this=names.col(SPEC, table), expression=exp.Literal.string(spec))


#: The written ledger's bookkeeping columns (``names.written_table``), before the entity's id and columns.
WRITTEN_LEAD = ((OWNER, "VARCHAR"), ("_ferry_run", "VARCHAR"), ("_ferry_hash", "UBIGINT"))  # UBIGINT: built with the duckdb dialect


def written_ids(spec: str, entity: object) -> exp.Select:
    """Ids of the records ``spec`` wrote and still answers for, as its written ledger lists them (a record
    gone from the export and kept is no longer in the crosswalk, but is still this spec's)."""
    return (exp.select(names.col("id")).from_(names.written_table(entity))
            .where(exp.EQ(this=names.col(OWNER), expression=exp.Literal.string(spec))))


def _columns(table: exp.Table) -> tuple[str, ...]:
    return next(tuple(n for n, _ in cols) for t, cols in LEDGERS if t == table)


def prepare(spec: str) -> tuple[exp.Expression, ...]:
    """Each ledger created if missing (with any column an older one lacks), and cleared of this
    spec's rows and of rows without a spec; other specs' rows stay."""
    out: list[exp.Expression] = []
    for table, columns in LEDGERS:
        every = (*columns, (SPEC, _TEXT))
        out.append(exp.Create(this=exp.Schema(this=table.copy(), expressions=[
            exp.ColumnDef(this=names.ident(n), kind=_kind(t)) for n, t in every]), kind="TABLE", exists=True))
        out += [exp.Alter(this=table.copy(), kind="TABLE", actions=[exp.ColumnDef(
            this=names.ident(n), kind=_kind(t), exists=True)]) for n, t in every]
        out.append(exp.delete(table.copy(), where=exp.or_(of_spec(spec), exp.Is(this=names.col(SPEC),
                                                                                   expression=exp.null()))))
    return tuple(out)


def insert(table: exp.Table, rows: exp.Expression, spec: str) -> exp.Insert:
    """``INSERT INTO table (its columns, spec)``: ``rows`` (in the ledger's column order) tagged with ``spec``.
    ``rows`` is taken, not copied: a query built for this insert (the callers' are), read by nothing else."""
    tag = exp.alias_(exp.Literal.string(spec), SPEC, quoted=True)
    if isinstance(rows, exp.Select):
        tagged = rows.select(tag, copy=False)
    else:  # a UNION: tagged as a whole
        tagged = exp.select(exp.Star(), tag).from_(exp.Subquery(this=rows, alias=exp.TableAlias(
            this=names.ident("u"))), copy=False)
    return exp.insert(tagged, table.copy(), columns=[names.ident(n) for n in (*_columns(table), SPEC)], copy=False)


def own_crosswalk(spec: str, entity: str, alias: str, by_source: bool = False) -> exp.Subquery:
    """The rows of ``entity``'s crosswalk that ``spec`` wrote: each spec resolves its own old ids
    (``by_source``: with their source, for an entity with several)."""
    rows = (exp.select(*([names.col("source")] if by_source else []), names.col("source_key"), names.col(names.ID))
            .from_(names.crosswalk_table(entity)).where(of_spec(spec)))
    return rows.subquery(names.ident(alias), copy=False)


def unique_names(columns: Iterable[str]) -> tuple[str, ...]:
    """Column names as DuckDB's ``CREATE TABLE AS`` gives them: a name already taken (ignoring case)
    becomes ``name_1``, ``name_2``... (an archived field named ``source`` is ``source_1``)."""
    seen: set[str] = set()
    out = []
    for name in columns:
        unique, n = name, 0
        while unique.lower() in seen:
            n += 1
            unique = f"{name}_{n}"
        seen.add(unique.lower())
        out.append(unique)
    return tuple(out)


def replace_own(table: exp.Table, columns: Sequence[tuple[str, exp.DataType]], rows: exp.Expression,
                spec: str) -> tuple[exp.Expression, ...]:
    """``table`` (shared by every spec, its columns in ``columns``' order) created if missing, given
    any column or STRUCT field it lacks, cleared of this spec's rows (and of rows from before
    ``OWNER``: an older ferry's table, adopted), then given ``rows`` (in ``columns``' order) tagged
    with ``spec``. Other specs' rows stay."""
    every = (*columns, (OWNER, exp.DataType.build("VARCHAR")))
    out: list[exp.Expression] = [exp.Create(this=exp.Schema(this=table.copy(), expressions=[
        exp.ColumnDef(this=names.ident(n), kind=t.copy()) for n, t in every]), kind="TABLE", exists=True)]
    for n, t in every:
        out.append(_add_column(table, names.ident(n), t))
        if t.is_type(exp.DataType.Type.STRUCT):  # a reference this table has not seen yet
            out += [_add_column(table, exp.Column(this=f.this.copy(), table=names.ident(n)), f.args["kind"])
                    for f in t.expressions]
    owner = names.col(OWNER)
    out.append(exp.delete(table.copy(), where=exp.or_(exp.EQ(this=owner, expression=exp.Literal.string(spec)),
                                                      exp.Is(this=owner.copy(), expression=exp.null()))))
    tagged = exp.select(exp.Star(), exp.alias_(exp.Literal.string(spec), OWNER, quoted=True)).from_(
        rows.subquery(names.ident("o")))
    out.append(exp.insert(tagged, table.copy(), columns=[names.ident(n) for n, _ in every]))
    return tuple(out)


def _add_column(table: exp.Table, column: exp.Expression, kind: exp.DataType) -> exp.Alter:
    return exp.Alter(this=table.copy(), kind="TABLE", actions=[exp.ColumnDef(this=column, kind=kind.copy(),
                                                                             exists=True)])


def of_owner(spec: str, table: str | None = None) -> exp.Expression:
    """The row of an archive or duplicates table was written by ``spec``'s run."""
    return exp.EQ(this=names.col(OWNER, table), expression=exp.Literal.string(spec))
