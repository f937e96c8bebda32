"""Binding a spec's SQL in DuckDB at validate time, so it cannot fail or surprise at run time.

In:  an expression's text (a check, a filter, a block key, a field's ``sql``) and the columns it
may read, each with the DuckDB type it has when the run evaluates it.
Out: ``Bound``: the problem DuckDB finds (an unknown function, a type error) or the expression's
result type; and whether it calls a volatile function (``random()``, ``nextval``, ``uuid()``), which
would make the same inputs give a different target, and ``ferry plan`` a different answer each time.

Nothing is read: the expression is bound against, and evaluated on, two rows of typed values
made up here (no volatile function is ever run: those are refused before binding).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import duckdb
import sqlglot
from sqlglot import exp

from compiler import memdb

#: The type a field has where checks, filters and block keys read it (after its cast). Decimals
#: bind as a wide decimal: precision does not change which expressions are valid.
FIELD_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "decimal": "DECIMAL(38, 10)",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "boolean": "BOOLEAN",
}


#: Ordinary values of the non-text types, for the second evaluation.
_SAMPLES: dict[str, str] = {"BIGINT": "1", "DECIMAL(38, 10)": "1.5", "DATE": "2000-01-01",
                            "TIMESTAMP": "2000-01-01 00:00:00", "BOOLEAN": "true"}


@dataclass(frozen=True, slots=True)
class Bound:
    problem: str | None  # DuckDB's first line, when it cannot bind the expression
    type: str | None  # the result type, when it can
    volatile: tuple[str, ...] = ()  # volatile functions the expression calls


#: DuckDB's volatile functions (``duckdb_functions()`` where ``stability = 'VOLATILE'``), written out:
#: listing them costs DuckDB 50 ms, a tenth of a ``ferry validate``. A test compares this list with
#: the installed DuckDB's, so a DuckDB that adds one fails the tests rather than letting it through.
VOLATILE_FUNCTIONS = frozenset({
    "current_connection_id", "current_query", "current_query_id", "current_transaction_id", "currval", "error",
    "gen_random_uuid", "nextval", "random", "setseed", "setval", "sleep_ms", "stats", "uuid", "uuidv4", "uuidv7",
    "vector_type", "write_log",
})


def _function_names(tree: exp.Expression) -> list[str]:
    """Each function call's name as DuckDB will see it (``RAND()`` is DuckDB's ``random``)."""
    names = []
    for node in tree.find_all(exp.Func):
        text = node.sql(dialect="duckdb")
        if "(" in text:
            names.append(text.split("(", 1)[0].strip().lower())
    return names


def bind(text: str, columns: Mapping[str, str]) -> Bound:
    """Bind ``text`` (already known to parse as one scalar expression) over ``columns`` (name -> type)."""
    tree = sqlglot.parse_one(text, read="duckdb")
    volatile = tuple(sorted({n for n in _function_names(tree) if n in VOLATILE_FUNCTIONS}))
    if volatile:
        return Bound(None, None, volatile)
    def row(sample: bool) -> exp.Select:
        typed = [exp.alias_(exp.cast(exp.Literal.string(_SAMPLES[t]) if sample and t in _SAMPLES else exp.null(),
                                     exp.DataType.build(t, dialect="duckdb")), c, quoted=True)
                 for c, t in columns.items()]
        return exp.select(*(typed or [exp.alias_(exp.null(), "_ferry_nothing", quoted=True)]))

    # Bound, and evaluated on a row of NULLs and on a row of ordinary values (text stays NULL, so
    # no value-dependent parse can fail here): a constant that cannot convert ('abc' where a number
    # is needed) fails now, as it would on every row of the run. One query: its result's type is
    # the one DESCRIBE gives.
    rows = exp.union(row(False), row(True), distinct=False)
    query = exp.select(exp.alias_(exp.paren(tree.copy()), "v", quoted=True)).from_(
        rows.subquery("r")).sql(dialect="duckdb")
    con = memdb.connection()
    try:
        result = con.execute(query)
        result.fetchall()
        return Bound(None, str(result.description[0][1]), volatile)
    except duckdb.Error as exc:
        return Bound(str(exc).strip().splitlines()[0], None, volatile)


def field_columns(fields: Mapping[str, str]) -> dict[str, str]:
    """Field name -> DuckDB type, from field name -> ferry type."""
    return {name: FIELD_TYPES.get(kind, "VARCHAR") for name, kind in fields.items()}
