"""CSV cells for people never run as formulas; SQL and Python escape alike."""

from __future__ import annotations

import doctest

import duckdb
import pytest
from hypothesis import example, given, settings, strategies as st
from sqlglot import exp

from compiler.sqlgen import cells
from compiler.sqlgen.cells import escape, escape_text, formula, formula_like

CON = duckdb.connect()
SQL = escape(exp.column("v")).sql(dialect="duckdb")
FORMULA_SQL = formula(exp.column("v")).sql(dialect="duckdb")

#: (value, formula-like?): what a spreadsheet would run, and what it would show as the value it is.
FORMULA_CASES = [
    ("=1+1", True), ("=HYPERLINK(\"http://x\",\"y\")", True), ("@SUM(A1)", True), ("@home", True),
    ("+cmd|' /C calc'!A0", True), ("-2+3", True), ("- call back", True), ("+ 48601234567", True),
    ("+1 (555) 010-9999", True), ("+1-555-010-9999", True), ("-12.50.3", True), ("-1e5", True),
    ("-", True), ("+", True), ("=", True), ("\tx", True), ("\r=1", True), ("\t12", True),
    ("+48601234567", False), ("+12025550123", False), ("-12.50", False), ("-1,5", False), ("+0.5", False),
    ("-1234567.89", False), ("+48 601 234 567", False), ("12", False), ("-0", False),
    ("a=b", False), (" =1+1", False), ("call back - later", False), ("\n=1", False), ("", False),
    (None, False),
]


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


@pytest.mark.parametrize("value, expected", FORMULA_CASES, ids=[repr(v) for v, _ in FORMULA_CASES])
def test_formula_like(value, expected):
    assert formula_like(value) is expected
    assert CON.execute(f"SELECT {FORMULA_SQL} FROM (SELECT $1::VARCHAR AS v)", [value]).fetchone()[0] is (
        None if value is None else expected)  # the SQL twin: the same answer (NULL for no value)
    assert escape_text(value) == ("'" + value if expected else value)


def test_the_docstring_examples_hold():
    assert doctest.testmod(cells).failed == 0


@given(st.lists(st.one_of(st.none(), st.text(alphabet="=+-@\t\r 0123456789.,abcł'\"", max_size=8)), max_size=20))
@example(["-", "+", "0", "- 1"])
@settings(max_examples=150, deadline=None)
def test_sql_and_python_escape_alike(values):
    assert sql_escape(values) == [escape_text(v) for v in values]
