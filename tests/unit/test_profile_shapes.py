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


def _needs_a_digit(pattern: str) -> bool:
    """Whether every string the pattern fully matches holds a digit 0-9, read from its parse tree
    (RE2's ``\\x{a0}`` written the Python way; case-insensitivity changes no digit)."""
    import re._constants as c
    import re._parser as p

    digits = set(range(ord("0"), ord("9") + 1))

    def possible(items) -> bool:  # some string without a digit matches this sequence
        return all(one(op, av) for op, av in items)

    def one(op, av) -> bool:
        if op is c.LITERAL:
            return av not in digits
        if op is c.NOT_LITERAL or op is c.ANY or op is c.AT:
            return True
        if op is c.IN:
            if av and av[0][0] is c.NEGATE:
                return True
            chars: set[int] = set()
            for kind, arg in av:
                if kind is c.LITERAL:
                    chars.add(arg)
                elif kind is c.RANGE:
                    chars |= set(range(arg[0], arg[1] + 1))
                elif kind is c.CATEGORY and arg is c.CATEGORY_DIGIT:
                    chars |= digits
                else:
                    return True  # \\s, \\w, ...: something other than a digit
            return bool(chars - digits)
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            low, _, sub = av
            return low == 0 or possible(sub)
        if op is c.SUBPATTERN:
            return possible(av[-1])
        if op is c.BRANCH:
            return any(possible(branch) for branch in av[1])
        raise AssertionError(f"unhandled regex node {op}")

    return not possible(p.parse(pattern.replace(r"\x{a0}", r"\xa0")))


def test_shapes_tested_without_a_digit_are_the_ones_that_need_none():
    assert {s.key for s in shapes.SHAPES if not _needs_a_digit(s.pattern)} == {s.key for s in shapes.WITHOUT_DIGITS}
    assert _needs_a_digit(r"\d{4}-\d{2}") and not _needs_a_digit(r"(\+|00)?[\d\s]{6,24}")


def test_values_without_digits_get_the_catalogue_order_shape():
    values = ["Warszawa", "tak", "NIE", "a@b.pl", "x@y", "Deutschland", "DE ABCDEFG", "------", "(  )  ..", "Jan Kowalski",
              " ", "PLXYZ", "ŁÓDŹ", "ÀÉ-ÎÕ"]
    in_order = shapes._first(exp.column("v", quoted=True), shapes.SHAPES)
    got = _classify(values, shapes.classify(exp.column("v", quoted=True)))
    assert got == _classify(values, in_order)
    assert {"text", "boolean", "email", "vat_id", "phone"} <= set(got)
