"""Cells of CSV files that people open in a spreadsheet: never run as a formula.

In:  a text value (a SQL expression, or a Python string).
Out: the same value, or, when a spreadsheet would read it as a formula (it starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return), the value behind an apostrophe, which
spreadsheets show but do not evaluate (the OWASP "CSV injection" advice).

A plain number (``-12.50``, ``+48601234567``) stays as it is: a spreadsheet reads it as a number,
not a formula, and an apostrophe would turn a phone or an amount into something else. Used for
the CSV files written for people: rejects, emptied values, archives, review clusters. The
importer bundles are read by Data Loader and HubSpot, which store the text as it is, so there an
apostrophe would change the data; ``bundle`` checks them instead (see ``formula_like``).

>>> escape_text("=HYPERLINK(\\"http://x\\")"), escape_text("-12.50"), escape_text("@home")
('\\'=HYPERLINK("http://x")', '-12.50', "'@home")
"""

from __future__ import annotations

import re

from sqlglot import exp

#: What a spreadsheet evaluates when a cell starts with it.
FORMULA_START = "[=+\\-@\t\r]"
#: A plain number: digits with an optional sign, one decimal mark and digit-group spaces.
PLAIN_NUMBER = "[+-]?[0-9][0-9 ]*([.,][0-9]+)?"

_STARTS = re.compile(FORMULA_START)
_NUMBER = re.compile(PLAIN_NUMBER)


def formula_like(value: str | None) -> bool:
    return value is not None and _STARTS.match(value) is not None and _NUMBER.fullmatch(value) is None


def escape_text(value: str | None) -> str | None:
    return "'" + value if formula_like(value) else value


def escape(value: exp.Expression) -> exp.Expression:
    """The SQL twin of ``escape_text`` (a test checks they agree), for files DuckDB writes."""
    text = exp.cast(value, "VARCHAR")
    starts = exp.func("regexp_matches", text.copy(), exp.Literal.string("^" + FORMULA_START), dialect="duckdb")
    number = exp.func("regexp_full_match", text.copy(), exp.Literal.string(PLAIN_NUMBER), dialect="duckdb")
    return exp.Case().when(exp.and_(starts, exp.not_(number)),
                           exp.DPipe(this=exp.Literal.string("'"), expression=text.copy(), safe=True)).else_(text)


def escaped(query: exp.Select, columns: list[str]) -> exp.Select:
    """``query`` with every one of its ``columns`` escaped, in order: what is written to a CSV for people."""
    return exp.select(*(exp.alias_(escape(exp.column(c, table="q", quoted=True)), c, quoted=True) for c in columns)
                      ).from_(query.subquery("q"))
