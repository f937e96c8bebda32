"""Cells of CSV files that people open in a spreadsheet: never run as a formula.

In:  a text value (a SQL expression, or a Python string).
Out: whether a spreadsheet would run it as a formula (``formula_like``, the one rule), and the
value made safe: behind an apostrophe, which spreadsheets show but do not evaluate (the OWASP
"CSV injection" advice).

Used for the CSV files written for people (rejects, emptied values, archives, review clusters),
which are always escaped. The importer bundles are read by Data Loader and HubSpot, which store
the text as it is, so there an apostrophe would change the data: ``targets.bundles`` applies the same
rule and, by the bundle's ``formulas`` setting, lists, escapes or refuses such cells.

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
    """Whether a spreadsheet would read ``value`` as a formula (Excel, LibreOffice, Google Sheets).

    It starts with ``=``, ``@``, a tab or a carriage return, or with ``+`` or ``-`` and the whole
    value is not a plain number: an optional sign, digits (spaces between digit groups allowed)
    and at most one decimal mark (``.`` or ``,``) followed by digits. So an E.164 phone
    (``+48601234567``), a signed amount (``-12.50``, ``-1,5``) and a phone in digit groups
    (``+48 601 234 567``) are values, while anything else after a sign is a formula: arithmetic
    a spreadsheet would compute (``-2+3``, and so ``+1-555-010-9999`` and ``+1 (555) 010-9999``),
    a command (``+cmd|' /C calc'!A0``), a text (``- call back``), or a lone sign (``-``).
    Only the first character counts: ``a=b`` is text, and so is a value that starts with a space.

    >>> [formula_like(v) for v in ("=1+1", "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3", "- call back", "\\tx")]
    [True, True, True, True, True, True]
    >>> [formula_like(v) for v in ("+48601234567", "-12.50", "+48 601 234 567", "-1,5", "a=b", "", None)]
    [False, False, False, False, False, False, False]
    """
    return value is not None and _STARTS.match(value) is not None and _NUMBER.fullmatch(value) is None


def escape_text(value: str | None) -> str | None:
    return "'" + value if formula_like(value) else value


def formula(value: exp.Expression) -> exp.Expression:
    """The SQL twin of ``formula_like`` (a test checks they agree): true when ``value`` is formula-like."""
    text = exp.cast(value, "VARCHAR")
    starts = exp.func("regexp_matches", text.copy(), exp.Literal.string("^" + FORMULA_START), dialect="duckdb")
    number = exp.func("regexp_full_match", text, exp.Literal.string(PLAIN_NUMBER), dialect="duckdb")
    return exp.and_(starts, exp.not_(number))


def escape(value: exp.Expression) -> exp.Expression:
    """The SQL twin of ``escape_text`` (a test checks they agree), for files DuckDB writes."""
    text = exp.cast(value, "VARCHAR")
    return exp.Case().when(formula(text.copy()), exp.DPipe(this=exp.Literal.string("'"), expression=text.copy(),
                                                           safe=True)).else_(text)


def escaped(query: exp.Select, columns: list[str]) -> exp.Select:
    """``query`` with every one of its ``columns`` escaped, in order: what is written to a CSV for people."""
    return exp.select(*(exp.alias_(escape(exp.column(c, table="q", quoted=True)), c, quoted=True) for c in columns)
                      ).from_(query.subquery("q"))
