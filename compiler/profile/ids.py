"""Numbers that are names, not quantities: codes (``01000``) and id numbers with a check digit.

In:  a loaded source's sample and a column name.
Out: ``leading_zeros``: how many sampled values are integers written with a leading zero;
``check_digit``: the column's dominant digit count and the share of its values that are
digits of that count (spaces, dots and hyphens between them ignored) and pass the Luhn check.

Why these rules hold for any country's export:

- a quantity is never written ``01000``; a postcode, an account or a customer number is, and
  a typed integer would drop the zero (``refine``: such a column is a ``code``, kept as text);
- the Luhn check digit (ISO/IEC 7812) is what French SIREN/SIRET, card numbers, IMEIs and
  Canadian SINs carry: a number without one passes it one time in ten, so a column where
  most values of one length pass is an id number (``refine``: kind ``id_number``), however
  many of its values look like phone numbers.
"""

from __future__ import annotations

import duckdb
from sqlglot import exp

from compiler.profile.measure import Loaded, sql, value
from compiler.sqlgen.transforms.base import digit_at, full_match, regexp_replace_all

#: An id number has at least this many digits (a shorter one passes Luhn by chance too often
#: among few distinct values, and is a code anyway).
MIN_DIGITS = 8


def leading_zeros(con: duckdb.DuckDBPyConnection, loaded: Loaded, name: str) -> int:
    v = value(name)
    return con.execute(sql(exp.select(exp.func("count_if", full_match(v, "[+-]?0[0-9]+"), dialect="duckdb"))
                           .from_(loaded.sample))).fetchone()[0] or 0


def _luhn(d: exp.Expression, length: int) -> exp.Expression:
    """True when the ``length`` digits of ``d`` pass the Luhn check: from the right, every second
    digit doubled (its digits summed), the total a multiple of 10."""
    terms = []
    for k in range(length):
        digit = digit_at(d, length - k)
        if k % 2:
            twice = exp.Mul(this=digit, expression=exp.Literal.number(2))
            digit = exp.paren(exp.Add(this=exp.IntDiv(this=twice, expression=exp.Literal.number(10)),
                                      expression=exp.Mod(this=twice.copy(), expression=exp.Literal.number(10))))
        terms.append(digit)
    total = terms[0]
    for term in terms[1:]:
        total = exp.Add(this=total, expression=term)
    return exp.EQ(this=exp.Mod(this=exp.paren(total), expression=exp.Literal.number(10)), expression=exp.Literal.number(0))


def check_digit(con: duckdb.DuckDBPyConnection, loaded: Loaded, name: str, longest: int | None = None,
                ) -> tuple[int, float, float]:
    """(dominant digit count, share of values of that many digits, share of values passing Luhn);
    (0, 0, 0) without a query when the column's longest value (``longest``) is too short to hold
    ``MIN_DIGITS`` digits."""
    if longest is not None and longest < MIN_DIGITS:
        return 0, 0.0, 0.0
    d = exp.column("d", quoted=True)
    digits = (exp.select(exp.alias_(regexp_replace_all(value(name), "[ .\\-]", ""), "d", quoted=True))
              .from_(loaded.sample).subquery("x"))
    numeric = full_match(d, "[0-9]+")
    mode = exp.Filter(this=exp.func("mode", exp.Length(this=d.copy()), dialect="duckdb"),
                      expression=exp.Where(this=numeric))
    length, filled = con.execute(sql(exp.select(mode, exp.Count(this=d.copy())).from_(digits))).fetchone()
    if not length or length < MIN_DIGITS or not filled:
        return int(length or 0), 0.0, 0.0
    exact = full_match(d.copy(), f"[0-9]{{{int(length)}}}")
    row = con.execute(sql(exp.select(exp.func("count_if", exact, dialect="duckdb"),
                                     exp.func("count_if", exp.and_(exact.copy(), _luhn(d, int(length))), dialect="duckdb"))
                          .from_(digits.copy()))).fetchone()
    return int(length), row[0] / filled, row[1] / filled
