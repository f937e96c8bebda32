"""``shapes.classify`` tests integers first: no shape listed before ``integer`` may match one."""

from __future__ import annotations

import duckdb
from sqlglot import exp

from compiler.profile import shapes

INTEGERS = ["0", "7", "-3", "+12", "007", "2024", "20240131", "5260250274", "48123456789", "-000",
            "1" * 24, "123456789012345678901234567890"]
OTHERS = ["2024-01-31", "31.01.2024", "01/31/2024", "2024/01/31", "31-01-2024", "2024-01-31T10:00:00",
          "526-025-02-74", "PL5260250274", "+48 601 234 567", "601-234-567", "1,5", "1 234,50", "a@b.pl", "tak",
          "Warszawa", "12.5", "(22) 123 45 67"]


def _classify(values: list[str], case: exp.Expression) -> list[str]:
    v = exp.column("v", quoted=True)
    query = exp.select(case).from_(exp.Values(expressions=[exp.Tuple(expressions=[exp.Literal.string(x)]) for x in values],
                                              alias=exp.TableAlias(this=exp.to_identifier("t"), columns=[v.this.copy()])))
    return [r[0] for r in duckdb.connect().execute(query.sql(dialect="duckdb")).fetchall()]


def test_no_shape_before_integer_matches_an_integer():
    for shape in shapes.BEFORE_INTEGER:
        matched = _classify(INTEGERS, exp.func("regexp_full_match", exp.column("v", quoted=True),
                                                exp.Literal.string(shape.pattern), dialect="duckdb"))
        assert not any(matched), (shape.key, [x for x, m in zip(INTEGERS, matched) if m])


def test_integer_first_names_every_value_as_the_catalogue_order_does():
    in_order = exp.Case()
    for shape in shapes.SHAPES:
        in_order = in_order.when(exp.func("regexp_full_match", exp.column("v", quoted=True),
                                          exp.Literal.string(shape.pattern), dialect="duckdb"), exp.Literal.string(shape.key))
    in_order = in_order.else_(exp.Literal.string("text"))
    values = INTEGERS + OTHERS
    got = _classify(values, shapes.classify(exp.column("v", quoted=True)))
    assert got == _classify(values, in_order)
    assert got[: len(INTEGERS)] == ["integer"] * len(INTEGERS)
    assert len(set(got)) > 8  # the other values really are of other shapes
