"""Transforms, executed: the compiled SQL agrees with plain-Python reference parsers."""

from __future__ import annotations

import duckdb
from hypothesis import example, given, settings, strategies as st
from sqlglot import exp

from compiler import functions
from compiler.sqlgen.transforms import TRANSFORMS

CON = functions.register(duckdb.connect())


def run(name: str, inputs: list[str | None], con: duckdb.DuckDBPyConnection = CON, **args) -> list[tuple[str | None, bool]]:
    """(output, rejected) for each input, through the transform's real SQL."""
    applied = TRANSFORMS[name](exp.column("v"), args)
    invalid = applied.invalid if applied.invalid is not None else exp.false()
    query = exp.select(exp.alias_(applied.value, "out"), exp.alias_(exp.func("coalesce", invalid, exp.false()), "bad")) \
        .from_(exp.Table(this=exp.Anonymous(this="unnest", expressions=[exp.Placeholder()]),
                         alias=exp.TableAlias(this=exp.to_identifier("t"), columns=[exp.to_identifier("v")])))
    return [tuple(r) for r in con.execute(query.sql(dialect="duckdb"), [inputs]).fetchall()]


# Maps, text ------------------------------------------------------------------------------
def test_value_maps_default_strict_and_passthrough():
    values = (("nowa", "new"), ("wygrana", "won"))
    assert run("map", ["nowa", "inna", None], values=values) == [("new", False), ("inna", False), (None, False)]
    assert run("map", ["inna"], values=values, default="other") == [("other", False)]
    assert run("map", ["wygrana", "inna"], values=values, strict=True) == [("won", False), (None, True)]


def test_unicode_case_and_whitespace():
    assert run("upper", ["łódź", "київ"]) == [("ŁÓDŹ", False), ("КИЇВ", False)]
    assert run("squish", ["  Anna \t  Maria\n Nowak "]) == [("Anna Maria Nowak", False)]
    assert run("default", ["", None, "DE"], value="PL") == [("PL", False), ("PL", False), ("DE", False)]
    assert run("replace", ["+48 601"], pattern=r"^\+48\s*", **{"with": ""}) == [("601", False)]


@given(st.lists(st.text("abcłęкиї", min_size=1, max_size=6), min_size=1, max_size=4),
       st.sampled_from([" ", "  ", " \t "]))
@settings(max_examples=80, deadline=None)
def test_split_matches_python(words, gap):
    text = gap.join(words)
    got = [run("split", [text], part=p)[0][0] for p in ("first", "last", "rest", "init")]
    expected = [words[0], words[-1], " ".join(words[1:]) or None, " ".join(words[:-1]) or None]
    assert got == expected


# Phones and e-mails: tests/fidelity/test_phone.py and tests/fidelity/test_email.py.
