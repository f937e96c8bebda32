"""The fidelity harness: run one transform's compiled SQL on values and compare with a reference.

A fidelity test states, for one transform, a corpus of inputs from several countries and
conventions and a reference in plain Python (phonenumbers, email-validator, ``decimal.Decimal``,
``datetime.strptime``...). The rule it checks is the project's promise, reject rather than guess:

* where the reference rejects a value, ferry rejects it (never an output);
* where the reference accepts it, ferry outputs exactly the reference's value.

``outcomes`` runs the transform through its real SQL in DuckDB, with the Python functions
``ferry run`` registers (``compiler.functions``), so both the SQL route and the library route
are exercised. ``Outcome`` is the value a reference returns too, so a test compares two lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

import duckdb
from sqlglot import exp

from compiler import functions
from compiler.sqlgen.transforms import TRANSFORMS

CON = functions.register(duckdb.connect())


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one input: ``value`` when it converted, ``rejected`` when it did not.
    An empty input is neither (value None, not rejected)."""

    value: str | None
    rejected: bool = False

    @staticmethod
    def reject() -> "Outcome":
        return Outcome(None, True)


def outcomes(name: str, inputs: Iterable[str | None], con: duckdb.DuckDBPyConnection = CON,
             **args: Any) -> list[Outcome]:
    """Each input through the transform ``name`` with ``args``, as compiled SQL."""
    inputs = list(inputs)
    applied = TRANSFORMS[name](exp.column("v"), args)
    invalid = applied.invalid if applied.invalid is not None else exp.false()
    value_sql = applied.value.sql(dialect="duckdb")
    invalid_sql = invalid.sql(dialect="duckdb")
    # The scaffolding is test code; the transform's SQL is exactly what ferry compiles.
    query = (f"SELECT i, {value_sql} AS out, coalesce({invalid_sql}, false) AS bad "
             "FROM (SELECT unnest($1::VARCHAR[]) AS v, unnest($2::BIGINT[]) AS i) ORDER BY i")
    rows = con.execute(query, [inputs, list(range(len(inputs)))]).fetchall()
    return [Outcome(None, True) if bad else Outcome(out, False) for _, out, bad in rows]


def expected(reference: Callable[[str], str | None], inputs: Iterable[str | None]) -> list[Outcome]:
    """The reference's outcome for each input: it returns the value, or None to reject.
    An input that is None or blank is empty, never a reject."""
    out = []
    for value in inputs:
        if value is None or not value.strip():
            out.append(Outcome(None, False))
            continue
        result = reference(value)
        out.append(Outcome.reject() if result is None else Outcome(result))
    return out


def disagreements(inputs: list[str | None], got: list[Outcome], want: list[Outcome]) -> list[str]:
    """One line per input where ferry and the reference differ, for an assertion message."""
    return [f"{value!r}: ferry {g}, reference {w}" for value, g, w in zip(inputs, got, want) if g != w]
