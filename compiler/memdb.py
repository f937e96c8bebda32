"""One empty in-memory DuckDB for a process's small look-ups.

In:  nothing. Out: ``connection()``, the same ``duckdb`` connection every time.

Validation asks DuckDB many small questions (bind this expression, is this pattern RE2, what are
this file's columns). Opening a database costs more than any of them, so they share one; none of
them creates, sets or attaches anything in it, so an answer never depends on an earlier question.
A question that must set variables or keep reject tables (reading every row of a CSV source at
validate) asks through its own ``connection().cursor()``: a connection of its own to the same
database, whose variables and temporary tables go when it is closed, without opening a database.
Runs, plans and pushes open their own databases.
"""

from __future__ import annotations

from functools import lru_cache

import duckdb


@lru_cache(maxsize=1)
def connection() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()
