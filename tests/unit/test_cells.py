"""CSV cells for people never run as formulas; SQL and Python escape alike."""

from __future__ import annotations

import duckdb
from hypothesis import example, given, settings, strategies as st
from sqlglot import exp

from compiler.sqlgen.cells import escape, escape_text

CON = duckdb.connect()
SQL = escape(exp.column("v")).sql(dialect="duckdb")


def sql_escape(values: list[str | None]) -> list[str | None]:
    rows = CON.execute(f"SELECT {SQL} FROM (SELECT unnest($1::VARCHAR[]) AS v, unnest($2::BIGINT[]) AS i) "
                       "ORDER BY i", [values, list(range(len(values)))]).fetchall()
    return [r[0] for r in rows]


def test_formulas_are_escaped_and_numbers_are_not():
    values = ["=1+1", "=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx",
              "-12.50", "+48 601 234 567", "-1,5", "a=b", "", None]
    want = ["'=1+1", "'=HYPERLINK(\"http://x\",\"y\")", "'+cmd|' /C calc'!A0", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx",
            "-12.50", "+48 601 234 567", "-1,5", "a=b", "", None]
    assert [escape_text(v) for v in values] == want
    assert sql_escape(values) == want


@given(st.lists(st.one_of(st.none(), st.text(alphabet="=+-@\t\r 0123456789.,abcł'\"", max_size=8)), max_size=20))
@example(["-", "+", "0", "- 1"])
@settings(max_examples=150, deadline=None)
def test_sql_and_python_escape_alike(values):
    assert sql_escape(values) == [escape_text(v) for v in values]
