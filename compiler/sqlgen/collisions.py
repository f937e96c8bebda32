"""Two specs inserting the same record: the check that stops a run before it writes one twice.

In:  the ``Spec`` and one ``Entity`` whose working table ``sqlgen.entity`` has built.
Out: ``check``: a query that raises (DuckDB's ``error``) when a record this run would insert has the
id of a record already in the target that this spec did not insert; its message starts with
``MARK`` so the runner can turn it into a located F611 (``compiler.ownership``).

A record's id is the UUIDv5 of the entity, the source's name and the old id (``sqlgen.ids``), so
two specs that load one entity from sources of the same name with overlapping old ids make the
same ids. Inserting would leave two records under one id, and re-running either spec would delete
the other's. The ids a run inserts are known once its rows are checked, merged and matched, so the
check runs there, before the entity's first write; ``ferry plan`` runs the same SQL on a copy of
the target and stops the same way.

Bad::   wave2.yaml loads ``person`` from a source also named ``people``, old ids 2 and 3; wave1's were 1, 2
Good::  ``match: {on: [email]}`` links wave 2's rows to wave 1's records, or the source is ``people_wave2``
"""

from __future__ import annotations

from sqlglot import exp

from compiler.model import Entity, Spec
from compiler.sqlgen import ledgers, names

CODE = "F611"


def mark(entity: str) -> str:
    """How the message starts: ``[F611 person] ``."""
    return f"[{CODE} {entity}] "


def _text(value: str) -> exp.Literal:
    return exp.Literal.string(value)


def _quoted(value: exp.Expression) -> exp.Expression:
    return exp.func("concat", _text("'"), value, _text("'"))


def check(spec: Spec, entity: Entity) -> exp.Select:
    """``SELECT error(...)`` over the colliding ids, when there are any."""
    table = names.entity_table(spec.target, entity)
    not_linked = exp.not_(exp.func("coalesce", names.col("linked", "x"), exp.false()))
    mine = (exp.select(names.col(names.ID)).from_(names.crosswalk_table(entity))
            .where(exp.and_(names.col("status").isin(_text(names.LOADED), _text(names.KEPT)),
                            exp.not_(exp.func("coalesce", names.col("linked"), exp.false())),
                            ledgers.of_spec(spec.name))))
    mine = exp.union(mine, ledgers.written_ids(spec.name, entity), distinct=False)  # kept records too (delta)
    inserted = (exp.select(names.col(names.ID, "r"), exp.alias_(names.col(names.KEY, "r"), "key", quoted=True))
                .from_(names.rows_table(entity).as_("r", quoted=True))
                .where(exp.and_(exp.EQ(this=names.col(names.STATUS, "r"), expression=_text(names.LOADED)),
                                exp.not_(names.col(names.LINKED, "r")),
                                names.col(names.ID, "r").isin(query=exp.select(names.col(names.ID)).from_(table)),
                                exp.not_(names.col(names.ID, "r").isin(query=mine)))))
    # Who has each colliding id: another spec (its crosswalk says it inserted the record), or no spec.
    owner = exp.func("coalesce", exp.func("concat", _text("spec "), _quoted(names.col(ledgers.SPEC, "x"))),
                     _text("another tool (no spec's crosswalk lists them)"))
    collisions = (exp.select(
        exp.alias_(exp.Count(this=exp.Distinct(expressions=[names.col(names.ID, "c")])), "n", quoted=True),
        exp.alias_(exp.Min(this=names.col("key", "c")), "key", quoted=True),
        exp.alias_(exp.func("arg_min", names.col(names.ID, "c"), names.col("key", "c"), dialect="duckdb"), "id",
                   quoted=True),
        exp.alias_(exp.func("array_to_string", exp.func("list_sort", exp.func("list_distinct", exp.func(
            "list", owner))), _text(" and ")), "owners", quoted=True))
        .from_(inserted.subquery(names.ident("c"), copy=False))
        .join(names.crosswalk_table(entity).as_("x", quoted=True), join_type="LEFT", on=exp.and_(
            exp.EQ(this=names.col(names.ID, "x"), expression=names.col(names.ID, "c")),
            exp.EQ(this=names.col("status", "x"), expression=_text(names.LOADED)), not_linked,
            exp.NEQ(this=names.col(ledgers.SPEC, "x"), expression=_text(spec.name)))))
    n = exp.cast(names.col("n"), "VARCHAR")
    message = exp.func(
        "concat", _text(f"{mark(entity.name)}spec '{spec.name}' would insert records into "
                        f"{names.table_name(table)} with the same ids as records of "), names.col("owners"),
        _text(" (colliding ids: "), n, _text(", e.g. old id "), _quoted(names.col("key")),
        _text(f" of source '{entity.source}', id "), exp.cast(names.col(names.ID), "VARCHAR"),
        _text("); nothing was written"))
    return (exp.select(exp.func("error", message)).from_(collisions.subquery(names.ident("k"), copy=False))
            .where(exp.GT(this=names.col("n"), expression=exp.Literal.number(0))))
